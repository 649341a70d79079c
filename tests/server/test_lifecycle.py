"""How sessions end: idle and lifetime limits, graceful drain, signals to the real server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil
import pytest

from .conftest import Client, Served, connect, refusal, running_server, wait_until

SLEEP = "new Promise(r => setTimeout(() => r('done'), {ms}))"


async def fatal(client: Client, timeout: float = 10) -> dict[str, object]:
    frame = await client.recv(timeout=timeout)
    assert frame["type"] == "fatal", frame
    return frame


async def warm_only(served: Served) -> bool:
    """True once only the warm set's contexts are left in the browser."""
    return await served.contexts() <= served.pool.stats().warm


async def test_idle_session_ends_with_408_and_frames_reset_the_clock() -> None:
    async with running_server(idle_timeout=1.0) as served:
        async with connect(served.url) as client:
            # Frames closer together than the limit keep the session alive past it.
            for _ in range(4):
                await asyncio.sleep(0.4)
                assert (await client.call({"action": "evaluate", "script": "1"}))["result"] == 1
            # An action that runs longer than the limit is not idleness.
            reply = await client.call({"action": "evaluate", "script": SLEEP.format(ms=1500)})
            assert reply["result"] == "done"
            quiet = time.monotonic()
            frame = await fatal(client)
            waited = time.monotonic() - quiet
            assert frame["code"] == 408
            assert "idle" in str(frame["message"])
            assert waited > 0.8, waited
            assert await client.closed() == 1008
        await wait_until(lambda: warm_only(served))


async def test_session_ends_with_408_at_its_maximum_lifetime() -> None:
    async with running_server(max_lifetime=1.5, idle_timeout=60) as served:
        async with connect(served.url) as client:
            opened = time.monotonic()
            assert (await client.call({"action": "evaluate", "script": "1"}))["result"] == 1
            # Even a session in the middle of an action ends at its lifetime.
            await client.send({"action": "evaluate", "script": SLEEP.format(ms=20000), "id": 3})
            frame = await fatal(client)
            lived = time.monotonic() - opened
            assert (frame["code"], frame["id"]) == (408, 3)
            assert "maximum lifetime" in str(frame["message"])
            assert 1.4 < lived < 10, lived
            assert await client.closed() == 1008
        await wait_until(lambda: warm_only(served))


async def test_drain_lets_the_running_action_finish_then_503() -> None:
    async with running_server(drain_grace=10) as served:
        async with connect(served.url) as busy, connect(served.url) as idle:
            await busy.send({"action": "evaluate", "script": SLEEP.format(ms=1500), "id": 1})
            await busy.send({"action": "evaluate", "script": "2", "id": 2})  # queued: not run
            await asyncio.sleep(0.3)
            started = time.monotonic()
            draining = asyncio.create_task(served.app.shutdown())

            # The idle session ends at once; new sessions and readiness are refused.
            frame = await fatal(idle)
            assert frame["code"] == 503
            assert await idle.closed() == 1001
            status, _, body = await refusal(served.url)
            assert (status, body["code"]) == (503, 503)
            async with (
                aiohttp.ClientSession() as http,
                http.get(served.http + "/readyz") as response,
            ):
                assert response.status == 503

            # The running action completes and is answered, then the fatal 503.
            assert await busy.recv() == {"action": "evaluated", "result": "done", "id": 1}
            frame = await fatal(busy)
            assert frame["code"] == 503
            assert await busy.closed() == 1001
            await draining
            assert time.monotonic() - started < 8
        await wait_until(lambda: warm_only(served))


async def test_drain_grace_cuts_an_action_that_runs_too_long() -> None:
    async with running_server(drain_grace=0.5) as served, connect(served.url) as client:
        await client.send({"action": "evaluate", "script": "new Promise(() => {})", "id": "x"})
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await served.app.shutdown()
        frame = await fatal(client)
        assert (frame["code"], frame["id"]) == (503, "x")
        assert await client.closed() == 1001
        assert time.monotonic() - started < 5


# -- the real server as a subprocess --------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def processes_under(folder: str) -> list[psutil.Process]:
    """Live processes whose command line names ``folder`` (the browser's profile)."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and any(
                folder in arg for arg in proc.info["cmdline"] or ()
            ):
                found.append(proc)
        except psutil.Error:
            continue
    return found


async def wait_ready(base: str, server: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            assert server.returncode is None, log.read_text()
            try:
                async with http.get(base + "/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"server not ready in time:\n{log.read_text()}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_drains_and_exits_0_leaving_nothing(site: str, signum: int) -> None:
    # The server's browsers keep their profiles in a folder of their own, so
    # their processes can be told from anyone else's.
    folder = tempfile.mkdtemp(prefix="inndx-cdp-serve-")
    log = Path(folder) / "server.log"
    port = free_port()
    env = {
        **os.environ,
        "TMPDIR": folder,
        "INNDX_CDP_WARM_PAGES": "1",
        "INNDX_CDP_DRAIN_GRACE": "10",
    }
    with log.open("wb") as output:
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "inndx_cdp",
            "serve",
            "--port",
            str(port),
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
    try:
        await wait_ready(f"http://127.0.0.1:{port}", server, log)
        assert processes_under(folder), "the server's browser is not running"
        url = f"ws://127.0.0.1:{port}/v1/sessions/ws"
        async with connect(url) as client:
            await client.send({"action": "goto", "url": site + "/slow?s=1.5", "id": 7})
            await asyncio.sleep(0.3)  # the navigation is under way
            server.send_signal(signum)
            reply = await client.recv(timeout=20)
            assert (reply.get("action"), reply.get("id"), reply.get("status_code")) == (
                "goto",
                7,
                200,
            ), reply
            frame = await fatal(client, timeout=20)
            assert frame["code"] == 503
            assert await client.closed() == 1001
        code = await asyncio.wait_for(server.wait(), 30)
        assert code == 0, log.read_text()
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    _, alive = psutil.wait_procs(processes_under(folder), timeout=3)
    assert not alive, f"Chromium outlived the server: {[p.pid for p in alive]}"
    assert not list(Path(folder).glob("inndx-cdp-profile-*")), "profile folder left behind"
