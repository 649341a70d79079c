"""The browser pool on real Chromium: warm pages, proxies, recycling, replacement, shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import psutil
import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.browser.pool import BrowserPool, PoolConfig
from inndx_cdp.errors import LaunchError
from inndx_cdp.session.setup import prepare_page

from ..conftest import our_chromium_processes, profile_folders


@asynccontextmanager
async def pool_with(**config: Any) -> AsyncIterator[BrowserPool]:
    async with BrowserPool(PoolConfig(binaries={}, **config), prepare_page) as pool:
        yield pool


async def wait_until(condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def evaluate(page: Page, expression: str) -> Any:
    result = await page.cdp.send("Runtime.evaluate", {"expression": expression})
    return result["result"].get("value")


async def contexts(browser: Browser) -> list[str]:
    found = await browser.connection.browser.send("Target.getBrowserContexts")
    ids: list[str] = found["browserContextIds"]
    return ids


def gone(browser: Browser, tree: list[psutil.Process]) -> bool:
    """True once the browser's whole process tree and its profile folder are gone."""
    _, alive = psutil.wait_procs(tree, timeout=0)
    alive = [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]
    return not alive and not os.path.exists(browser.process.profile_dir)


async def test_lease_takes_a_warm_page_and_the_set_refills() -> None:
    async with pool_with(warm_pages=2) as pool:
        (browser,) = pool.browsers()
        warm = set(browser.pages)
        assert len(warm) == 2
        page = await pool.lease("standard")
        assert page in warm  # prepared in advance, not made for this lease
        assert await evaluate(page, "6 * 7") == 42
        await wait_until(lambda: pool.stats().warm == 2)
        await pool.release(page)
        assert page.context_id not in await contexts(browser)
        assert pool.stats().pages == 2


async def test_proxied_lease_gets_a_fresh_context_with_its_proxy(site: str) -> None:
    async with pool_with(warm_pages=1) as pool:
        (browser,) = pool.browsers()
        warm = set(browser.pages)
        # Nothing listens on port 9: a page that really uses the proxy cannot load.
        page = await pool.lease("standard", proxy_server="http://127.0.0.1:9")
        try:
            assert page not in warm
            assert set(browser.pages) - {page} == warm  # the warm set was not touched
            navigated = await page.cdp.send("Page.navigate", {"url": site + "/"})
            assert navigated.get("errorText") == "net::ERR_PROXY_CONNECTION_FAILED"
        finally:
            await pool.release(page)


async def test_browser_is_retired_after_max_sessions_without_disturbing_them() -> None:
    async with pool_with(warm_pages=1, max_sessions_per_browser=3) as pool:
        (first,) = pool.browsers()
        tree = first.process.tree()
        held = []
        for _ in range(3):
            held.append(await pool.lease("standard"))
            await wait_until(lambda: pool.stats().warm == 1)
        # Three contexts were made on the first browser (the third as a warm
        # page), so it is retired and the warm page now comes from a replacement.
        assert all(page.browser is first for page in held)
        assert first.pages_opened == 3
        assert pool.stats().retired == 1
        fresh = await pool.lease("standard")
        assert fresh.browser is not first
        # The retired browser keeps serving the sessions still on it ...
        for page in held:
            assert await evaluate(page, "1 + 1") == 2
        for page in held[:2]:
            await pool.release(page)
        assert first.alive
        # ... and stops once the last of them is gone.
        await pool.release(held[2])
        await wait_until(lambda: gone(first, tree))
        assert pool.browsers() == [fresh.browser]
        await pool.release(fresh)


async def test_browser_over_the_memory_limit_is_retired_and_replaced() -> None:
    # A fresh headless shell with two pages uses about 130 MB here; one page
    # that fills 400 MB puts its browser over a 400 MB limit.
    limit = 400 * 1024**2
    async with pool_with(warm_pages=1, max_browser_memory=limit, memory_check_interval=0.2) as pool:
        (first,) = pool.browsers()
        page = await pool.lease("standard")
        filled = await evaluate(page, "(window.big = new Uint8Array(400 * 2 ** 20).fill(1)).length")
        assert filled == 400 * 2**20
        await wait_until(lambda: pool.stats().retired == 1)
        await wait_until(lambda: pool.ready() and pool.stats().retiring == 1)
        # The warm page made before the check still comes from the old browser;
        # every page made after it comes from the replacement.
        leased = [await pool.lease("standard")]
        while leased[-1].browser is first:
            assert len(leased) <= 1, "a page was made on the retired browser"
            leased.append(await pool.lease("standard"))
        assert await evaluate(page, "big.length") == 400 * 2**20  # not disturbed
        tree = first.process.tree()
        for other in leased:
            await pool.release(other)
        assert first.alive  # a session is still on it
        await pool.release(page)
        await wait_until(lambda: gone(first, tree))
        assert pool.stats().retired == 1  # the replacement stays under the limit


async def test_dead_browser_is_replaced_without_waiting_for_a_lease() -> None:
    async with pool_with(warm_pages=2) as pool:
        (first,) = pool.browsers()
        tree = first.process.tree()
        os.kill(first.process.pid, signal.SIGKILL)
        await wait_until(lambda: pool.restarts == 1)
        await wait_until(lambda: pool.ready() and pool.stats().warm == 2)
        (second,) = pool.browsers()
        assert second is not first
        await wait_until(lambda: gone(first, tree))
        page = await pool.lease("standard")
        assert await evaluate(page, "'alive'") == "alive"
        await pool.release(page)


async def test_close_during_a_replacement_leaves_nothing() -> None:
    before = {p.pid for p in our_chromium_processes()}
    profiles = set(profile_folders())
    pool = BrowserPool(PoolConfig(binaries={}, warm_pages=1), prepare_page)
    await pool.start()
    (first,) = pool.browsers()
    os.kill(first.process.pid, signal.SIGKILL)
    await wait_until(lambda: pool.restarts == 1)
    await pool.close()  # while the replacement is starting
    assert pool.browsers() == []
    _, alive = psutil.wait_procs(
        [p for p in our_chromium_processes() if p.pid not in before], timeout=3
    )
    assert not alive
    assert set(profile_folders()) <= profiles


async def test_lease_waits_for_the_replacement_when_no_browser_is_left() -> None:
    async with pool_with(warm_pages=1) as pool:
        (first,) = pool.browsers()
        os.kill(first.process.pid, signal.SIGKILL)
        await wait_until(lambda: not first.alive)
        page = await pool.lease("standard")
        assert page.browser is not first
        assert await evaluate(page, "3") == 3
        await pool.release(page)


async def test_sessions_spread_over_the_browsers_of_a_kind() -> None:
    async with pool_with(warm_pages=4, browsers_per_kind=2) as pool:
        assert pool.stats().browsers == 2  # all started before the warm set is filled
        pages = [await pool.lease("standard") for _ in range(4)]
        assert len({page.browser for page in pages}) == 2
        for page in pages:
            await pool.release(page)


async def test_failed_start_stops_what_it_started() -> None:
    before = {p.pid for p in our_chromium_processes()}
    profiles = set(profile_folders())
    # The standard browser starts, the chrome one cannot: nothing may be left.
    config = PoolConfig(
        binaries={"chrome": "/nonexistent/chromium"}, eager_kinds=("standard", "chrome")
    )
    pool = BrowserPool(config, prepare_page)
    with pytest.raises(LaunchError):
        await pool.start()
    assert pool.browsers() == []
    _, alive = psutil.wait_procs(
        [p for p in our_chromium_processes() if p.pid not in before], timeout=3
    )
    assert not alive
    assert set(profile_folders()) <= profiles
