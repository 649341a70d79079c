"""The Python client (inndx_cdp.client) driving the real server and real Chromium."""

from __future__ import annotations

import asyncio
import base64

import pytest
from pydantic import SecretStr

from inndx_cdp.client import Refused, SessionClosed, connect
from inndx_cdp.errors import (
    ActionTimeout,
    BadFrame,
    FrameTooLarge,
    NavigationFailed,
    NoMatch,
    NotActionable,
    QueueFull,
    ScriptError,
    SessionExpired,
    TooManyRedirects,
)
from inndx_cdp.protocol import (
    ClickedReply,
    ClosedReply,
    ContentReply,
    Cookie,
    EvaluatedReply,
    FilledReply,
    GotoReply,
    ScreenshotReply,
)
from inndx_cdp.settings import TenantSettings

from .conftest import running_server


async def test_every_action_returns_its_typed_answer(server: str, site: str) -> None:
    async with connect(
        server, tenant="acme", client={"kind": "standard", "viewport": {"width": 800}}
    ) as session:
        assert len(session.id) == 36
        page = await session.goto(site + "/e2e/form")
        assert isinstance(page, GotoReply)
        assert (page.status_code, page.content_type) == (200, "text/html")
        assert isinstance(await session.fill("#name", "Ada"), FilledReply)
        assert isinstance(await session.click("#go"), ClickedReply)
        evaluated = await session.evaluate("document.querySelector('#out').textContent")
        assert isinstance(evaluated, EvaluatedReply)
        assert evaluated.result == "hello Ada"
        assert (await session.evaluate("innerWidth")).result == 800
        content = await session.content()
        assert isinstance(content, ContentReply)
        assert "hello Ada" in base64.b64decode(content.content).decode()
        assert (await session.html()).startswith("<!DOCTYPE html>")
        shot = await session.screenshot()
        assert isinstance(shot, ScreenshotReply)
        assert shot.screenshot is not None
        assert base64.b64decode(shot.screenshot)[:8] == b"\x89PNG\r\n\x1a\n"
        jpeg = await session.screenshot(full_page=True, format="jpeg", quality=50)
        assert jpeg.screenshot is not None
        assert base64.b64decode(jpeg.screenshot)[:3] == b"\xff\xd8\xff"
        element = await session.screenshot(selector="#go")
        assert element.screenshot is not None

        posted = await session.goto(
            site + "/echo",
            method="POST",
            body=b"a=1&b=2",
            headers=[("X-Custom", "yes"), ("Content-Type", "application/x-www-form-urlencoded")],
            cookies=[Cookie(name="sid", value="s3cret"), {"name": "flavour", "value": "oat"}],
            referrer=site + "/from",
            user_agent="my-agent/1.0",
        )
        assert posted.body is not None
        echoed = base64.b64decode(posted.body).decode().lower()
        assert "<p id='method'>post</p>" in echoed
        assert "a=1&amp;b=2" in echoed or "a=1&b=2" in echoed
        assert "x-custom: yes" in echoed
        assert "sid=s3cret" in echoed
        assert "flavour=oat" in echoed
        assert f"referer: {site}/from" in echoed
        assert "user-agent: my-agent/1.0" in echoed

        assert isinstance(await session.close(), ClosedReply)
        await asyncio.sleep(0)  # let the reader see the socket close
        for _ in range(50):
            if session.closed:
                break
            await asyncio.sleep(0.05)
        assert session.closed
        assert session.close_code == 1000
        with pytest.raises(SessionClosed):
            await session.evaluate("1")


async def test_error_frames_raise_their_typed_exception(server: str, site: str) -> None:
    async with connect(server, tenant="acme", timeout="1s", max_retries=0) as session:
        await session.goto(site + "/e2e/form")
        cases = [
            (session.click("#missing"), NoMatch),
            (session.click("#hidden"), NotActionable),
            (session.click("div["), BadFrame),
            (session.evaluate("throw new Error('boom')"), ScriptError),
            (session.evaluate("while (true) {}"), ActionTimeout),
            (session.goto("http://127.0.0.1:9/"), NavigationFailed),
            (session.goto("file:///etc/passwd"), BadFrame),
        ]
        for call, error in cases:
            with pytest.raises(error) as raised:
                await call
            assert isinstance(raised.value.frame_id, int)
            assert raised.value.message
        assert "boom" in str(await _raised(session.evaluate("throw new Error('boom')")))
        assert "net::ERR_" in str(await _raised(session.goto("http://127.0.0.1:9/")))
        # Every error left the session usable.
        assert (await session.evaluate("6 * 7")).result == 42


async def test_too_many_redirects_is_typed(server: str, site: str) -> None:
    async with connect(server, tenant="acme", max_redirects=2) as session:
        with pytest.raises(TooManyRedirects):
            await session.goto(site + "/client/loop")
        assert (await session.evaluate("1 + 1")).result == 2


async def test_concurrent_awaits_resolve_by_id(server: str, site: str) -> None:
    async with connect(server, tenant="acme") as session:
        await session.goto(site + "/")
        calls = [session.evaluate(f"new Promise(r => setTimeout(() => r({n}), {20 - n}))")
                 for n in range(20)]  # fmt: skip
        calls.insert(7, session.evaluate("throw new Error('seventh')"))
        results = await asyncio.gather(*calls, return_exceptions=True)
    error = results.pop(7)
    assert isinstance(error, ScriptError)
    assert "seventh" in error.message
    answers = [r for r in results if isinstance(r, EvaluatedReply)]
    assert [a.result for a in answers] == list(range(20))
    ids = [a.id for a in answers]
    assert len(set(ids)) == 20
    assert all(isinstance(i, int) for i in ids)


async def test_overflowing_the_queue_raises_queue_full_for_those_frames() -> None:
    async with (
        running_server(max_queued_frames=2) as served,
        connect(served.url, tenant="acme") as session,
    ):
        slow = session.evaluate("new Promise(r => setTimeout(() => r('slow'), 500))")
        quick = [session.evaluate(f"{n}") for n in range(8)]
        results = await asyncio.gather(slow, *quick, return_exceptions=True)
        refused = [r for r in results if isinstance(r, QueueFull)]
        answered = [r for r in results if isinstance(r, EvaluatedReply)]
        assert refused
        assert answered
        assert len(refused) + len(answered) == 9
        assert results[0] == EvaluatedReply(result="slow", id=results[0].id)
        assert (await session.evaluate("'still here'")).result == "still here"


async def test_oversized_frame_error_goes_to_that_frame() -> None:
    async with (
        running_server(max_frame_bytes=4096) as served,
        connect(served.url, tenant="acme") as session,
    ):
        small_before = session.evaluate("new Promise(r => setTimeout(() => r(1), 300))")
        big = session.fill("#x", "y" * 10_000)
        small_after = session.evaluate("2")
        results = await asyncio.gather(small_before, big, small_after, return_exceptions=True)
    assert isinstance(results[1], FrameTooLarge)
    assert [r.result for r in (results[0], results[2])] == [1, 2]


async def test_a_fatal_frame_fails_every_waiting_action() -> None:
    async with (
        running_server(max_lifetime=1.5) as served,
        connect(served.url, tenant="acme") as session,
    ):
        running = session.evaluate("new Promise(r => setTimeout(r, 10000))")
        queued = session.evaluate("'never'")
        results = await asyncio.wait_for(
            asyncio.gather(running, queued, return_exceptions=True), 20
        )
        assert all(isinstance(r, SessionExpired) for r in results), results
        assert session.closed
        with pytest.raises(SessionExpired):
            await session.evaluate("1")


async def test_refusals_before_the_upgrade_are_refused_with_the_servers_message() -> None:
    settings = {
        "tenants": {"locked": TenantSettings(api_keys=[SecretStr("right-key")])},
        "max_sessions": 1,
    }
    async with running_server(**settings) as served:
        with pytest.raises(Refused) as bad_tenant:
            await connect(served.url, tenant="no spaces allowed")
        assert bad_tenant.value.code == 400
        assert "X-Tenant-Id" in bad_tenant.value.message

        with pytest.raises(Refused) as bad_key:
            await connect(served.url, tenant="locked", api_key="wrong-key")
        assert bad_key.value.code == 401
        assert "key" in bad_key.value.message

        async with connect(served.url, tenant="locked", api_key="right-key") as first:
            with pytest.raises(Refused) as full:
                await connect(served.url, tenant="other")
            assert full.value.code == 429
            assert full.value.retry_after is not None
            assert full.value.retry_after > 0
            assert (await first.evaluate("'in'")).result == "in"


async def test_a_refused_open_frame_raises_from_connect(server: str) -> None:
    with pytest.raises(BadFrame) as raised:
        await connect(server, tenant="acme", timeout="forever")
    assert "timeout" in raised.value.message
    with pytest.raises(BadFrame) as kind:
        await connect(server, tenant="acme", client="netscape")
    assert "standard" in kind.value.message


async def test_await_connect_then_aclose(server: str) -> None:
    session = await connect(server, tenant="acme")
    try:
        assert (await session.evaluate("'plain await'")).result == "plain await"
    finally:
        await session.aclose()
    assert session.closed
    await session.aclose()  # idempotent


async def _raised(call: object) -> BaseException:
    try:
        await call
    except BaseException as exc:
        return exc
    raise AssertionError("no exception")
