"""The open frame's client options, proved by their effect in the page and on the site.

Every test runs on both builds: the headless shell (``standard``) shared by
the run, and full Chromium (``chrome``) launched once for this module.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import psutil
import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.session import interact
from inndx_cdp.session.goto import GotoRequest, GotoResult, goto
from inndx_cdp.session.setup import PageOptions, apply_options, prepare_page

from .conftest import js


@pytest.fixture(scope="module")
async def chrome() -> AsyncIterator[Browser]:
    """Full Chromium, once for the module (it takes a few hundred ms to start)."""
    browser = await Browser.launch("chrome")
    yield browser
    await browser.close()


@pytest.fixture(params=["standard", "chrome"])
async def kind_page(
    request: pytest.FixtureRequest, browser: Browser, chrome: Browser
) -> AsyncIterator[Page]:
    """A fresh prepared page on each build."""
    chosen = browser if request.param == "standard" else chrome
    page = await chosen.new_page()
    await prepare_page(page)
    yield page
    await page.dispose()


async def visit(page: Page, url: str) -> GotoResult:
    return await goto(page, GotoRequest(url=url), timeout=20, max_redirects=5, max_retries=0)


async def test_the_two_kinds_are_different_builds(browser: Browser, chrome: Browser) -> None:
    assert browser.kind == "standard"
    assert chrome.kind == "chrome"
    shell = psutil.Process(browser.process.pid).exe()
    full = psutil.Process(chrome.process.pid).exe()
    assert "headless-shell" in shell
    assert "headless-shell" not in full
    assert shell != full


async def test_default_viewport_is_1280x720(kind_page: Page, site: str) -> None:
    await visit(kind_page, site + "/")
    assert await js(kind_page, "[innerWidth, innerHeight]") == [1280, 720]


async def test_viewport(kind_page: Page, site: str) -> None:
    await apply_options(kind_page, PageOptions(width=412, height=915))
    await visit(kind_page, site + "/")
    assert await js(kind_page, "[innerWidth, innerHeight]") == [412, 915]
    assert await js(kind_page, "matchMedia('(max-width: 500px)').matches") is True


async def test_locale_reaches_the_site_and_the_page(kind_page: Page, site: str) -> None:
    await apply_options(kind_page, PageOptions(locale="de-DE"))
    result = await visit(kind_page, site + "/cm/headers")
    assert json.loads(result.body or b"{}")["accept-language"] == "de-DE"
    assert await js(kind_page, "[navigator.language, navigator.languages]") == [
        "de-DE",
        ["de-DE"],
    ]
    assert await js(kind_page, "Intl.NumberFormat().resolvedOptions().locale") == "de-DE"
    assert await js(kind_page, "(1234.5).toLocaleString()") == "1.234,5"
    # Subresources carry it too.
    fetched = await js(kind_page, "fetch('/cm/headers').then(r => r.json())")
    assert fetched["accept-language"] == "de-DE"


async def test_without_locale_the_page_keeps_the_default(kind_page: Page, site: str) -> None:
    result = await visit(kind_page, site + "/cm/headers")
    assert json.loads(result.body or b"{}").get("accept-language") != "de-DE"
    assert await js(kind_page, "navigator.language") != "de-DE"


@pytest.mark.parametrize(
    ("zone", "january_offset", "july_offset"),
    [("Asia/Tokyo", -540, -540), ("America/New_York", 300, 240), ("UTC", 0, 0)],
)
async def test_timezone_intl_and_date_agree(
    kind_page: Page, site: str, zone: str, january_offset: int, july_offset: int
) -> None:
    await apply_options(kind_page, PageOptions(timezone=zone))
    await visit(kind_page, site + "/")
    assert await js(kind_page, "Intl.DateTimeFormat().resolvedOptions().timeZone") == zone
    offsets = await js(
        kind_page,
        "[new Date(2024, 0, 15).getTimezoneOffset(), new Date(2024, 6, 15).getTimezoneOffset()]",
    )
    assert offsets == [january_offset, july_offset]
    # Date's own local time is the zone's: the hour of a fixed instant.
    hour = await js(kind_page, "new Date(Date.UTC(2024, 0, 15, 12, 0)).getHours()")
    assert hour == (12 - january_offset // 60) % 24


async def test_javascript_on_by_default(kind_page: Page, site: str) -> None:
    await visit(kind_page, site + "/cm/js")
    assert await js(kind_page, "document.querySelector('#p').textContent") == "script ran"


async def test_javascript_off_scripts_do_not_run(kind_page: Page, site: str) -> None:
    await apply_options(kind_page, PageOptions(javascript=False))
    result = await visit(kind_page, site + "/cm/js")
    assert result.status_code == 200
    assert await js(kind_page, "document.querySelector('#p').textContent") == "static"
    # <noscript> content is parsed as markup when scripting is off.
    assert await js(kind_page, "document.querySelector('#ns')?.textContent") == "no script"
    # A second goto in the same page works as well (nothing is left waiting).
    again = await visit(kind_page, site + "/cm/js?again=1")
    assert again.url.endswith("again=1")


async def test_javascript_off_click_and_fill_still_work(kind_page: Page, site: str) -> None:
    await apply_options(kind_page, PageOptions(javascript=False))
    await visit(kind_page, site + "/ix/form")
    await interact.fill(kind_page, "#text", "typed", timeout=10)
    assert await js(kind_page, "document.querySelector('#text').value") == "typed"
    # The page's own listeners did not run.
    assert await js(kind_page, "typeof window.seen") == "undefined"
    await visit(kind_page, site + "/ix/link")
    await interact.click(kind_page, "#go", timeout=10)
    assert await js(kind_page, "location.pathname") == "/ix/landing"


@pytest.mark.parametrize(
    "path", ["/goto/client/meta", "/goto/client/header", "/goto/client/onload"]
)
async def test_client_redirects_are_followed_on_both_builds(
    kind_page: Page, site: str, path: str
) -> None:
    """The settle window starts at the load event on either build (an onload timer too)."""
    answer = await visit(kind_page, site + path)
    assert answer.url == site + "/goto/landing"
    assert [(r["url"], r["side"]) for r in answer.redirects] == [(site + path, "client")]
    assert await js(kind_page, "document.querySelector('#where').textContent") == "landing"
