"""The README's examples, run as written: a host app embedding the server, and the client."""

from __future__ import annotations

import asyncio
import re
import sys
import types
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

import inndx_cdp
from inndx_cdp.client import connect
from inndx_cdp.errors import BrowserGone

README = Path(__file__).parents[2] / "README.md"


def readme_example(section: str) -> str:
    """The first ```python block after the README heading ``## {section}``."""
    text = README.read_text()
    start = text.index(f"\n## {section}\n")
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert match, f"no python example under {section}"
    return match.group(1)


def host_module() -> types.ModuleType:
    module = types.ModuleType("host")
    # dont_inherit: run it as its own file would run, without this module's __future__ imports.
    code = compile(readme_example("Embedding"), "README.md#embedding", "exec", dont_inherit=True)
    exec(code, module.__dict__)
    return module


async def test_the_readme_host_app_serves_its_routes_and_sessions(site: str) -> None:
    host = host_module()
    app: web.Application = host.make_app()
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    base = f"http://127.0.0.1:{server.port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/") as response:
                assert await response.json() == {"hello": "world", "browsers": 1}
            for probe in ("/healthz", "/readyz", "/metrics"):
                async with http.get(base + probe) as response:
                    assert response.status == 200, probe
            async with http.get(base + "/v1/sessions/ws") as response:
                assert response.status == 404  # the prefix moved it
        url = f"ws://127.0.0.1:{server.port}/browser/sessions/ws"
        async with connect(url, tenant="host") as session:
            page = await session.goto(site + "/")
            assert page.status_code == 200
            assert (await session.evaluate("document.title")).result == "index"
            assert app[inndx_cdp.STATE_KEY].admission.open_sessions == 1
        assert "/browser/sessions/ws" in app[host.SEEN]  # the host middleware saw the upgrade
        assert app[inndx_cdp.POOL_KEY].ready()
        assert isinstance(app[inndx_cdp.METRICS_KEY], inndx_cdp.server.metrics.Metrics)

        # Shutting the host down drains the open session: fatal 503, socket closed.
        session = await connect(url, tenant="host")
        await session.evaluate("1")
    finally:
        await server.close()
    assert session.closed
    with pytest.raises(BrowserGone) as drained:
        await session.evaluate("1")
    assert "shutting down" in drained.value.message
    await session.aclose()
    assert not app[inndx_cdp.POOL_KEY].browsers()


async def host_index(request: web.Request) -> web.Response:
    return web.Response(text="host")


async def test_create_app_works_as_a_sub_app(site: str) -> None:
    app = web.Application()
    app.router.add_get("/", host_index)
    app.add_subapp("/cdp", inndx_cdp.create_app(inndx_cdp.Settings(warm_pages=1)))
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{server.port}/") as response:
                assert await response.text() == "host"
            async with http.get(f"http://127.0.0.1:{server.port}/cdp/readyz") as response:
                assert (await response.json())["status"] == "ready"
        url = f"ws://127.0.0.1:{server.port}/cdp/v1/sessions/ws"
        async with connect(url, tenant="sub") as session:
            assert (await session.goto(site + "/")).status_code == 200
    finally:
        await server.close()


async def test_the_readme_client_example_runs(server: str, site: str, tmp_path: Path) -> None:
    code = readme_example("Python client")
    assert "ws://127.0.0.1:8022/v1/sessions/ws" in code
    code = code.replace("ws://127.0.0.1:8022/v1/sessions/ws", server)
    code = code.replace("https://example.com/", site + "/")
    script = tmp_path / "example.py"
    script.write_text(code)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == f"200 text/html {site}/"
    assert lines[1] == "index 0"
    assert lines[2].startswith("the page threw: ")
    assert "missing" in lines[2]
    assert (tmp_path / "page.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
