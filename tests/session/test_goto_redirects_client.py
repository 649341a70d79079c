"""Client-side redirects: meta refresh, Refresh header, script location changes."""

from __future__ import annotations

import asyncio

import pytest

from inndx_cdp.browser.browser import Page
from inndx_cdp.errors import TooManyRedirects

from .goto_helpers import assert_same_exchange, js, run_goto
from .plain_http import fetch


@pytest.mark.parametrize(
    "path",
    ["/goto/client/meta", "/goto/client/header", "/goto/client/script", "/goto/client/onload"],
)
async def test_each_client_redirect_kind_is_followed_and_reported(
    page: Page, site: str, path: str
) -> None:
    answer = await run_goto(page, site + path)
    # A plain client sees the first page as it is; the goto lands where the
    # page sent the browser, and answers with that document's exchange.
    first = await fetch(site + path)
    assert first.status_code == 200
    landing = await fetch(site + "/goto/landing")
    assert answer.redirects == [
        {
            "url": site + path,
            "location": site + "/goto/landing",
            "side": "client",
            "type": "temporary",
        }
    ]
    landing.redirects = answer.redirects
    landing.cookies = first.cookies + landing.cookies
    assert_same_exchange(answer, landing)
    assert await js(page, "document.querySelector('#where').textContent") == "landing"


async def test_client_then_server_redirect_in_order(page: Page, site: str) -> None:
    start = site + "/goto/client/then-server"
    answer = await run_goto(page, start)
    assert answer.redirects == [
        {
            "url": start,
            "location": site + "/goto/redirect/301?to=/goto/landing",
            "side": "client",
            "type": "temporary",
        },
        {
            "url": site + "/goto/redirect/301?to=/goto/landing",
            "location": site + "/goto/landing",
            "side": "server",
            "type": "permanent",
        },
    ]
    assert answer.url == site + "/goto/landing"


async def test_client_hops_count_towards_max_redirects(page: Page, site: str) -> None:
    with pytest.raises(TooManyRedirects):
        await run_goto(page, site + "/goto/client/then-server", max_redirects=1)
    answer = await run_goto(page, site + "/goto/client/then-server", max_redirects=2)
    assert len(answer.redirects) == 2


async def test_a_distant_refresh_is_not_waited_for(page: Page, site: str) -> None:
    answer = await run_goto(page, site + "/goto/client/meta-slow", timeout=10)
    assert answer.redirects == []
    assert answer.url == site + "/goto/client/meta-slow"
    assert await js(page, "document.querySelector('#where').textContent") == "stay"


async def test_a_client_chain_past_the_limit_is_310_and_stops(page: Page, site: str) -> None:
    with pytest.raises(TooManyRedirects) as caught:
        await run_goto(page, site + "/goto/client/meta-chain/3", max_redirects=2)
    assert caught.value.code == 310
    answer = await run_goto(page, site + "/goto/page")
    assert answer.status_code == 200
    # Nothing of the stopped chain takes the page away afterwards.
    await asyncio.sleep(0.3)
    assert await js(page, "location.pathname") == "/goto/page"


async def test_a_client_chain_at_the_limit_passes(page: Page, site: str) -> None:
    answer = await run_goto(page, site + "/goto/client/meta-chain/3", max_redirects=3)
    assert [hop["side"] for hop in answer.redirects] == ["client"] * 3
    assert answer.url == site + "/goto/client/meta-chain/0"
