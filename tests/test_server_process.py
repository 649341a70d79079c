"""The real ``inndx-cdp serve`` process: no Chromium outlives it, however it ends."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import aiohttp
import psutil
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def serve() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "inndx_cdp", "serve", "--port", str(port), "--log-level", "WARNING"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait()
    assert process.stderr is not None
    process.stderr.close()


async def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 30
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not become ready")


def browser_tree(server_pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(server_pid).children(recursive=True) if "chrom" in p.name()]


def all_gone(processes: list[psutil.Process], timeout: float = 5) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return all(p.status() == psutil.STATUS_ZOMBIE for p in alive if p.is_running())


async def test_sigkilled_server_takes_its_browsers_along(
    serve: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = serve
    await wait_ready(port)
    browsers = browser_tree(process.pid)
    assert browsers, "the server started no browser"
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Nobody cleaned up: the parent-death signal and the closed pipe must do it.
    assert all_gone(browsers), [p.pid for p in browsers if p.is_running()]


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_stopped_server_exits_0_and_leaves_nothing(
    serve: tuple[subprocess.Popen[bytes], int], stop: signal.Signals
) -> None:
    process, port = serve
    await wait_ready(port)
    browsers = browser_tree(process.pid)
    profiles = {
        arg.split("=", 1)[1]
        for p in browsers
        for arg in p.cmdline()
        if arg.startswith("--user-data-dir=")
    }
    assert profiles
    process.send_signal(stop)
    assert await asyncio.to_thread(process.wait, 30) == 0
    assert all_gone(browsers)
    assert not any(os.path.exists(path) for path in profiles)
