"""Crashes on real Chromium: a crash costs only what crashed, and new sessions keep working."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import aiohttp
import psutil

from inndx_cdp.browser.browser import Page

from .conftest import Client, Served, connect, running_server, wait_until


def page_of(served: Served, client: Client) -> Page:
    """The browser page behind a client's session."""
    for socket in list(served.state.sockets):
        if socket.session is not None and socket.session.id == client.session_id:
            return socket.session.page
    raise AssertionError(f"no live session {client.session_id}")


async def ends_with(
    client: Client, code: int, close: int, timeout: float = 10
) -> dict[str, object]:
    """Read frames until the fatal one; check its code and the close code that follows."""
    while True:
        frame = await client.recv(timeout=timeout)
        if frame.get("type") == "fatal":
            break
    assert frame["code"] == code, frame
    assert await client.closed(timeout=timeout) == close
    return frame


async def ready(served: Served) -> bool:
    async with aiohttp.ClientSession() as http, http.get(served.http + "/readyz") as response:
        return response.status == 200


async def test_browser_killed_mid_action_ends_its_sessions_with_503(site: str) -> None:
    async with running_server(warm_pages=2) as served:
        async with connect(served.url) as busy, connect(served.url) as idle:
            browser = page_of(served, busy).browser
            assert page_of(served, idle).browser is browser
            pid, profile = browser.process.pid, browser.process.profile_dir
            tree = browser.process.tree()
            await busy.send({"action": "goto", "url": site + "/slow?s=3", "id": 7})
            await asyncio.sleep(0.3)  # the navigation is under way

            killed = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            fatal = await ends_with(busy, 503, 1001)
            busy_after = time.monotonic() - killed
            assert fatal["id"] == 7
            await ends_with(idle, 503, 1001)
            idle_after = time.monotonic() - killed
            print(f"fatal 503 after {busy_after * 1000:.0f} ms (busy), {idle_after * 1000:.0f} ms")
            # Within a second on an idle machine; leave room for a loaded one.
            assert idle_after < 3, idle_after

            # A new session works at once, on a new browser.
            async with connect(served.url) as fresh:
                assert page_of(served, fresh).browser.process.pid != pid
                reply = await fresh.call({"action": "goto", "url": site + "/"})
                assert reply["status_code"] == 200

        assert served.pool.restarts == 1
        # The pool replaced the browser and refilled its warm set by itself.
        await wait_until(lambda: ready(served))
        await wait_until(lambda: served.pool.stats().warm == 2)
        # Nothing of the dead browser is left: no process, no profile folder.
        await wait_until(lambda: not os.path.exists(profile))
        _, alive = psutil.wait_procs(tree, timeout=5)
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


async def test_idle_session_learns_of_browser_death_within_a_second() -> None:
    async with running_server(warm_pages=1) as served, connect(served.url) as client:
        pid = page_of(served, client).browser.process.pid
        killed = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        frame = await ends_with(client, 503, 1001)
        elapsed = time.monotonic() - killed
        print(f"idle session told after {elapsed * 1000:.0f} ms: {frame['message']}")
        assert elapsed < 3, elapsed
        assert "browser" in str(frame["message"])


async def test_renderer_crash_ends_only_that_session(site: str) -> None:
    async with running_server(warm_pages=1) as served:
        await wait_until(lambda: served.pool.stats().warm == 1)
        baseline = await served.contexts()
        async with connect(served.url) as victim, connect(served.url) as bystander:
            for client in (victim, bystander):
                reply = await client.call({"action": "goto", "url": site + "/"})
                assert reply["status_code"] == 200
            page = page_of(served, victim)
            # Page.crash never answers: the renderer is gone before it could.
            crash = asyncio.ensure_future(page.cdp.send("Page.crash"))
            frame = await ends_with(victim, 500, 1011)
            assert "crash" in str(frame["message"])
            with contextlib.suppress(Exception):
                await crash

            reply = await bystander.call({"action": "evaluate", "script": "document.title"})
            assert reply == {"action": "evaluated", "result": "index"}
            async with connect(served.url) as fresh:
                reply = await fresh.call({"action": "evaluate", "script": "1 + 1"})
                assert reply["result"] == 2
        assert served.pool.restarts == 0
        # The crashed session's context was disposed like any other.
        await wait_until(lambda: served.pool.stats().warm == 1)
        await wait_until(lambda: _at_most(served, baseline))


async def test_crash_while_an_action_runs_is_fatal_500_with_its_id(site: str) -> None:
    async with running_server(warm_pages=1) as served, connect(served.url) as client:
        await client.send(
            {"action": "evaluate", "script": "new Promise(r => setTimeout(r, 20000))", "id": "e"}
        )
        await asyncio.sleep(0.2)
        page = page_of(served, client)
        crash = asyncio.ensure_future(page.cdp.send("Page.crash"))
        frame = await ends_with(client, 500, 1011)
        assert frame["id"] == "e"
        with contextlib.suppress(Exception):
            await crash


async def _at_most(served: Served, contexts: int) -> bool:
    return await served.contexts() <= contexts
