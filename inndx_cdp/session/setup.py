"""Getting a fresh page ready to take actions, and applying a client's options."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from ..browser.browser import Page
from ..cdp.connection import CdpError
from ..errors import InndxError

__all__ = ["PageOptions", "apply_options", "prepare_page"]

# Bodies of large documents must survive until the goto reads them; Chromium's
# defaults evict anything beyond a few MB. "Durable" messages keep a copy of
# each response body in the browser process as the bytes that arrived (after
# content decoding): Network.getResponseBody then answers exactly those bytes,
# where the renderer's copy is text decoded with the page's charset (lossy to
# re-encode for anything but UTF-8). They also survive the next navigation, so
# a client redirect cannot take a body away. (The flag on Network.enable, not
# Network.configureDurableMessages: full Chromium 156 never answers that
# command.)
NETWORK_BUFFER = {
    "maxTotalBufferSize": 200 * 1024 * 1024,
    "maxResourceBufferSize": 100 * 1024 * 1024,
    "enableDurableMessages": True,
}


@dataclass(frozen=True, slots=True)
class PageOptions:
    """What the open frame's ``client`` asks of the page."""

    width: int = 1280
    height: int = 720
    locale: str | None = None
    timezone: str | None = None
    javascript: bool = True


DEFAULT_OPTIONS = PageOptions()


async def prepare_page(page: Page) -> None:
    """Enable what every session needs; the page is then ready for any action.

    ``Runtime`` stays disabled: ``Runtime.evaluate`` works without it, and its
    console and context events would cost every session for nothing.
    """
    cdp = page.cdp

    def on_dialog(params: dict[str, Any]) -> None:
        # An open alert() blocks every later input and evaluate answer.
        task = asyncio.get_running_loop().create_task(
            cdp.send("Page.handleJavaScriptDialog", {"accept": True})
        )
        task.add_done_callback(_ignore_result)

    cdp.on("Page.javascriptDialogOpening", on_dialog)
    await asyncio.gather(
        cdp.send("Page.enable"),
        cdp.send("Network.enable", NETWORK_BUFFER),
        cdp.send("Inspector.enable"),
        apply_options(page, DEFAULT_OPTIONS),
    )


async def apply_options(page: Page, options: PageOptions) -> None:
    """Viewport, locale, timezone and JavaScript switch for the page (pipelined)."""
    cdp = page.cdp
    calls = [
        cdp.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": options.width,
                "height": options.height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
    ]
    if options.locale:
        calls.append(cdp.send("Emulation.setLocaleOverride", {"locale": options.locale}))
    if options.timezone:
        calls.append(cdp.send("Emulation.setTimezoneOverride", {"timezoneId": options.timezone}))
    if not options.javascript:
        calls.append(cdp.send("Emulation.setScriptExecutionDisabled", {"value": True}))
    await asyncio.gather(*calls)
    page.state["options"] = options


def _ignore_result(task: asyncio.Task[Any]) -> None:
    with contextlib.suppress(asyncio.CancelledError, InndxError, CdpError):
        task.result()
