"""Admission and the handshake, against a real server."""

from __future__ import annotations

import asyncio
import json
import uuid

import aiohttp
import pytest

from .conftest import Client, connect, running_server


async def refused(url: str, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await http.ws_connect(url, headers=headers)
        http_url = url.replace("ws://", "http://")
        async with http.get(http_url, headers=headers) as response:
            body = await response.json()
            return info.value.status, body


@pytest.mark.parametrize(
    ("headers", "needle"),
    [
        ({}, "missing X-Tenant-Id"),
        ({"X-Tenant-Id": "bad tenant!"}, "1 to 64"),
        ({"X-Tenant-Id": "x" * 65}, "1 to 64"),
    ],
)
async def test_bad_tenant_is_refused_before_upgrade(
    server: str, headers: dict[str, str], needle: str
) -> None:
    status, body = await refused(server, headers)
    assert status == 400
    assert body["type"] == "fatal"
    assert body["code"] == 400
    assert needle in str(body["message"])


async def test_open_returns_uuid_session_id(server: str) -> None:
    async with connect(server) as client:
        assert uuid.UUID(client.session_id or "").version == 4


async def open_raw(url: str, first: str | None) -> tuple[dict[str, object] | None, int | None]:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"X-Tenant-Id": "acme"}) as ws,
    ):
        client = Client(ws)
        if first is not None:
            await client.send(first)
        reply = await client.recv(timeout=15)
        return reply, await client.closed()


@pytest.mark.parametrize(
    ("first", "needle"),
    [
        ('{"action": "goto", "url": "http://127.0.0.1/"}', "action"),
        ('{"timeout": 0}', "timeout"),
        ('{"timeout": "soon"}', "timeout"),
        ('{"max_redirects": -1}', "max_redirects"),
        ('{"client": "firefox"}', "standard"),
        ('{"colour": "blue"}', "colour"),
        ("not json", "JSON"),
        ("[1, 2]", "object"),
        ('{"timeout": "11m"}', "timeout"),
    ],
)
async def test_bad_open_frame_is_fatal_400(server: str, first: str, needle: str) -> None:
    reply, code = await open_raw(server, first)
    assert reply is not None
    assert (reply["type"], reply["code"]) == ("fatal", 400), reply
    assert needle in str(reply["message"])
    assert code is not None


async def test_no_open_frame_in_time_is_fatal_408() -> None:
    async with running_server(open_timeout=0.3) as served:
        reply, _ = await open_raw(served.url, None)
    assert reply == {"type": "fatal", "message": reply["message"], "code": 408}


async def test_open_frame_defaults_are_accepted(server: str) -> None:
    frame = {
        "client": "standard",
        "middleware": [],
        "proxies": [],
        "timeout": "30s",
        "max_redirects": 10,
        "max_retries": 3,
    }
    async with connect(server, frame) as client:
        assert client.session_id


async def test_second_session_opens_while_first_is_busy(server: str, site: str) -> None:
    async with connect(server) as first, connect(server) as second:
        await first.send({"action": "goto", "url": site + "/slow?s=1"})
        reply = await asyncio.wait_for(second.call({"action": "evaluate", "script": "1 + 1"}), 5)
        assert reply == {"action": "evaluated", "result": 2}
        assert (await first.recv())["action"] == "goto"


async def test_refusal_body_is_json(server: str) -> None:
    _, body = await refused(server, {})
    assert set(body) == {"type", "message", "code"}
    assert json.dumps(body)
