"""Bodies the browser does not keep, and pages with JavaScript switched off.

The browser keeps body copies in a store shared by all its pages, so the tests
that shrink it run on a browser of their own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.errors import FrameTooLarge
from inndx_cdp.session import body as bodies
from inndx_cdp.session import setup
from inndx_cdp.session.setup import PageOptions, apply_options

from .. import site as site_module
from .goto_helpers import js, run_goto

SIZE = 3_000_000
SMALL = {"maxTotalBufferSize": 2_000_000, "maxResourceBufferSize": 1_000_000}


@pytest.fixture(scope="module")
async def own_browser() -> AsyncIterator[Browser]:
    browser = await Browser.launch("standard")
    yield browser
    await browser.close()


async def limited_page(
    browser: Browser, monkeypatch: pytest.MonkeyPatch, *, renderer_too: bool
) -> Page:
    """A page whose browser keeps durable copies of at most 1 MB per response.

    With ``renderer_too`` the renderer's own (decoded) copies are limited too,
    so a larger body is not kept at all; without, the renderer keeps its
    decoded copy. (The durable store takes the largest limits any page of the
    browser asked for, hence a browser of their own.)
    """
    if renderer_too:
        monkeypatch.setattr(setup, "NETWORK_BUFFER", {**SMALL, "enableDurableMessages": True})
    else:
        renderer_only = {k: v for k, v in setup.NETWORK_BUFFER.items() if "Durable" not in k}
        monkeypatch.setattr(setup, "NETWORK_BUFFER", renderer_only)
    page = await browser.new_page()
    await setup.prepare_page(page)
    if not renderer_too:
        await page.cdp.send("Network.configureDurableMessages", SMALL)
    return page


@pytest.fixture
async def small_page(own_browser: Browser, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Page]:
    page = await limited_page(own_browser, monkeypatch, renderer_too=True)
    yield page
    await page.dispose()


async def test_a_dropped_get_body_is_fetched_again_as_the_session(
    small_page: Page, site: str
) -> None:
    key = uuid.uuid4().hex
    answer = await run_goto(
        small_page,
        f"{site}/goto/large?size={SIZE}&key={key}",
        user_agent="chrome",
        cookies=[{"name": "sid", "value": "abc"}],
    )
    assert answer.body == site_module.goto_large_body(SIZE)
    assert site_module.GOTO_HITS[key] == 2
    # Sent again as the session: same user agent (never the headless one), same cookies.
    first, second = site_module.GOTO_SEEN[key]
    assert second["User-Agent"] == first["User-Agent"]
    assert "Headless" not in second["User-Agent"]
    assert second["Cookie"] == first["Cookie"] == "sid=abc"
    assert second["Sec-CH-UA"] == first["Sec-CH-UA"]


async def test_a_kept_body_is_not_fetched_again(small_page: Page, site: str) -> None:
    key = uuid.uuid4().hex
    answer = await run_goto(small_page, f"{site}/goto/large?size=500000&key={key}")
    assert answer.body == site_module.goto_large_body(500_000)
    assert site_module.GOTO_HITS[key] == 1


async def test_a_dropped_post_body_is_not_sent_again_and_the_answer_says_why(
    small_page: Page, site: str
) -> None:
    key = uuid.uuid4().hex
    with pytest.raises(FrameTooLarge) as caught:
        await run_goto(
            small_page, f"{site}/goto/large?size={SIZE}&key={key}", method="POST", body=b"x"
        )
    assert caught.value.code == 413
    assert "did not keep the response body" in caught.value.message
    assert "a POST is not sent twice" in caught.value.message
    assert site_module.GOTO_HITS[key] == 1
    answer = await run_goto(small_page, site + "/goto/page")
    assert answer.status_code == 200


async def test_a_decoded_copy_is_never_passed_off_as_the_bytes(
    own_browser: Browser, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Durable copy evicted by another page, the renderer's decoded text left: refused."""
    first = await limited_page(own_browser, monkeypatch, renderer_too=True)
    second = await limited_page(own_browser, monkeypatch, renderer_too=True)
    try:
        with first.cdp.listen("Network.requestWillBeSent", "Network.dataReceived") as events:
            answer = await run_goto(first, f"{site}/goto/large-latin1?size=900000")
            assert answer.body == site_module.goto_large_latin1_body(900_000)
            request_id, received = "", 0
            while not events.empty():
                method, params = await events.get()
                if method == "Network.requestWillBeSent" and params.get("type") == "Document":
                    request_id = params["requestId"]
                elif method == "Network.dataReceived" and params["requestId"] == request_id:
                    received += params["dataLength"]
        # Another page's traffic pushes the first page's copy out of the shared store.
        await run_goto(second, f"{site}/goto/large?size=900000")
        await run_goto(second, f"{site}/goto/large?size=900001")
        with pytest.raises(bodies.BodyMissing, match="decoded"):
            await bodies.read_body(first.cdp, request_id, received)
    finally:
        await first.dispose()
        await second.dispose()


async def test_goto_works_with_javascript_switched_off(page: Page, site: str) -> None:
    await apply_options(page, PageOptions(javascript=False))
    answer = await run_goto(page, site + "/goto/page", timeout=10)
    assert answer.status_code == 200
    assert answer.body is not None
    assert b"page" in answer.body
    refreshed = await run_goto(page, site + "/goto/client/meta", timeout=10)
    assert refreshed.url == site + "/goto/landing"
    assert await js(page, "location.pathname") == "/goto/landing"
