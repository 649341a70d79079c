"""Cross-site WebSocket hijacking: upgrades from web pages are refused unless allowed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer, make_mocked_request

from inndx_cdp.browser.browser import Page
from inndx_cdp.server import setup
from inndx_cdp.server.admission import Admission, Ticket
from inndx_cdp.session.evaluate import evaluate
from inndx_cdp.session.goto import GotoRequest, goto
from inndx_cdp.settings import Settings

from ..server.conftest import connect
from .conftest import ALLOWED_ORIGIN, Guarded, Hostile


async def upgrade(url: str, headers: dict[str, str]) -> tuple[int, dict[str, object] | None]:
    """The HTTP status of a WebSocket upgrade and the refusal body, if refused."""
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url, headers=headers) as ws:
                await ws.close()
                return 101, None
        except aiohttp.WSServerHandshakeError as exc:
            status = exc.status
        async with http.get(url.replace("ws://", "http://"), headers=headers) as response:
            return status, await response.json()


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "https://app.example", "http://app.example.evil.example", "null"],
)
async def test_foreign_origin_is_refused_with_403(guarded: Guarded, origin: str) -> None:
    status, body = await upgrade(guarded.url, {"X-Tenant-Id": "acme", "Origin": origin})
    assert status == 403
    assert body is not None
    assert (body["type"], body["code"]) == ("fatal", 403)
    assert "origin" in str(body["message"])


@pytest.mark.parametrize("origin", [ALLOWED_ORIGIN, "HTTP://App.Example", ALLOWED_ORIGIN + "/"])
async def test_configured_origin_is_accepted(guarded: Guarded, origin: str) -> None:
    async with connect(guarded.url, headers={"Origin": origin}) as client:
        assert (await client.call({"action": "evaluate", "script": "1 + 1"}))["result"] == 2


async def test_clients_without_origin_are_unaffected(guarded: Guarded) -> None:
    async with connect(guarded.url) as client:
        assert client.session_id


def test_a_star_allows_every_origin() -> None:
    request = make_mocked_request(
        "GET", "/v1/sessions/ws", headers={"X-Tenant-Id": "acme", "Origin": "http://any.example"}
    )
    assert isinstance(Admission(Settings(allowed_origins=["*"])).admit(request), Ticket)
    refused = Admission(Settings()).admit(request)
    assert isinstance(refused, web.Response)
    assert refused.status == 403


@dataclass
class Recorded:
    url: str
    upgrades: list[tuple[str | None, int]] = field(default_factory=list)


@asynccontextmanager
async def recorded_server() -> AsyncIterator[Recorded]:
    """The endpoint in a host app whose middleware notes every upgrade's Origin and status."""
    recorded = Recorded("")

    @web.middleware
    async def note(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
        response = await handler(request)
        recorded.upgrades.append((request.headers.get("Origin"), response.status))
        return response

    app = web.Application(middlewares=[note])
    setup(app, Settings(warm_pages=0))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    recorded.url = f"ws://127.0.0.1:{server.port}/v1/sessions/ws"
    try:
        yield recorded
    finally:
        await server.close()


async def test_a_web_page_in_chromium_cannot_open_a_session(page: Page, hostile: Hostile) -> None:
    """A page's WebSocket carries its Origin and is refused by it, before the tenant check."""
    await goto(
        page, GotoRequest(url=hostile.allowed + "/"), timeout=10, max_redirects=0, max_retries=0
    )
    async with recorded_server() as server:
        script = f"""new Promise(resolve => {{
            const ws = new WebSocket({server.url!r});
            ws.onopen = () => resolve('open');
            ws.onerror = () => resolve('refused');
        }})"""
        assert await evaluate(page, script, timeout=10) == "refused"
    assert server.upgrades == [(hostile.allowed, 403)]
