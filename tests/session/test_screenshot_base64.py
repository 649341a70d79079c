"""screenshot_base64: the browser's own base64, passed on without decoding and re-encoding.

screenshot() is built on it, so tests/session/test_read.py covers the rest.
"""

from __future__ import annotations

import base64

from inndx_cdp.browser.browser import Page
from inndx_cdp.session.read import screenshot_base64

from .test_read import PNG_SIGNATURE, open_page, png_size


async def test_base64_screenshot_is_the_viewport_png(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    data = await screenshot_base64(page, timeout=10)
    assert isinstance(data, str)
    image = base64.b64decode(data, validate=True)  # raises on anything but base64
    assert image.startswith(PNG_SIGNATURE)
    assert png_size(image) == (1280, 720)


async def test_base64_screenshot_of_an_element(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    data = await screenshot_base64(page, selector="h1", format="jpeg", quality=40, timeout=10)
    assert data is not None
    assert base64.b64decode(data, validate=True).startswith(b"\xff\xd8\xff")
