"""Admission before the upgrade: limits, credentials, allow-list, health probes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from inndx_cdp.server import POOL_KEY, create_app
from inndx_cdp.settings import Settings

from .conftest import Client, connect, refusal, running_server, wait_until


def assert_error_shape(body: Any, code: int) -> None:
    assert set(body) == {"type", "message", "code"}, body
    assert body["type"] == "fatal"
    assert body["code"] == code
    assert body["message"]


@contextlib.asynccontextmanager
async def sessions(url: str, count: int, tenant: str = "acme") -> AsyncIterator[list[Client]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(connect(url, tenant=tenant)) for _ in range(count)]


async def test_tenant_and_global_limits_refuse_with_429_and_retry_after() -> None:
    async with running_server(max_sessions=3, max_sessions_per_tenant=2) as served:
        async with sessions(served.url, 2, "acme") as acme:
            status, headers, body = await refusal(served.url, "acme")
            assert status == 429
            assert int(headers["Retry-After"]) > 0
            assert_error_shape(body, 429)
            assert "tenant 'acme'" in body["message"]

            async with connect(served.url, tenant="beta"):
                status, headers, body = await refusal(served.url, "gamma")
                assert status == 429
                assert int(headers["Retry-After"]) > 0
                assert "server is at its limit of 3" in body["message"]

            # A slot that frees up can be taken again.
            await acme[0].call({"action": "close"})
            await acme[0].closed()
            await asyncio.sleep(0.1)
            async with connect(served.url, tenant="acme") as again:
                assert again.session_id
        await wait_until(lambda: served.state.admission.open_sessions == 0)


async def test_per_tenant_limit_from_configuration() -> None:
    async with (
        running_server(tenants={"small": {"max_sessions": 1}}) as served,
        connect(served.url, tenant="small"),
    ):
        status, _, body = await refusal(served.url, "small")
        assert (status, body["code"]) == (429, 429)
        async with sessions(served.url, 2, "other"):
            pass


async def failed_handshake(url: str, first: str | None) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(url, headers={"X-Tenant-Id": "acme"}) as ws,
    ):
        if first is None:
            return  # gone before sending an open frame
        await ws.send_str(first)
        message = await ws.receive(timeout=15)
        assert json.loads(message.data)["type"] == "fatal"


async def test_failed_handshakes_give_their_slot_back() -> None:
    async with running_server(max_sessions_per_tenant=1, open_timeout=0.3) as served:
        for first in ('{"timeout": 0}', "not json", '{"action": "close"}', None):
            await failed_handshake(served.url, first)
        # No open frame at all: the server gives up after open_timeout (fatal 408).
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(served.url, headers={"X-Tenant-Id": "acme"}) as ws,
        ):
            reply = json.loads((await ws.receive(timeout=5)).data)
            assert reply["code"] == 408
        await wait_until(lambda: served.state.admission.open_sessions == 0)
        async with connect(served.url) as client:
            assert (await client.call({"action": "evaluate", "script": "1"}))["result"] == 1


async def test_api_keys_and_allow_list() -> None:
    tenants = {"acme": {"api_keys": ["first-key", "second-key"]}, "open": {}}
    async with running_server(tenants=tenants, allow_unlisted_tenants=False) as served:
        status, _, body = await refusal(served.url, "acme")
        assert status == 401
        assert_error_shape(body, 401)
        for header in ("Bearer wrong", "Basic second-key", "Bearer", "second-key"):
            status, _, body = await refusal(served.url, "acme", Authorization=header)
            assert status == 401, header
        status, _, body = await refusal(served.url, "stranger")
        assert status == 403
        assert_error_shape(body, 403)
        assert "stranger" in body["message"]
        async with connect(served.url, headers={"Authorization": "Bearer second-key"}) as client:
            assert client.session_id
        async with connect(served.url, tenant="open") as client:
            assert client.session_id


async def test_health_probes_need_no_tenant(server: str) -> None:
    base = server.split("/v1/", 1)[0].replace("ws://", "http://")
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ok"
        async with http.get(base + "/readyz") as response:
            assert response.status == 200
            assert (await response.json())["status"] == "ready"


def test_settings_from_toml_file_and_environment(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "inndx-cdp.toml"
    config.write_text(
        "\n".join(
            [
                "max_sessions = 7",
                "idle_timeout = 30",
                "warm_pages = 3",
                "allow_unlisted_tenants = false",
                "[tenants.acme]",
                'api_keys = ["k1"]',
                "max_sessions = 2",
            ]
        )
    )
    monkeypatch.setenv("INNDX_CDP_IDLE_TIMEOUT", "12.5")
    monkeypatch.setenv("INNDX_CDP_MAX_BROWSER_MEMORY_MB", "512")
    settings = Settings.load(config)
    assert settings.max_sessions == 7  # from the file
    assert settings.idle_timeout == 12.5  # the environment wins over the file
    assert settings.max_browser_memory_mb == 512
    assert settings.warm_pages == 3
    assert settings.allow_unlisted_tenants is False
    assert settings.tenants["acme"].max_sessions == 2
    assert [k.get_secret_value() for k in settings.tenants["acme"].api_keys] == ["k1"]
    assert "k1" not in repr(settings)  # keys never show in logs
    assert Settings().drain_grace == 10.0


def test_pool_follows_the_settings() -> None:
    app = create_app(
        Settings(
            warm_kinds=["chrome", "standard"],
            browsers_per_kind=3,
            warm_pages=5,
            max_sessions_per_browser=40,
            max_browser_memory_mb=100,
            memory_check_interval=2.5,
        )
    )
    config = app[POOL_KEY].config
    assert config.eager_kinds == ("chrome", "standard")
    assert (config.browsers_per_kind, config.warm_pages) == (3, 5)
    assert config.max_sessions_per_browser == 40
    assert config.max_browser_memory == 100 * 1024**2
    assert config.memory_check_interval == 2.5
