"""API keys and proxy credentials appear in no frame, log line, metric or error message."""

from __future__ import annotations

import contextlib
import json
import logging

import aiohttp
import psutil
import pytest

from inndx_cdp.settings import Settings

from ..server.conftest import Client, running_server
from .conftest import Hostile
from .helpers import key


async def exchange(url: str, headers: dict[str, str], frames: list[dict[str, object]]) -> list[str]:
    """Everything the server says on one socket (or its refusal), as text."""
    said: list[str] = []
    async with aiohttp.ClientSession() as http:
        try:
            ws = await http.ws_connect(url, headers=headers)
        except aiohttp.WSServerHandshakeError as exc:
            said.append(f"{exc.status} {exc.message} {exc.headers}")
            async with http.get(url.replace("ws://", "http://"), headers=headers) as response:
                said.append(f"{response.status} {response.headers} {await response.text()}")
            return said
        async with ws:
            client = Client(ws)
            for frame in frames:
                await client.send(frame)
                try:
                    message = await ws.receive(timeout=15)
                except TimeoutError:
                    said.append("(no answer)")
                    break
                said.append(f"{message.type} {message.data} {message.extra}")
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
    return said


async def test_secrets_appear_nowhere(hostile: Hostile, caplog: pytest.LogCaptureFixture) -> None:
    api_key, wrong_key, password = f"sk-{key()}", f"sk-{key()}", f"pw-{key()}"
    proxy = f"http://proxyuser:{password}@127.0.0.1:9"
    secrets = [api_key, wrong_key, password]
    caplog.set_level(logging.DEBUG)
    settings = {
        "tenants": {"acme": {"api_keys": [api_key]}},
        "proxies": {"office": proxy},
    }
    said: list[str] = []
    async with running_server(**settings) as served:
        url = served.url
        tenant = {"X-Tenant-Id": "acme"}
        good = {**tenant, "Authorization": f"Bearer {api_key}"}
        said += await exchange(url, tenant, [{}])
        said += await exchange(url, {**tenant, "Authorization": f"Bearer {wrong_key}"}, [{}])
        said += await exchange(url, {**tenant, "Authorization": wrong_key}, [{}])
        said += await exchange(url, good, [{"proxies": ["office"]}])
        said += await exchange(url, good, [{"proxies": ["elsewhere"]}])
        said += await exchange(
            url,
            good,
            [
                {},
                {
                    "action": "goto",
                    "url": f"{hostile.allowed}/subresources?base={hostile.allowed}&key=s",
                },
                {"action": "evaluate", "script": "throw new Error('boom')"},
                {"action": "goto", "url": "chrome://settings"},
                {"action": "click", "selector": "#nothing"},
                {"action": "bogus", "token": api_key},
                {"action": "close"},
            ],
        )
        http_base = url.split("/v1/")[0].replace("ws://", "http://")
        async with aiohttp.ClientSession() as http:
            for path in ("/healthz", "/readyz", "/metrics", "/v1/sessions/ws"):
                async with http.get(http_base + path, headers=good) as response:
                    said.append(f"{response.status} {response.headers} {await response.text()}")
        for browser in served.pool.browsers():
            for proc in browser.process.tree():
                with contextlib.suppress(psutil.Error):
                    said.append(" ".join(proc.cmdline()))
            said.extend(browser.process.stderr_tail)
    loaded = Settings(**settings)  # type: ignore[arg-type]
    said += [
        repr(loaded),
        str(loaded),
        loaded.model_dump_json(),
        json.dumps(loaded.model_dump(), default=str),
    ]
    logs = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    pages_sent = [str(headers) for headers in hostile.record.seen_headers]
    everything = "\n".join(said + logs + pages_sent)
    assert "401" in everything  # the refusals were seen ...
    assert "office" in everything  # ... and the proxy id is named, without its secret
    for secret in secrets:
        assert secret not in everything, secret
