"""content and screenshot: read the page as it is now."""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import re
from typing import Any, Literal

from ..browser.browser import Page
from ..cdp.connection import CdpError
from ..errors import ActionTimeout, BadFrame, ScriptError
from .interact import wait_for_element
from .scripts import exception_text, is_stale, protocol_error, source, stop_scripts

__all__ = ["ImageFormat", "content", "screenshot", "screenshot_base64"]

ImageFormat = Literal["png", "jpeg", "webp"]
FORMATS: tuple[str, ...] = ("png", "jpeg", "webp")

# A full-page or element capture is one bitmap: an endless page must not make
# it explode. 16384 px is the usual GPU texture limit; the pixel cap keeps the
# bitmap around 256 MB at most.
MAX_SIDE = 16384
MAX_PIXELS = 4096 * MAX_SIDE

# Reading the DOM can meet a document that is being replaced; that is retried
# a few times, a moment apart.
_CONTENT_TRIES = 3
_CONTENT_RETRY_DELAY = 0.05

_SURROGATE = re.compile("[\ud800-\udfff]")


async def content(page: Page, *, timeout: float | None = None) -> bytes:
    """The main document serialized as HTML (doctype first), UTF-8 encoded.

    This is the live DOM, after scripts changed it. ``timeout`` bounds a page
    whose main thread is stuck in its own script: that script is then
    terminated and :class:`ActionTimeout` raised.
    """
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            html = await _read_html(page)
    except TimeoutError:
        if not deadline.expired():
            raise
        await stop_scripts(page)
        raise ActionTimeout(f"the page did not answer within {timeout:g}s") from None
    try:
        return html.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate from a script's string: not encodable as UTF-8.
        return _SURROGATE.sub("\ufffd", html).encode("utf-8")


async def _read_html(page: Page) -> str:
    for attempt in range(_CONTENT_TRIES):
        try:
            reply = await page.cdp.send(
                "Runtime.evaluate",
                {"expression": source("content.js"), "returnByValue": True, "silent": True},
            )
        except CdpError as exc:
            if is_stale(exc) and attempt + 1 < _CONTENT_TRIES:
                await asyncio.sleep(_CONTENT_RETRY_DELAY)
                continue
            raise protocol_error(exc, ScriptError, "the page content could not be read") from exc
        if "exceptionDetails" in reply:
            # Only a page that broke outerHTML or XMLSerializer gets here.
            raise ScriptError(f"the page content could not be read: {exception_text(reply)}")
        return str(reply["result"].get("value", ""))
    raise AssertionError("unreachable")


async def screenshot(
    page: Page,
    *,
    full_page: bool = False,
    selector: str | None = None,
    format: ImageFormat = "png",
    quality: int | None = None,
    timeout: float,
) -> bytes | None:
    """An image of the viewport, of the whole page, or of one element; ``None`` if none.

    The same as :func:`screenshot_base64`, decoded.
    """
    data = await screenshot_base64(
        page,
        full_page=full_page,
        selector=selector,
        format=format,
        quality=quality,
        timeout=timeout,
    )
    if data is None:
        return None
    try:
        return base64.b64decode(data, validate=True) or None
    except binascii.Error:
        return None


async def screenshot_base64(
    page: Page,
    *,
    full_page: bool = False,
    selector: str | None = None,
    format: ImageFormat = "png",
    quality: int | None = None,
    timeout: float,
) -> str | None:
    """The image, base64-encoded as the browser sent it; ``None`` if there is none.

    The answer frame carries base64 too, so the image is passed on as it
    came: decoding and encoding again would only copy a large string twice
    (profiled: about a fifth of the server's CPU time for a viewport PNG).

    ``full_page`` captures the document's whole scroll size (each side bounded
    to 16384 px); ``selector`` clips to the element's box, waiting for it to
    be visible like click does (404, 409 and 400 as there) and taking
    precedence over ``full_page``. ``quality`` (0-100) is for jpeg and webp.
    A page the browser cannot capture (zero-size viewport, crashed
    compositor) gives ``None``; a capture that does not finish within
    ``timeout`` stops the page's scripts and raises :class:`ActionTimeout`.
    """
    params = _capture_params(format, quality)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    if selector is not None:
        box = await wait_for_element(page, selector, "shot", timeout=timeout, deadline=deadline)
        params["clip"] = _enclosing_clip(box["x"], box["y"], box["width"], box["height"])
        params["captureBeyondViewport"] = not box["fits"]
    try:
        async with asyncio.timeout_at(deadline):
            return await _capture(page, params, full_page=full_page and selector is None)
    except TimeoutError:
        await stop_scripts(page)
        raise ActionTimeout(f"the screenshot did not finish within {timeout:g}s") from None
    except CdpError:
        return None


async def _capture(page: Page, params: dict[str, Any], *, full_page: bool) -> str | None:
    cdp = page.cdp
    if full_page:
        metrics = await cdp.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or {}
        width, height = float(size.get("width", 0)), float(size.get("height", 0))
        if not _has_viewport(metrics) or width <= 0 or height <= 0:
            return None
        params["clip"] = _enclosing_clip(0, 0, width, height)
        params["captureBeyondViewport"] = True
        reply = await cdp.send("Page.captureScreenshot", params)
    else:
        # A window without area never produces the frame a capture waits
        # for: the layout metrics, asked alongside, tell at no extra cost.
        capture = asyncio.ensure_future(cdp.send("Page.captureScreenshot", params))
        capture.add_done_callback(_retrieve)
        try:
            if not _has_viewport(await cdp.send("Page.getLayoutMetrics")):
                return None
            reply = await capture
        finally:
            capture.cancel()
    data = reply.get("data")
    return data if isinstance(data, str) and data else None


def _has_viewport(metrics: dict[str, Any]) -> bool:
    viewport = metrics.get("cssVisualViewport") or {}
    return bool(viewport.get("clientWidth", 0) >= 1 and viewport.get("clientHeight", 0) >= 1)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _capture_params(format: str, quality: int | None) -> dict[str, Any]:
    if format not in FORMATS:
        raise BadFrame(f"format must be one of {', '.join(FORMATS)}, not '{format}'")
    # Faster encoder settings: measured on a text page, a PNG took 49 ms
    # instead of 80 ms for 30% more bytes, a fair trade on a loopback or LAN.
    params: dict[str, Any] = {"format": format, "optimizeForSpeed": True}
    if quality is not None:
        if format == "png":
            raise BadFrame("quality applies to jpeg and webp screenshots only")
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise BadFrame(f"quality must be an integer from 0 to 100, not {quality!r}")
        params["quality"] = quality
    return params


def _enclosing_clip(x: float, y: float, width: float, height: float) -> dict[str, float]:
    # Whole pixels that cover the box, so a fractional edge is not cut off.
    left, top = math.floor(x), math.floor(y)
    clip_width = min(math.ceil(x + width) - left, MAX_SIDE)
    clip_height = min(math.ceil(y + height) - top, MAX_SIDE, MAX_PIXELS // max(clip_width, 1))
    return {"x": left, "y": top, "width": clip_width, "height": clip_height, "scale": 1}
