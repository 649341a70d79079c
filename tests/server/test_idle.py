"""The idle timer: quiet sessions end with a fatal 408, busy or chatty ones do not."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from .conftest import Served, connect, running_server

IDLE = 0.6


@pytest.fixture(scope="module")
async def idle_server() -> AsyncIterator[Served]:
    async with running_server(idle_timeout=IDLE) as served:
        yield served


async def test_a_quiet_session_ends_with_408(idle_server: Served) -> None:
    async with connect(idle_server.url) as client:
        started = time.monotonic()
        frame = await client.recv(timeout=10)
        waited = time.monotonic() - started
        assert frame["type"] == "fatal"
        assert frame["code"] == 408
        assert "idle" in frame["message"]
        assert await client.closed() == 1008
    assert waited >= IDLE * 0.9


async def test_frames_keep_a_session_alive(idle_server: Served) -> None:
    async with connect(idle_server.url) as client:
        deadline = time.monotonic() + 3 * IDLE
        while time.monotonic() < deadline:
            reply = await client.call({"action": "evaluate", "script": "1"})
            assert reply == {"action": "evaluated", "result": 1}
            await asyncio.sleep(IDLE / 3)
        # Quiet from here on: the timer notices the last frame, not the first.
        frame = await client.recv(timeout=10)
        assert frame["code"] == 408


async def test_a_long_action_is_not_idleness(idle_server: Served) -> None:
    async with connect(idle_server.url) as client:
        script = f"new Promise(done => setTimeout(() => done('late'), {int(IDLE * 2500)}))"
        reply = await client.call({"action": "evaluate", "script": script}, timeout=15)
        assert reply == {"action": "evaluated", "result": "late"}
        assert (await client.call({"action": "evaluate", "script": "2"}))["result"] == 2
