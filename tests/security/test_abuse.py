"""Hostile pages end or are stopped without taking the browser or other sessions down."""

from __future__ import annotations

import asyncio
import base64
import struct
import time

import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.errors import FrameTooLarge
from inndx_cdp.session.goto import GotoRequest, goto
from inndx_cdp.session.read import MAX_SIDE

from ..server.conftest import Client, connect
from .conftest import ANSWER_LIMIT, Guarded, Hostile
from .helpers import expect_error


async def assert_healthy(client: Client) -> None:
    """The session answers at once."""
    reply = await client.call({"action": "evaluate", "script": "6 * 7"}, timeout=10)
    assert reply == {"action": "evaluated", "result": 42}


def the_browser(guarded: Guarded) -> Browser:
    (browser,) = [b for b in guarded.served.pool.browsers() if b.kind == "standard"]
    return browser


async def test_a_memory_hog_ends_only_its_own_session(guarded: Guarded, hostile: Hostile) -> None:
    browser = the_browser(guarded)
    pid = browser.process.pid
    async with (
        connect(guarded.url, {"timeout": "20s"}) as bystander,
        connect(guarded.url, {"timeout": "20s"}) as hog,
    ):
        await hog.call({"action": "goto", "url": f"{hostile.allowed}/hog"})
        # No action runs: the page's renderer is killed and the session ends on its own.
        fatal = await hog.recv(timeout=60)
        assert (fatal["type"], fatal["code"]) == ("fatal", 500), fatal
        assert "renderer" in fatal["message"]
        await hog.closed()
        await assert_healthy(bystander)
    assert browser.alive
    assert browser.process.pid == pid
    assert browser.memory is not None
    assert browser.memory.killed >= 1


async def only_known_pages(browser: Browser, seconds: float = 5.0) -> bool:
    """Whether every page target soon is one the pool knows (a session's or a warm one)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        targets = await browser.connection.browser.send("Target.getTargets")
        pages = {t["targetId"] for t in targets["targetInfos"] if t["type"] == "page"}
        if pages <= {p.target_id for p in browser.pages}:
            return True
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)


async def test_windows_a_page_opens_are_closed(guarded: Guarded, hostile: Hostile) -> None:
    browser = the_browser(guarded)
    async with connect(guarded.url, {"timeout": "5s"}) as client:
        await client.call({"action": "goto", "url": f"{hostile.allowed}/opens-windows"})
        for selector in ("#link", "#button", "#link"):
            assert (await client.call({"action": "click", "selector": selector}))["action"]
        assert await only_known_pages(browser)
        await assert_healthy(client)


async def test_endless_popups_end_only_their_own_session(
    guarded: Guarded, hostile: Hostile
) -> None:
    browser = the_browser(guarded)
    async with (
        connect(guarded.url, {"timeout": "5s"}) as bystander,
        connect(guarded.url, {"timeout": "5s"}) as opener,
    ):
        await opener.send({"action": "goto", "url": f"{hostile.allowed}/popups"})
        reply = await opener.recv(timeout=30)
        if reply.get("action") == "goto":  # the loop may start after the answer
            reply = await opener.recv(timeout=30)
        assert (reply["type"], reply["code"]) == ("fatal", 500), reply
        assert "windows" in reply["message"]
        await opener.closed()
        await assert_healthy(bystander)
    assert browser.alive
    assert await only_known_pages(browser)


async def test_a_script_that_never_yields_is_stopped(guarded: Guarded, hostile: Hostile) -> None:
    async with (
        connect(guarded.url, {"timeout": "3s"}) as bystander,
        connect(guarded.url, {"timeout": "3s"}) as spinner,
    ):
        await spinner.call({"action": "goto", "url": f"{hostile.allowed}/spin"})
        await asyncio.sleep(0.2)  # the loop runs now
        started = time.monotonic()
        await assert_healthy(bystander)  # another session is not held up
        assert time.monotonic() - started < 3
        # The spinning page's next action times out, and stops the loop ...
        # (On a busy machine the page's 50 ms timer can fire seconds late.)
        deadline = time.monotonic() + 15
        while True:
            reply = await spinner.call({"action": "evaluate", "script": "1"})
            if reply.get("code") == 408 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        expect_error(reply, 408)
        # ... so the session takes actions again.
        await assert_healthy(spinner)


async def test_a_goto_to_a_page_that_never_yields_is_stopped(
    guarded: Guarded, hostile: Hostile
) -> None:
    async with connect(guarded.url, {"timeout": "3s"}) as spinner:
        reply = await spinner.call(
            {"action": "goto", "url": f"{hostile.allowed}/spin?when=inline"}, timeout=30
        )
        expect_error(reply, 408)
        await assert_healthy(spinner)
        reply = await spinner.call({"action": "goto", "url": f"{hostile.allowed}/"})
        assert reply["status_code"] == 200, reply


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_full_page_screenshot_of_an_endless_page_is_bounded(
    guarded: Guarded, hostile: Hostile
) -> None:
    async with connect(guarded.url, {"timeout": "60s"}) as client:
        await client.call({"action": "goto", "url": f"{hostile.allowed}/tall"})
        reply = await client.call({"action": "screenshot", "full_page": True}, timeout=90)
        assert reply["action"] == "screenshot", reply
        width, height = png_size(base64.b64decode(reply["screenshot"]))
        assert width == 1280
        assert height == MAX_SIDE
        await assert_healthy(client)


async def test_answers_over_the_limit_are_a_413(guarded: Guarded, hostile: Hostile) -> None:
    """goto body, content, evaluate and screenshot: a 413 error, and the session goes on."""
    kb = ANSWER_LIMIT // 1024 + 256
    async with connect(guarded.url, {"timeout": "30s"}) as client:
        reply = await client.call(
            {"action": "goto", "url": f"{hostile.allowed}/big?kb={kb}", "id": 1}
        )
        expect_error(reply, 413, "goto", str(ANSWER_LIMIT))
        assert reply["id"] == 1
        reply = await client.call({"action": "content", "id": 2})
        expect_error(reply, 413, "content")
        assert reply["id"] == 2
        reply = await client.call({"action": "evaluate", "script": f"'x'.repeat({kb * 1024})"})
        expect_error(reply, 413)
        await client.call({"action": "goto", "url": f"{hostile.allowed}/"})
        reply = await client.call({"action": "evaluate", "script": "'ok'"})
        assert reply["result"] == "ok"
        # A thrown string of any size is an error message of a line or two.
        reply = await client.call(
            {"action": "evaluate", "script": f"throw 'y'.repeat({kb * 1024})"}
        )
        expect_error(reply, 422)
        assert len(reply["message"]) <= 2000
        await assert_healthy(client)


async def test_a_body_the_browser_could_not_keep_is_a_413(page: Page, hostile: Hostile) -> None:
    """Past the browser's per-response buffer the body is lost: a 413, not a silent null."""
    await page.cdp.send(
        "Network.enable", {"maxTotalBufferSize": 4 * 2**20, "maxResourceBufferSize": 2**20}
    )
    request = GotoRequest(url=f"{hostile.allowed}/big?kb=1500")
    with pytest.raises(FrameTooLarge, match="too large"):
        await goto(page, request, timeout=30, max_redirects=0, max_retries=0)
    small = await goto(
        page,
        GotoRequest(url=f"{hostile.allowed}/big?kb=100"),
        timeout=30,
        max_redirects=0,
        max_retries=0,
    )
    assert small.body is not None
    assert len(small.body) > 100 * 1024
