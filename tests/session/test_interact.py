"""click and fill on real Chromium, against the interaction pages of tests/site.py."""

from __future__ import annotations

import time

import pytest

from inndx_cdp.browser.browser import Page
from inndx_cdp.errors import ActionTimeout, BadFrame, NoMatch, NotActionable
from inndx_cdp.session.interact import click, fill
from inndx_cdp.session.setup import PageOptions, apply_options

from .conftest import js, open_page

# --- click -------------------------------------------------------------------


async def test_click_sends_trusted_events(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/button")
    await click(shared_page, "#btn", timeout=5)
    assert await js(shared_page, "seen") == ["click:true"]
    assert await js(shared_page, "document.querySelector('#out').textContent") == "clicked"


async def test_click_scrolls_the_element_into_view(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/button")
    await click(shared_page, "#far", timeout=5)
    assert await js(shared_page, "seen") == ["far:true"]
    assert await js(shared_page, "scrollY") > 1000


async def test_click_on_a_link_returns_after_the_new_page_loaded(
    shared_page: Page, site: str
) -> None:
    await open_page(shared_page, site + "/ix/link")
    await click(shared_page, "#go", timeout=10)
    # No waiting here: the landing shared_page (served 200 ms late, with an image
    # 300 ms late) must already be complete.
    assert await js(shared_page, "location.pathname") == "/ix/landing"
    assert await js(shared_page, "document.readyState") == "complete"
    assert await js(shared_page, "document.querySelector('#landed').textContent") == "landed"


async def test_click_waits_for_a_navigation_a_handler_schedules(
    shared_page: Page, site: str
) -> None:
    await open_page(shared_page, site + "/ix/link")
    await click(shared_page, "#script", timeout=10)
    assert await js(shared_page, "location.search") == "?via=script"
    assert await js(shared_page, "document.readyState") == "complete"


async def test_click_on_a_hash_link_returns_at_once(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/link")
    started = time.perf_counter()
    await click(shared_page, "#hash", timeout=10)
    assert time.perf_counter() - started < 3
    assert await js(shared_page, "location.hash") == "#part"


async def test_click_on_a_link_answered_204_returns(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/link")
    started = time.perf_counter()
    await click(shared_page, "#nothing", timeout=10)
    assert time.perf_counter() - started < 3
    assert await js(shared_page, "location.pathname") == "/ix/link"


async def test_click_whose_navigation_never_loads_times_out(page: Page, site: str) -> None:
    await open_page(page, site + "/ix/states")
    with pytest.raises(ActionTimeout, match=r"did not load within 0\.8s"):
        await click(page, "#navigate", timeout=0.8)
    # The page was stopped and still answers.
    assert await js(page, "1 + 1") == 2


async def test_click_waits_for_a_late_element(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/late")
    started = time.perf_counter()
    await click(shared_page, "#late", timeout=5)
    assert time.perf_counter() - started >= 0.2
    assert await js(shared_page, "seen") == ["late"]


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
    shared_page: Page, site: str, selector: str, reason: str
) -> None:
    await open_page(shared_page, site + "/ix/states")
    started = time.perf_counter()
    with pytest.raises(NotActionable) as caught:
        await click(shared_page, selector, timeout=0.5)
    assert caught.value.code == 409
    assert reason in caught.value.message
    assert 0.4 <= time.perf_counter() - started < 2.5
    assert await js(shared_page, "seen") == []


async def test_click_with_no_match_is_404_after_the_timeout(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/button")
    started = time.perf_counter()
    with pytest.raises(NoMatch) as caught:
        await click(shared_page, "#missing", timeout=0.5)
    elapsed = time.perf_counter() - started
    assert caught.value.code == 404
    assert caught.value.message == "selector '#missing' matched no element within 0.5s"
    assert 0.4 <= elapsed < 2.5


async def test_invalid_selector_is_400_at_once(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/button")
    started = time.perf_counter()
    with pytest.raises(BadFrame) as caught:
        await click(shared_page, "div[", timeout=5)
    assert caught.value.code == 400
    assert "div[" in caught.value.message
    assert time.perf_counter() - started < 2


async def test_click_reinstalls_its_helpers_after_a_navigation(
    shared_page: Page, site: str
) -> None:
    await open_page(shared_page, site + "/ix/button")
    await click(shared_page, "#btn", timeout=5)
    await open_page(shared_page, site + "/ix/button")
    await click(shared_page, "#btn", timeout=5)
    assert await js(shared_page, "seen") == ["click:true"]


async def test_click_and_fill_work_with_javascript_off(page: Page, site: str) -> None:
    # Without JavaScript no timer or animation frame ever fires in the page.
    await apply_options(page, PageOptions(javascript=False))
    await open_page(page, site + "/ix/form")
    await fill(page, "#text", "typed", timeout=5)
    assert await js(page, "document.querySelector('#text').value") == "typed"
    await open_page(page, site + "/ix/link")
    await click(page, "#go", timeout=10)
    assert await js(page, "location.pathname") == "/ix/landing"
    assert await js(page, "document.readyState") == "complete"


# --- fill --------------------------------------------------------------------


async def test_fill_replaces_the_text_of_an_input(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/form")
    await fill(shared_page, "#text", "new välue", timeout=5)
    assert await js(shared_page, "document.querySelector('#text').value") == "new välue"
    seen = await js(shared_page, "seen")
    assert "text:input:true" in seen
    assert seen[-1] == "text:change:true"
    assert seen.count("text:change:true") == 1


async def test_fill_with_an_empty_value_clears(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/form")
    await fill(shared_page, "#text", "", timeout=5)
    assert await js(shared_page, "document.querySelector('#text').value") == ""
    assert await js(shared_page, "seen") == ["text:input:true", "text:change:true"]


async def test_fill_an_email_input(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/form")
    await fill(shared_page, "#email", "a@b.example", timeout=5)
    assert await js(shared_page, "document.querySelector('#email').value") == "a@b.example"


async def test_fill_a_textarea(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/form")
    await fill(shared_page, "#area", "line one\nline two", timeout=5)
    assert await js(shared_page, "document.querySelector('#area').value") == "line one\nline two"
    # Each line is an insertion of its own, as when typed.
    seen = await js(shared_page, "seen.filter(s => s.startsWith('area:'))")
    assert set(seen[:-1]) == {"area:input:true"}
    assert seen[-1] == "area:change:true"


async def test_fill_a_contenteditable(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/form")
    await fill(shared_page, "#editable", "plain now", timeout=5)
    assert await js(shared_page, "document.querySelector('#editable').textContent") == "plain now"
    assert "editable:input:true" in await js(shared_page, "seen")


@pytest.mark.parametrize(("value", "chosen"), [("b", "b"), ("Apple", "a"), ("Banana split", "b")])
async def test_fill_a_select_by_value_then_label(
    shared_page: Page, site: str, value: str, chosen: str
) -> None:
    await open_page(shared_page, site + "/ix/form")
    await fill(shared_page, "#fruit", value, timeout=5)
    assert await js(shared_page, "document.querySelector('#fruit').value") == chosen
    assert await js(shared_page, "seen") == ["fruit:input:false", "fruit:change:false"]


async def test_fill_a_select_without_that_option_is_409(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/form")
    with pytest.raises(NotActionable, match="no option with value or label 'durian'"):
        await fill(shared_page, "#fruit", "durian", timeout=0.3)
    with pytest.raises(NotActionable, match="option 'c' is disabled"):
        await fill(shared_page, "#fruit", "c", timeout=0.3)


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
    shared_page: Page, site: str, selector: str, value: str, expected: str
) -> None:
    await open_page(shared_page, site + "/ix/form")
    await fill(shared_page, selector, value, timeout=5)
    assert await js(shared_page, f"document.querySelector('{selector}').value") == expected
    name = selector[1:]
    assert await js(shared_page, "seen") == [f"{name}:input:false", f"{name}:change:false"]


@pytest.mark.parametrize(
    ("selector", "value", "kind"),
    [("#date", "29/02/2024", "date"), ("#number", "forty", "number"), ("#color", "red", "color")],
)
async def test_fill_with_a_malformed_value_is_409_at_once(
    shared_page: Page, site: str, selector: str, value: str, kind: str
) -> None:
    await open_page(shared_page, site + "/ix/form")
    started = time.perf_counter()
    with pytest.raises(NotActionable, match=f"value '{value}' is not a valid {kind}"):
        await fill(shared_page, selector, value, timeout=5)
    assert time.perf_counter() - started < 2
    assert await js(shared_page, "seen") == []


@pytest.mark.parametrize(
    ("selector", "reason"),
    [
        ("#agree", "element is not fillable (<input#agree type=checkbox>)"),
        ("#para", "element is not fillable (<p#para>)"),
        ("#locked", "element is read-only"),
    ],
)
async def test_fill_into_what_is_not_a_field_is_409(
    shared_page: Page, site: str, selector: str, reason: str
) -> None:
    await open_page(shared_page, site + "/ix/form")
    with pytest.raises(NotActionable) as caught:
        await fill(shared_page, selector, "x", timeout=0.3)
    assert caught.value.code == 409
    assert reason in caught.value.message
    assert await js(shared_page, "document.querySelector('#agree').checked") is False


async def test_fill_with_no_match_is_404(shared_page: Page, site: str) -> None:
    await open_page(shared_page, site + "/ix/form")
    with pytest.raises(NoMatch, match=r"selector '#nope' matched no element within 0\.3s"):
        await fill(shared_page, "#nope", "x", timeout=0.3)
