"""Fixtures and helpers shared by the session-layer tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from inndx_cdp.browser.browser import Browser, Page

from ..conftest import prepared_page


@pytest.fixture(scope="module")
async def shared_page(browser: Browser) -> AsyncIterator[Page]:
    """One page for a whole module (each costs a renderer process).

    Every test that uses it starts by opening its own URL, which gives it a
    fresh document; a test that changes more than the document takes ``page``.
    """
    async with prepared_page(browser) as shared:
        yield shared


async def open_page(page: Page, url: str) -> None:
    """Navigate with a bare ``Page.navigate`` and wait for the load event."""
    with page.cdp.listen("Page.loadEventFired") as events:
        await page.cdp.send("Page.navigate", {"url": url})
        await asyncio.wait_for(events.next("Page.loadEventFired"), 10)


async def js(page: Page, expression: str) -> Any:
    """The value of ``expression`` in the page (a promise is awaited)."""
    reply = await page.cdp.send(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
    )
    return reply["result"].get("value")
