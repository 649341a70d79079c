"""The browser process and its pages, on real Chromium."""

from __future__ import annotations

import os

import psutil
import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.errors import BrowserGone, LaunchError


async def test_page_evaluates_over_the_pipe(page: Page) -> None:
    result = await page.cdp.send("Runtime.evaluate", {"expression": "6 * 7", "returnByValue": True})
    assert result["result"]["value"] == 42


async def test_contexts_do_not_share_cookies(browser: Browser, site: str) -> None:
    first, second = await browser.new_page(), await browser.new_page()
    try:
        for page in (first, second):
            await page.cdp.send("Page.enable")
        await first.cdp.send("Page.navigate", {"url": site + "/"})
        await first.cdp.send(
            "Runtime.evaluate", {"expression": "document.cookie = 'who=first; path=/'"}
        )
        await second.cdp.send("Page.navigate", {"url": site + "/"})
        seen = await second.cdp.send(
            "Runtime.evaluate", {"expression": "document.cookie", "returnByValue": True}
        )
        assert "who=first" not in seen["result"]["value"]
    finally:
        await first.dispose()
        await second.dispose()


async def test_disposed_context_is_gone(browser: Browser) -> None:
    page = await browser.new_page()
    await page.dispose()
    contexts = await browser.connection.browser.send("Target.getBrowserContexts")
    assert page.context_id not in contexts["browserContextIds"]
    with pytest.raises(BrowserGone):
        await page.cdp.send("Runtime.evaluate", {"expression": "1"})


async def test_killed_browser_fails_pending_calls_and_leaves_nothing() -> None:
    own = await Browser.launch("standard")
    page = await own.new_page()
    profile = own.process.profile_dir
    stuck = page.cdp.send(
        "Runtime.evaluate", {"expression": "new Promise(() => {})", "awaitPromise": True}
    )
    os.killpg(own.process.pid, 9)
    with pytest.raises(BrowserGone):
        await stuck
    await own.close()
    assert (
        not psutil.pid_exists(own.process.pid)
        or psutil.Process(own.process.pid).status() == psutil.STATUS_ZOMBIE
    )
    assert not os.path.exists(profile)


async def test_missing_binary_says_how_to_install() -> None:
    with pytest.raises(LaunchError, match=r"chromium/install\.sh"):
        await Browser.launch("standard", binary="/nonexistent/chromium-headless-shell")


async def test_full_chromium_navigates_and_leaves_nothing(site: str) -> None:
    """The ``chrome`` kind loads pages (it cancels them all without crashpad) and cleans up."""
    full = await Browser.launch("chrome")
    profile = full.process.profile_dir
    try:
        page = await full.new_page()
        for url in (site + "/", "data:text/html,<p>inline</p>"):
            answer = await page.cdp.send("Page.navigate", {"url": url})
            assert "errorText" not in answer, (url, answer)
        tree = full.process.tree()
        assert len(tree) > 1
    finally:
        await full.close()
    _, alive = psutil.wait_procs(tree, timeout=5)
    assert all(p.status() == psutil.STATUS_ZOMBIE for p in alive if p.is_running())
    assert not os.path.exists(profile)
