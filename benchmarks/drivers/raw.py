"""The floor: CDP commands written straight to the browser's pipe.

Only the pipe transport and process launch are shared with the server
(``inndx_cdp.cdp.connection`` and ``inndx_cdp.browser.browser``, both thin);
every command below is sent directly, with none of the session layer's work
(no actionability checks, no response recording, no settle window). Each step
sends the fewest commands that do the job a user asked for.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from inndx_cdp.browser.browser import Browser
from inndx_cdp.cdp.connection import CdpSession

from .base import DriverError

__all__ = ["RawDriver", "RawTab"]

VIEWPORT = {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False}
# The same capture settings as the server, so the comparison is about the
# path to the browser and not about the PNG encoder.
CAPTURE = {"format": "png", "optimizeForSpeed": True}
CONTENT = (
    "(document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '')"
    " + document.documentElement.outerHTML"
)
CENTRE = (
    "(() => {{ const r = document.querySelector({selector}).getBoundingClientRect();"
    " return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
)
FOCUS = "(() => {{ const e = document.querySelector({selector}); e.focus(); e.select(); }})()"


class RawTab:
    """A browser context with one attached page, driven by hand-written CDP commands."""

    def __init__(self, root: CdpSession, context_id: str, cdp: CdpSession) -> None:
        self.root = root
        self.context_id = context_id
        self.cdp = cdp

    async def goto(self, url: str) -> None:
        with self.cdp.listen("Page.loadEventFired") as events:
            answer = await self.cdp.send("Page.navigate", {"url": url})
            if answer.get("errorText"):
                raise DriverError(f"navigation failed: {answer['errorText']}")
            await events.next("Page.loadEventFired")

    async def click(self, selector: str) -> None:
        x, y = await self._value(CENTRE.format(selector=json.dumps(selector)))
        point = {"x": x, "y": y, "button": "left", "clickCount": 1}
        await asyncio.gather(
            self.cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", **point}),
            self.cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", **point}),
        )

    async def fill(self, selector: str, value: str) -> None:
        await self._value(FOCUS.format(selector=json.dumps(selector)))
        await self.cdp.send("Input.insertText", {"text": value})

    async def content(self) -> bytes:
        return str(await self._value(CONTENT)).encode()

    async def evaluate(self, script: str) -> object:
        return await self._value(script)

    async def screenshot(self) -> bytes:
        reply = await self.cdp.send("Page.captureScreenshot", CAPTURE)
        return base64.b64decode(reply["data"])

    async def close(self) -> None:
        await self.root.send("Target.disposeBrowserContext", {"browserContextId": self.context_id})

    async def _value(self, expression: str) -> Any:
        reply = await self.cdp.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        )
        if "exceptionDetails" in reply:
            raise DriverError(f"script threw: {reply['exceptionDetails'].get('text')}")
        return reply["result"].get("value")


class RawDriver:
    """One browser of the same build, its pipe and nothing else."""

    name = "raw"

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.browser: Browser | None = None

    async def start(self) -> None:
        # The server's launch: same binary, same flags, same pipe transport.
        self.browser = await Browser.launch("standard", binary=self.binary)

    async def open(self) -> RawTab:
        assert self.browser is not None, "driver not started"
        root = self.browser.connection.browser
        context_id = (await root.send("Target.createBrowserContext"))["browserContextId"]
        target = await root.send(
            "Target.createTarget", {"url": "about:blank", "browserContextId": context_id}
        )
        attached = await root.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        cdp = self.browser.connection.session(attached["sessionId"])
        # What any driver enables on a page: lifecycle events, network events
        # (Playwright and the server both keep them on) and the viewport size.
        await asyncio.gather(
            cdp.send("Page.enable"),
            cdp.send("Network.enable"),
            cdp.send("Emulation.setDeviceMetricsOverride", VIEWPORT),
        )
        return RawTab(root, context_id, cdp)

    async def stop(self) -> None:
        if self.browser is not None:
            await self.browser.close()
            self.browser = None

    @property
    def product(self) -> str:
        return self.browser.product if self.browser is not None else ""
