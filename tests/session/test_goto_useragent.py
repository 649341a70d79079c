"""User-agent keywords: the strings, and client hints that agree with them."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from typing import Any

import pytest

from inndx_cdp import __version__
from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.session.setup import prepare_page
from inndx_cdp.session.useragent import chrome_brands, resolve_user_agent

from .goto_helpers import js, run_goto

UA_DATA = """(async () => navigator.userAgentData ? {
    brands: navigator.userAgentData.brands,
    platform: navigator.userAgentData.platform,
    high: await navigator.userAgentData.getHighEntropyValues(
        ['fullVersionList', 'architecture', 'bitness', 'platformVersion', 'model', 'formFactors']),
} : null)()"""


async def sent_headers(page: Page, site: str, user_agent: str) -> dict[str, str]:
    answer = await run_goto(page, site + "/goto/echo", user_agent=user_agent)
    assert answer.body is not None
    return {name.lower(): value for name, value in json.loads(answer.body)["headers"]}


async def test_inndx_names_the_project_and_its_version(page: Page, site: str) -> None:
    headers = await sent_headers(page, site, "inndx")
    assert headers["user-agent"] == f"Mozilla/5.0 (compatible; inndx-cdp/{__version__})"
    assert not [name for name in headers if name.startswith("sec-ch-ua")]
    assert await js(page, "navigator.userAgent") == headers["user-agent"]
    # No brands claimed: an honest agent that is no browser has nothing to hide.
    assert await js(page, "navigator.userAgentData.brands") == []


async def test_chrome_is_the_browsers_own_version_and_hints_agree(
    browser: Browser, page: Page, site: str
) -> None:
    # What the browser says of itself before any override: its real brands.
    await run_goto(page, site + "/goto/page", user_agent="inndx")
    fresh = await browser.new_page()
    try:
        await prepare_page(fresh)
        with fresh.cdp.listen("Page.loadEventFired") as events:
            await fresh.cdp.send("Page.navigate", {"url": site + "/goto/page"})
            await events.next("Page.loadEventFired")
        native = await js(fresh, UA_DATA)
    finally:
        await fresh.dispose()

    headers = await sent_headers(page, site, "chrome")
    ua = headers["user-agent"]
    major, full = browser.product.split("/")[1].split(".")[0], browser.product.split("/")[1]
    assert "Headless" not in ua
    assert f"Chrome/{major}.0.0.0 " in ua  # reduced, as Chrome sends it
    # The brands are the browser's own, with Chrome's brand for the headless one.
    expected = [
        {**brand, "brand": "Google Chrome"} if brand["brand"] == "HeadlessChrome" else brand
        for brand in native["brands"]
    ]
    mine = await js(page, UA_DATA)
    assert mine["brands"] == expected
    assert "Headless" not in json.dumps(mine)
    assert {b["version"] for b in mine["high"]["fullVersionList"] if "Not" not in b["brand"]} == {
        full
    }
    assert mine["high"]["architecture"] == native["high"]["architecture"]
    assert mine["high"]["bitness"] == native["high"]["bitness"]
    assert mine["high"]["formFactors"] == native["high"]["formFactors"]
    assert mine["platform"] == "Linux"
    assert headers["sec-ch-ua"] == ", ".join(f'"{b["brand"]}";v="{b["version"]}"' for b in expected)
    assert headers["sec-ch-ua-mobile"] == "?0"
    assert headers["sec-ch-ua-platform"] == '"Linux"'
    assert await js(page, "navigator.userAgent") == ua


@pytest.mark.parametrize(
    ("keyword", "token", "platform"),
    [("firefox", "Firefox/", "Linux x86_64"), ("safari", "Version/", "MacIntel")],
)
async def test_other_browsers_send_no_client_hints(
    page: Page, site: str, keyword: str, token: str, platform: str
) -> None:
    headers = await sent_headers(page, site, keyword)
    assert token in headers["user-agent"]
    assert not [name for name in headers if name.startswith("sec-ch-ua")]
    assert await js(page, "'userAgentData' in navigator") is False
    assert await js(page, "navigator.platform") == platform
    # Back to Chrome: the hints come back.
    await sent_headers(page, site, "chrome")
    assert await js(page, "navigator.userAgentData.brands.length") == 3


async def test_a_custom_string_is_used_verbatim(page: Page, site: str) -> None:
    headers = await sent_headers(page, site, "my-crawler/2.1 (+https://example.org/bot)")
    assert headers["user-agent"] == "my-crawler/2.1 (+https://example.org/bot)"
    assert not [name for name in headers if name.startswith("sec-ch-ua")]


async def test_a_custom_firefox_string_hides_chromium_traits(page: Page, site: str) -> None:
    custom = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:150.0) Gecko/20100101 Firefox/150.0"
    headers = await sent_headers(page, site, custom)
    assert headers["user-agent"] == custom
    assert not [name for name in headers if name.startswith("sec-ch-ua")]
    assert await js(page, "'userAgentData' in navigator") is False


async def test_random_picks_one_of_the_browsers(page: Page, site: str) -> None:
    agents = {(await sent_headers(page, site, "random"))["user-agent"] for _ in range(6)}
    assert agents
    assert all(re.search(r"Chrome/|Firefox/|Version/", agent) for agent in agents)


# --- pure logic --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "firefox", "safari"),
    [
        (dt.date(2025, 12, 9), "146.0", "26.2"),
        (dt.date(2026, 1, 6), "147.0", "26.3"),
        (dt.date(2026, 8, 31), "155.0", "26.6"),
        (dt.date(2026, 9, 15), "156.0", "27.0"),
        (dt.date(2026, 12, 4), "158.0", "27.2"),
    ],
)
def test_firefox_and_safari_versions_follow_their_release_trains(
    today: dt.date, firefox: str, safari: str
) -> None:
    ff = resolve_user_agent("firefox", "", today=today).user_agent
    assert f"rv:{firefox}) Gecko/20100101 Firefox/{firefox}" in ff
    sa = resolve_user_agent("safari", "", today=today).user_agent
    assert f"Version/{safari} Safari/605.1.15" in sa


@pytest.mark.parametrize(
    ("major", "grease"),
    [
        (120, {"brand": "Not_A Brand", "version": "8"}),
        (143, {"brand": "Not A(Brand", "version": "24"}),
    ],
)
def test_grease_brand_matches_what_chrome_sent(major: int, grease: dict[str, Any]) -> None:
    assert grease in chrome_brands(major, str(major))


def test_random_is_seedable() -> None:
    picks = {
        resolve_user_agent("random", "HeadlessChrome/1.0", random.Random(seed)).user_agent
        for seed in range(20)
    }
    assert len(picks) == 3
