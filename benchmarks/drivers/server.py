"""This project's WebSocket API, driven as a client would: JSON text frames over aiohttp."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import aiohttp
from pydantic_core import from_json

from .base import DriverError

__all__ = ["EchoProbe", "ServerDriver", "ServerTab"]

TENANT = "bench"
# Screenshots and content come back as base64 inside one frame.
MAX_MESSAGE = 64 * 1024 * 1024


class ServerTab:
    """One session: a socket that has completed its handshake."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session_id: str) -> None:
        self.ws = ws
        self.session_id = session_id
        self._ids = 0
        # Milliseconds the open took: the WebSocket upgrade, then the open frame's round trip.
        self.open_phases: dict[str, float] = {}

    async def call(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send one action frame (with an ``id``, as pipelining clients do) and read its answer."""
        self._ids += 1
        frame["id"] = self._ids
        await self.ws.send_str(json.dumps(frame))
        reply = await _receive_json(self.ws)
        if reply.get("type") in ("error", "fatal"):
            raise DriverError(f"{frame['action']}: {reply.get('code')} {reply.get('message')}")
        return reply

    async def goto(self, url: str) -> None:
        reply = await self.call({"action": "goto", "url": url})
        if reply.get("status_code") != 200:
            raise DriverError(f"goto answered {reply.get('status_code')}")

    async def click(self, selector: str) -> None:
        await self.call({"action": "click", "selector": selector})

    async def fill(self, selector: str, value: str) -> None:
        await self.call({"action": "fill", "selector": selector, "value": value})

    async def content(self) -> bytes:
        reply = await self.call({"action": "content"})
        return base64.b64decode(reply["content"])

    async def evaluate(self, script: str) -> object:
        reply = await self.call({"action": "evaluate", "script": script})
        return reply.get("result")

    async def screenshot(self) -> bytes:
        reply = await self.call({"action": "screenshot"})
        return base64.b64decode(reply["screenshot"] or "")

    async def close(self) -> None:
        """The close frame, its answer, and the server's closing of the socket."""
        try:
            await self.call({"action": "close"})
            message = await self.ws.receive()
            if message.type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                raise DriverError(f"expected the socket to close, got {message.type!r}")
        finally:
            await self.ws.close()


class ServerDriver:
    """Sessions opened on a running server's ``/v1/sessions/ws``."""

    name = "server"

    def __init__(self, url: str) -> None:
        self.url = url
        self.http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # No cap on connections: each session holds one (aiohttp's default
        # cap of 100 would stall the 101st open of a concurrency level).
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def open(self) -> ServerTab:
        """Connect, send the open frame (``{}``: every default), wait for the session id."""
        assert self.http is not None, "driver not started"
        start = time.perf_counter()
        ws = await self.http.ws_connect(
            self.url, headers={"X-Tenant-Id": TENANT}, max_msg_size=MAX_MESSAGE
        )
        connected = time.perf_counter()
        try:
            await ws.send_str("{}")
            reply = await _receive_json(ws)
            if "session_id" not in reply:
                raise DriverError(f"open refused: {reply.get('code')} {reply.get('message')}")
        except BaseException:
            await ws.close()
            raise
        tab = ServerTab(ws, reply["session_id"])
        tab.open_phases = {
            "connect": (connected - start) * 1000,
            "open frame": (time.perf_counter() - connected) * 1000,
        }
        return tab

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
            self.http = None


class EchoProbe:
    """An aiohttp WebSocket echo on the server's event loop: the cost of the hop alone."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None

    async def start(self) -> None:
        self.http = aiohttp.ClientSession()
        self.ws = await self.http.ws_connect(self.url, max_msg_size=MAX_MESSAGE)

    async def round_trip(self, text: str) -> None:
        assert self.ws is not None, "probe not started"
        await self.ws.send_str(text)
        message = await self.ws.receive()
        if message.type != aiohttp.WSMsgType.TEXT or message.data != text:
            raise DriverError(f"echo answered {message.type!r}")

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.http is not None:
            await self.http.close()


async def _receive_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive()
    if message.type != aiohttp.WSMsgType.TEXT:
        raise DriverError(f"the socket ended ({message.type.name}, code {ws.close_code})")
    # The same fast parser the raw driver's pipe uses, so neither client is
    # handicapped by its JSON library (a screenshot answer is 300 KB).
    reply: dict[str, Any] = from_json(message.data)
    return reply
