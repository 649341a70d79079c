"""content and screenshot on real Chromium."""

from __future__ import annotations

import asyncio
import struct
import time
from typing import Any

import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.cdp.connection import CdpError
from inndx_cdp.errors import ActionTimeout, BadFrame, NoMatch, NotActionable
from inndx_cdp.session.read import content, screenshot
from inndx_cdp.session.setup import prepare_page

from .conftest import js, open_page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert image.startswith(PNG_SIGNATURE)
    assert image[12:16] == b"IHDR"
    width, height = struct.unpack(">II", image[16:24])
    return width, height


# --- content -----------------------------------------------------------------


async def test_content_is_the_live_dom_with_its_doctype(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/")
    await js(shared_page, "document.querySelector('#greeting').textContent = 'changed by script'")
    html = await content(shared_page)
    assert isinstance(html, bytes)
    assert html.startswith(b"<!DOCTYPE html><html>")
    assert b'<p id="greeting">changed by script</p>' in html
    assert html.endswith(b"</html>")


async def test_content_is_utf8(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/unicode")
    html = await content(shared_page)
    assert "Grüße, 世界 — ünïcödé ✓".encode() in html


async def test_content_survives_a_lone_surrogate(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/unicode")
    await js(shared_page, "document.querySelector('#text').textContent = 'a\\ud800b'")
    html = await content(shared_page)
    assert "a\ufffdb".encode() in html


async def test_content_without_a_doctype(shared_page: Page) -> None:
    await open_page(shared_page, "data:text/html,<p>quirks</p>")
    assert await content(shared_page) == b"<html><head></head><body><p>quirks</p></body></html>"


async def test_content_of_a_stuck_page_times_out_and_the_page_recovers(
    page: Page, site: str
) -> None:
    await open_page(page, site + "/")
    await js(page, "setTimeout(() => { while (true) {} }, 0)")
    with pytest.raises(ActionTimeout):
        await content(page, timeout=0.5)
    assert (await content(page, timeout=5)).startswith(b"<!DOCTYPE html>")


# --- screenshot --------------------------------------------------------------


async def test_screenshot_is_a_png_of_the_viewport(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/")
    image = await screenshot(shared_page, timeout=10)
    assert image is not None
    assert png_size(image) == (1280, 720)


@pytest.mark.parametrize(
    ("format", "magic"),
    [("jpeg", b"\xff\xd8\xff"), ("webp", b"RIFF")],
)
async def test_screenshot_formats(shared_page: Page, site: str, format: Any, magic: bytes) -> None:
    await open_page(shared_page, site + "/")
    image = await screenshot(shared_page, format=format, quality=50, timeout=10)
    assert image is not None
    assert image.startswith(magic)
    if format == "webp":
        assert image[8:12] == b"WEBP"


async def test_jpeg_quality_changes_the_size(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/long")
    low = await screenshot(shared_page, format="jpeg", quality=5, timeout=10)
    high = await screenshot(shared_page, format="jpeg", quality=95, timeout=10)
    assert low is not None
    assert high is not None
    assert len(low) < len(high)


async def test_full_page_screenshot_covers_the_whole_document(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/long")
    image = await screenshot(shared_page, full_page=True, timeout=10)
    assert image is not None
    assert png_size(image) == (1280, 3000)


async def test_full_page_screenshot_of_an_endless_page_is_bounded(shared_page: Page) -> None:
    await open_page(shared_page, "data:text/html,<div style='height:100000px'></div>")
    image = await screenshot(shared_page, full_page=True, format="jpeg", quality=10, timeout=20)
    assert image is not None
    # The JPEG's SOF0 marker holds the height and the width.
    sof = image.index(b"\xff\xc0")
    height, width = struct.unpack(">HH", image[sof + 5 : sof + 9])
    assert (width, height) == (1280, 16384)


async def test_element_screenshot_is_clipped_to_the_element(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/long")
    image = await screenshot(shared_page, selector="#box", timeout=10)
    assert image is not None
    assert png_size(image) == (200, 100)


async def test_element_screenshot_follows_the_selector_rules(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/states")
    with pytest.raises(NoMatch):
        await screenshot(shared_page, selector="#missing", timeout=0.3)
    with pytest.raises(NotActionable, match="not visible"):
        await screenshot(shared_page, selector="#hidden", timeout=0.3)
    with pytest.raises(BadFrame):
        await screenshot(shared_page, selector="div[", timeout=5)
    # Covered or disabled elements can still be pictured.
    image = await screenshot(shared_page, selector="#covered", timeout=5)
    assert image is not None
    assert png_size(image) == (100, 40)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "gif"}, "format must be one of png, jpeg, webp"),
        ({"format": "png", "quality": 50}, "quality applies to jpeg and webp"),
        ({"format": "jpeg", "quality": 101}, "quality must be an integer from 0 to 100"),
    ],
)
async def test_bad_screenshot_options_are_400(
    shared_page: Page, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadFrame, match=message):
        await screenshot(shared_page, timeout=5, **options)


async def test_a_window_without_area_gives_none_at_once(browser: Browser) -> None:
    own = await browser.new_page()
    try:
        await prepare_page(own)
        # No override and no window: Chromium would wait for a frame forever.
        await own.cdp.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 0, "height": 0, "deviceScaleFactor": 1, "mobile": False},
        )
        await own.cdp.send("Emulation.setVisibleSize", {"width": 0, "height": 0})
        for _ in range(100):  # the new size reaches the renderer a little later
            metrics = await own.cdp.send("Page.getLayoutMetrics")
            if metrics["cssVisualViewport"]["clientWidth"] == 0:
                break
            await asyncio.sleep(0.02)
        started = time.perf_counter()
        assert await screenshot(own, timeout=5) is None
        assert await screenshot(own, full_page=True, timeout=5) is None
        assert time.perf_counter() - started < 2
    finally:
        await own.dispose()


async def test_a_refused_capture_gives_none(page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    real_send = page.cdp.send

    async def send(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if method == "Page.captureScreenshot":
            raise CdpError(method, -32000, "Unable to capture screenshot")
        return await real_send(method, params)

    monkeypatch.setattr(page.cdp, "send", send)
    assert await screenshot(page, timeout=5) is None
    assert await screenshot(page, full_page=True, timeout=5) is None
