"""A real server on 127.0.0.1 driving real Chromium, and a tiny client for it."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from inndx_cdp.browser.pool import BrowserPool
from inndx_cdp.server import POOL_KEY, STATE_KEY, ServerState, create_app
from inndx_cdp.settings import Settings


@dataclass
class Served:
    """A running server: its Sessions URL, its browser pool, its app and shared state."""

    url: str
    pool: BrowserPool
    app: web.Application
    state: ServerState

    @property
    def http(self) -> str:
        """The server's base HTTP URL, e.g. ``http://127.0.0.1:40123``."""
        return self.url.replace("ws://", "http://").split("/v1/", 1)[0]

    async def contexts(self) -> int:
        """Browser contexts alive in all the pool's browsers."""
        total = 0
        for browser in self.pool.browsers():
            found = await browser.connection.browser.send("Target.getBrowserContexts")
            total += len(found["browserContextIds"])
        return total


@asynccontextmanager
async def running_server(**overrides: Any) -> AsyncIterator[Served]:
    """Serve the app with ``overrides`` on a free port (small warm pool by default)."""
    settings = Settings(**{"warm_pages": 1, **overrides})
    app = create_app(settings)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        yield Served(
            f"ws://127.0.0.1:{server.port}/v1/sessions/ws", app[POOL_KEY], app, app[STATE_KEY]
        )
    finally:
        await server.close()


@pytest.fixture(scope="session")
async def served() -> AsyncIterator[Served]:
    """One server for the run, with the embedded defaults (small warm pool)."""
    async with running_server() as running:
        yield running


@pytest.fixture
def server(served: Served) -> str:
    """The shared server's Sessions URL."""
    return served.url


class Client:
    """A raw WebSocket client speaking JSON frames."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.session_id: str | None = None

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def recv(self, timeout: float = 15) -> dict[str, Any]:
        message = await self.ws.receive(timeout=timeout)
        assert message.type == aiohttp.WSMsgType.TEXT, f"expected a text frame, got {message}"
        data: dict[str, Any] = json.loads(message.data)
        return data

    async def call(self, frame: dict[str, Any], timeout: float = 15) -> dict[str, Any]:
        await self.send(frame)
        return await self.recv(timeout)

    async def closed(self, timeout: float = 5) -> int | None:
        """Wait for the server to close the socket; returns the close code."""
        message = await self.ws.receive(timeout=timeout)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
        return self.ws.close_code


@asynccontextmanager
async def connect(
    url: str,
    open_frame: dict[str, Any] | None = None,
    *,
    tenant: str = "acme",
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Client]:
    """Open a socket and complete the handshake with ``open_frame`` (default ``{}``)."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"X-Tenant-Id": tenant, **(headers or {})}) as ws,
    ):
        client = Client(ws)
        reply = await client.call(open_frame or {})
        assert "session_id" in reply, reply
        client.session_id = reply["session_id"]
        yield client


async def open_refused(
    url: str, open_frame: dict[str, Any], *, tenant: str = "acme"
) -> tuple[dict[str, Any], int | None]:
    """Send an open frame the server must refuse: its fatal frame and the close code."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"X-Tenant-Id": tenant}) as ws,
    ):
        client = Client(ws)
        reply = await client.call(open_frame)
        return reply, await client.closed()


async def wait_until(condition: Callable[[], object], timeout: float = 15) -> None:
    """Poll ``condition`` (a function, possibly async) until it is true, or fail."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def refusal(url: str, tenant: str | None = "acme", **headers: str) -> tuple[int, Any, Any]:
    """Try to open a socket that must be refused: (status, headers, JSON body)."""
    sent = {"X-Tenant-Id": tenant} if tenant is not None else {}
    sent.update(headers)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(url, headers=sent)
        assert info.value.headers is not None
        # The same request without the upgrade shows the body of the refusal.
        async with http.get(url.replace("ws://", "http://"), headers=sent) as response:
            assert response.status == info.value.status
            body = await response.json()
        return info.value.status, info.value.headers, body
