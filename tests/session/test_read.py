"""content and screenshot on real Chromium."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.cdp.connection import CdpError
from inndx_cdp.errors import ActionTimeout, BadFrame, NoMatch, NotActionable
from inndx_cdp.session.read import content, screenshot
from inndx_cdp.session.setup import prepare_page

from ..conftest import prepared_page

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
async def page(browser: Browser) -> AsyncIterator[Page]:
    """One page for the whole module (each costs a renderer process); every test
    starts by opening its own URL, which gives it a fresh document."""
    async with prepared_page(browser) as shared:
        yield shared


@pytest.fixture
async def fresh_page(browser: Browser) -> AsyncIterator[Page]:
    """A page of its own, for a test that changes more than the document."""
    async with prepared_page(browser) as own:
        yield own


async def open_page(page: Page, url: str) -> None:
    with page.cdp.listen("Page.loadEventFired") as events:
        await page.cdp.send("Page.navigate", {"url": url})
        await asyncio.wait_for(events.next("Page.loadEventFired"), 10)


async def js(page: Page, expression: str) -> Any:
    reply = await page.cdp.send(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True}
    )
    return reply["result"].get("value")


def png_size(image: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which always comes first."""
    assert image.startswith(PNG_SIGNATURE)
    assert image[12:16] == b"IHDR"
    width, height = struct.unpack(">II", image[16:24])
    return width, height


# --- content -----------------------------------------------------------------


async def test_content_is_the_live_dom_with_its_doctype(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    await js(page, "document.querySelector('#greeting').textContent = 'changed by script'")
    html = await content(page)
    assert isinstance(html, bytes)
    assert html.startswith(b"<!DOCTYPE html><html>")
    assert b'<p id="greeting">changed by script</p>' in html
    assert html.endswith(b"</html>")


async def test_content_is_utf8(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/unicode")
    html = await content(page)
    assert "Grüße, 世界 — ünïcödé ✓".encode() in html


async def test_content_survives_a_lone_surrogate(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/unicode")
    await js(page, "document.querySelector('#text').textContent = 'a\\ud800b'")
    html = await content(page)
    assert "a\ufffdb".encode() in html


async def test_content_without_a_doctype(page: Page) -> None:
    await open_page(page, "data:text/html,<p>quirks</p>")
    assert await content(page) == b"<html><head></head><body><p>quirks</p></body></html>"


async def test_content_of_a_stuck_page_times_out_and_the_page_recovers(
    fresh_page: Page, site: str
) -> None:
    await open_page(fresh_page, site + "/")
    await js(fresh_page, "setTimeout(() => { while (true) {} }, 0)")
    with pytest.raises(ActionTimeout):
        await content(fresh_page, timeout=0.5)
    assert (await content(fresh_page, timeout=5)).startswith(b"<!DOCTYPE html>")


# --- screenshot --------------------------------------------------------------


async def test_screenshot_is_a_png_of_the_viewport(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    image = await screenshot(page, timeout=10)
    assert image is not None
    assert png_size(image) == (1280, 720)


@pytest.mark.parametrize(
    ("format", "magic"),
    [("jpeg", b"\xff\xd8\xff"), ("webp", b"RIFF")],
)
async def test_screenshot_formats(page: Page, site: str, format: Any, magic: bytes) -> None:
    await open_page(page, site + "/")
    image = await screenshot(page, format=format, quality=50, timeout=10)
    assert image is not None
    assert image.startswith(magic)
    if format == "webp":
        assert image[8:12] == b"WEBP"


async def test_jpeg_quality_changes_the_size(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/long")
    low = await screenshot(page, format="jpeg", quality=5, timeout=10)
    high = await screenshot(page, format="jpeg", quality=95, timeout=10)
    assert low is not None
    assert high is not None
    assert len(low) < len(high)


async def test_full_page_screenshot_covers_the_whole_document(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/long")
    image = await screenshot(page, full_page=True, timeout=10)
    assert image is not None
    assert png_size(image) == (1280, 3000)


async def test_full_page_screenshot_of_an_endless_page_is_bounded(page: Page) -> None:
    await open_page(page, "data:text/html,<div style='height:100000px'></div>")
    image = await screenshot(page, full_page=True, format="jpeg", quality=10, timeout=20)
    assert image is not None
    # The JPEG's SOF0 marker holds the height and the width.
    sof = image.index(b"\xff\xc0")
    height, width = struct.unpack(">HH", image[sof + 5 : sof + 9])
    assert (width, height) == (1280, 16384)


async def test_element_screenshot_is_clipped_to_the_element(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/long")
    image = await screenshot(page, selector="#box", timeout=10)
    assert image is not None
    assert png_size(image) == (200, 100)


async def test_element_screenshot_follows_the_selector_rules(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/states")
    with pytest.raises(NoMatch):
        await screenshot(page, selector="#missing", timeout=0.3)
    with pytest.raises(NotActionable, match="not visible"):
        await screenshot(page, selector="#hidden", timeout=0.3)
    with pytest.raises(BadFrame):
        await screenshot(page, selector="div[", timeout=5)
    # Covered or disabled elements can still be pictured.
    image = await screenshot(page, selector="#covered", timeout=5)
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
    page: Page, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(BadFrame, match=message):
        await screenshot(page, timeout=5, **options)


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


async def test_a_refused_capture_gives_none(
    fresh_page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = fresh_page.cdp.send

    async def send(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if method == "Page.captureScreenshot":
            raise CdpError(method, -32000, "Unable to capture screenshot")
        return await real_send(method, params)

    monkeypatch.setattr(fresh_page.cdp, "send", send)
    assert await screenshot(fresh_page, timeout=5) is None
    assert await screenshot(fresh_page, full_page=True, timeout=5) is None
