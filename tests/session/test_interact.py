"""click and fill on real Chromium, against the interaction pages of tests/site.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.errors import ActionTimeout, BadFrame, NoMatch, NotActionable
from inndx_cdp.session.interact import click, fill
from inndx_cdp.session.setup import PageOptions, apply_options

from ..conftest import prepared_page


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


# --- click -------------------------------------------------------------------


async def test_click_sends_trusted_events(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/button")
    await click(page, "#btn", timeout=5)
    assert await js(page, "seen") == ["click:true"]
    assert await js(page, "document.querySelector('#out').textContent") == "clicked"


async def test_click_scrolls_the_element_into_view(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/button")
    await click(page, "#far", timeout=5)
    assert await js(page, "seen") == ["far:true"]
    assert await js(page, "scrollY") > 1000


async def test_click_on_a_link_returns_after_the_new_page_loaded(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/link")
    await click(page, "#go", timeout=10)
    # No waiting here: the landing page (served 200 ms late, with an image
    # 300 ms late) must already be complete.
    assert await js(page, "location.pathname") == "/ix/landing"
    assert await js(page, "document.readyState") == "complete"
    assert await js(page, "document.querySelector('#landed').textContent") == "landed"


async def test_click_waits_for_a_navigation_a_handler_schedules(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/link")
    await click(page, "#script", timeout=10)
    assert await js(page, "location.search") == "?via=script"
    assert await js(page, "document.readyState") == "complete"


async def test_click_on_a_hash_link_returns_at_once(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/link")
    started = time.perf_counter()
    await click(page, "#hash", timeout=10)
    assert time.perf_counter() - started < 3
    assert await js(page, "location.hash") == "#part"


async def test_click_on_a_link_answered_204_returns(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/link")
    started = time.perf_counter()
    await click(page, "#nothing", timeout=10)
    assert time.perf_counter() - started < 3
    assert await js(page, "location.pathname") == "/ix/link"


async def test_click_whose_navigation_never_loads_times_out(fresh_page: Page, site: str) -> None:
    await open_page(fresh_page, site + "/ix/states")
    with pytest.raises(ActionTimeout, match=r"did not load within 0\.8s"):
        await click(fresh_page, "#navigate", timeout=0.8)
    # The page was stopped and still answers.
    assert await js(fresh_page, "1 + 1") == 2


async def test_click_waits_for_a_late_element(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/late")
    started = time.perf_counter()
    await click(page, "#late", timeout=5)
    assert time.perf_counter() - started >= 0.2
    assert await js(page, "seen") == ["late"]


@pytest.mark.parametrize(
    ("selector", "reason"),
    [
        ("#hidden", "element is not visible"),
        ("#invisible", "element is not visible"),
        ("#disabled", "element is disabled"),
        ("#covered", "element is covered by <div#overlay>"),
    ],
)
async def test_click_on_an_element_that_cannot_take_it_is_409(
    page: Page, site: str, selector: str, reason: str
) -> None:
    await open_page(page, site + "/ix/states")
    started = time.perf_counter()
    with pytest.raises(NotActionable) as caught:
        await click(page, selector, timeout=0.5)
    assert caught.value.code == 409
    assert reason in caught.value.message
    assert 0.4 <= time.perf_counter() - started < 2.5
    assert await js(page, "seen") == []


async def test_click_with_no_match_is_404_after_the_timeout(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/button")
    started = time.perf_counter()
    with pytest.raises(NoMatch) as caught:
        await click(page, "#missing", timeout=0.5)
    elapsed = time.perf_counter() - started
    assert caught.value.code == 404
    assert caught.value.message == "selector '#missing' matched no element within 0.5s"
    assert 0.4 <= elapsed < 2.5


async def test_invalid_selector_is_400_at_once(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/button")
    started = time.perf_counter()
    with pytest.raises(BadFrame) as caught:
        await click(page, "div[", timeout=5)
    assert caught.value.code == 400
    assert "div[" in caught.value.message
    assert time.perf_counter() - started < 2


async def test_click_reinstalls_its_helpers_after_a_navigation(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/button")
    await click(page, "#btn", timeout=5)
    await open_page(page, site + "/ix/button")
    await click(page, "#btn", timeout=5)
    assert await js(page, "seen") == ["click:true"]


async def test_click_and_fill_work_with_javascript_off(fresh_page: Page, site: str) -> None:
    # Without JavaScript no timer or animation frame ever fires in the page.
    await apply_options(fresh_page, PageOptions(javascript=False))
    await open_page(fresh_page, site + "/ix/form")
    await fill(fresh_page, "#text", "typed", timeout=5)
    assert await js(fresh_page, "document.querySelector('#text').value") == "typed"
    await open_page(fresh_page, site + "/ix/link")
    await click(fresh_page, "#go", timeout=10)
    assert await js(fresh_page, "location.pathname") == "/ix/landing"
    assert await js(fresh_page, "document.readyState") == "complete"


# --- fill --------------------------------------------------------------------


async def test_fill_replaces_the_text_of_an_input(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/form")
    await fill(page, "#text", "new välue", timeout=5)
    assert await js(page, "document.querySelector('#text').value") == "new välue"
    seen = await js(page, "seen")
    assert "text:input:true" in seen
    assert seen[-1] == "text:change:true"
    assert seen.count("text:change:true") == 1


async def test_fill_with_an_empty_value_clears(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/form")
    await fill(page, "#text", "", timeout=5)
    assert await js(page, "document.querySelector('#text').value") == ""
    assert await js(page, "seen") == ["text:input:true", "text:change:true"]


async def test_fill_an_email_input(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/form")
    await fill(page, "#email", "a@b.example", timeout=5)
    assert await js(page, "document.querySelector('#email').value") == "a@b.example"


async def test_fill_a_textarea(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/form")
    await fill(page, "#area", "line one\nline two", timeout=5)
    assert await js(page, "document.querySelector('#area').value") == "line one\nline two"
    # Each line is an insertion of its own, as when typed.
    seen = await js(page, "seen.filter(s => s.startsWith('area:'))")
    assert set(seen[:-1]) == {"area:input:true"}
    assert seen[-1] == "area:change:true"


async def test_fill_a_contenteditable(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/form")
    await fill(page, "#editable", "plain now", timeout=5)
    assert await js(page, "document.querySelector('#editable').textContent") == "plain now"
    assert "editable:input:true" in await js(page, "seen")


@pytest.mark.parametrize(("value", "chosen"), [("b", "b"), ("Apple", "a"), ("Banana split", "b")])
async def test_fill_a_select_by_value_then_label(
    page: Page, site: str, value: str, chosen: str
) -> None:
    await open_page(page, site + "/ix/form")
    await fill(page, "#fruit", value, timeout=5)
    assert await js(page, "document.querySelector('#fruit').value") == chosen
    assert await js(page, "seen") == ["fruit:input:false", "fruit:change:false"]


async def test_fill_a_select_without_that_option_is_409(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/form")
    with pytest.raises(NotActionable, match="no option with value or label 'durian'"):
        await fill(page, "#fruit", "durian", timeout=0.3)
    with pytest.raises(NotActionable, match="option 'c' is disabled"):
        await fill(page, "#fruit", "c", timeout=0.3)


@pytest.mark.parametrize(
    ("selector", "value", "expected"),
    [
        ("#date", "2024-02-29", "2024-02-29"),
        ("#time", "13:45", "13:45"),
        ("#number", "42.5", "42.5"),
        ("#range", "7", "7"),
        ("#color", "#00FF7f", "#00ff7f"),
        ("#date", "", ""),
    ],
)
async def test_fill_inputs_that_take_a_formatted_value(
    page: Page, site: str, selector: str, value: str, expected: str
) -> None:
    await open_page(page, site + "/ix/form")
    await fill(page, selector, value, timeout=5)
    assert await js(page, f"document.querySelector('{selector}').value") == expected
    name = selector[1:]
    assert await js(page, "seen") == [f"{name}:input:false", f"{name}:change:false"]


@pytest.mark.parametrize(
    ("selector", "value", "kind"),
    [("#date", "29/02/2024", "date"), ("#number", "forty", "number"), ("#color", "red", "color")],
)
async def test_fill_with_a_malformed_value_is_409_at_once(
    page: Page, site: str, selector: str, value: str, kind: str
) -> None:
    await open_page(page, site + "/ix/form")
    started = time.perf_counter()
    with pytest.raises(NotActionable, match=f"value '{value}' is not a valid {kind}"):
        await fill(page, selector, value, timeout=5)
    assert time.perf_counter() - started < 2
    assert await js(page, "seen") == []


@pytest.mark.parametrize(
    ("selector", "reason"),
    [
        ("#agree", "element is not fillable (<input#agree type=checkbox>)"),
        ("#para", "element is not fillable (<p#para>)"),
        ("#locked", "element is read-only"),
    ],
)
async def test_fill_into_what_is_not_a_field_is_409(
    page: Page, site: str, selector: str, reason: str
) -> None:
    await open_page(page, site + "/ix/form")
    with pytest.raises(NotActionable) as caught:
        await fill(page, selector, "x", timeout=0.3)
    assert caught.value.code == 409
    assert reason in caught.value.message
    assert await js(page, "document.querySelector('#agree').checked") is False


async def test_fill_with_no_match_is_404(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/form")
    with pytest.raises(NoMatch, match=r"selector '#nope' matched no element within 0\.3s"):
        await fill(page, "#nope", "x", timeout=0.3)
