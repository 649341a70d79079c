"""Bodies the browser does not keep, and pages with JavaScript switched off."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.errors import FrameTooLarge
from inndx_cdp.session import setup
from inndx_cdp.session.setup import PageOptions, apply_options

from .. import site as site_module
from .goto_helpers import run_goto

SIZE = 3_000_000


@pytest.fixture
async def small_page(browser: Browser, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Page]:
    """A page whose browser keeps at most 1 MB of body per response (instead of 100 MB)."""
    monkeypatch.setitem(setup.NETWORK_BUFFER, "maxTotalBufferSize", 2_000_000)
    monkeypatch.setitem(setup.NETWORK_BUFFER, "maxResourceBufferSize", 1_000_000)
    fresh = await browser.new_page()
    await setup.prepare_page(fresh)
    yield fresh
    await fresh.dispose()


async def test_a_dropped_get_body_is_fetched_again(small_page: Page, site: str) -> None:
    page = small_page
    key = uuid.uuid4().hex
    answer = await run_goto(
        page,
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
    page = small_page
    key = uuid.uuid4().hex
    answer = await run_goto(page, f"{site}/goto/large?size=500000&key={key}")
    assert answer.body == site_module.goto_large_body(500_000)
    assert site_module.GOTO_HITS[key] == 1


async def test_a_dropped_post_body_is_not_sent_again_and_the_answer_says_why(
    small_page: Page, site: str
) -> None:
    page = small_page
    key = uuid.uuid4().hex
    with pytest.raises(FrameTooLarge) as caught:
        await run_goto(page, f"{site}/goto/large?size={SIZE}&key={key}", method="POST", body=b"x")
    assert caught.value.code == 413
    assert "did not keep the response body" in caught.value.message
    assert "a POST is not sent twice" in caught.value.message
    assert site_module.GOTO_HITS[key] == 1
    answer = await run_goto(page, site + "/goto/page")
    assert answer.status_code == 200


async def test_goto_works_with_javascript_switched_off(page: Page, site: str) -> None:
    await apply_options(page, PageOptions(javascript=False))
    answer = await run_goto(page, site + "/goto/page", timeout=10)
    assert answer.status_code == 200
    assert answer.body is not None
    assert b"page" in answer.body
    refreshed = await run_goto(page, site + "/goto/client/meta", timeout=10)
    assert refreshed.url == site + "/goto/landing"
