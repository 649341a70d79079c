"""The server under test: started as its own process (the default) or in this one.

A separate process is the fair setup: the client's event loop and the
server's do not take turns, as they do for real users. The in-process mode
exists to measure what sharing one loop costs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import aiohttp
import psutil
from aiohttp import web

from inndx_cdp import POOL_KEY

from .serve import ECHO_PATH, bench_app

__all__ = [
    "InProcessServer",
    "ServerMode",
    "ServerUnderTest",
    "SubprocessServer",
    "cpu_seconds",
    "start_server",
    "thread_cpu_ns",
    "tree_pss",
    "wait_warm",
]

ServerMode = Literal["subprocess", "inprocess"]

READY_TIMEOUT = 60.0
# The folder holding the benchmarks package, where ``-m benchmarks.serve`` resolves.
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Endpoints:
    ws: str
    echo: str
    ready: str


class ServerUnderTest(Protocol):
    """A running server: where to reach it and which processes to measure."""

    mode: ServerMode
    endpoints: Endpoints
    warm_pages: int

    def server_process(self) -> psutil.Process:
        """The process running the server's Python code."""

    def browser_processes(self) -> list[psutil.Process]:
        """Every process of the server's browsers (main process, zygotes, renderers)."""

    async def stop(self) -> None:
        """Shut the server down; its browsers exit with it."""


def _endpoints(port: int) -> Endpoints:
    base = f"127.0.0.1:{port}"
    return Endpoints(
        ws=f"ws://{base}/v1/sessions/ws",
        echo=f"ws://{base}{ECHO_PATH}",
        ready=f"http://{base}/readyz",
    )


class SubprocessServer:
    """``python -m benchmarks.serve`` in a child process."""

    mode: ServerMode = "subprocess"

    def __init__(self, process: asyncio.subprocess.Process, port: int, warm_pages: int) -> None:
        self.process = process
        self.endpoints = _endpoints(port)
        self.warm_pages = warm_pages
        self._psutil = psutil.Process(process.pid)

    @classmethod
    async def start(cls, settings: dict[str, Any]) -> SubprocessServer:
        root = str(ROOT)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.serve",
            json.dumps(settings),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=root,
        )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), READY_TIMEOUT)
            port = int(json.loads(line)["port"])
        except (TimeoutError, ValueError, KeyError) as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            raise RuntimeError(
                f"the server did not start (exit code {process.returncode})"
            ) from exc
        return cls(process, port, settings.get("warm_pages", 4))

    def server_process(self) -> psutil.Process:
        return self._psutil

    def browser_processes(self) -> list[psutil.Process]:
        try:
            return list(self._psutil.children(recursive=True))
        except psutil.NoSuchProcess:
            return []

    async def stop(self) -> None:
        if self.process.returncode is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


class InProcessServer:
    """The application served by an aiohttp runner on this process's event loop."""

    mode: ServerMode = "inprocess"

    def __init__(self, runner: web.AppRunner, port: int, warm_pages: int) -> None:
        self.runner = runner
        self.endpoints = _endpoints(port)
        self.warm_pages = warm_pages

    @classmethod
    async def start(cls, settings: dict[str, Any]) -> InProcessServer:
        runner = web.AppRunner(bench_app(settings), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return cls(runner, runner.addresses[0][1], settings.get("warm_pages", 4))

    def server_process(self) -> psutil.Process:
        return psutil.Process()

    def browser_processes(self) -> list[psutil.Process]:
        pool = self.runner.app[POOL_KEY]
        return [proc for browser in pool.browsers() for proc in browser.process.tree()]

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_server(mode: ServerMode, settings: dict[str, Any]) -> ServerUnderTest:
    """Start the server in ``mode`` and wait until its warm pool is full."""
    server: ServerUnderTest
    if mode == "subprocess":
        server = await SubprocessServer.start(settings)
    else:
        server = await InProcessServer.start(settings)
    try:
        await wait_warm(server, timeout=READY_TIMEOUT)
    except BaseException:
        await server.stop()
        raise
    return server


async def wait_warm(
    server: ServerUnderTest, http: aiohttp.ClientSession | None = None, *, timeout: float = 30.0
) -> None:
    """Wait until the server is ready and its warm pool is full again.

    Called before each session-open sample so every open is a warm one and
    the pool's background refill does not overlap another driver's sample.
    """
    if http is None:
        async with aiohttp.ClientSession() as own:
            return await wait_warm(server, own, timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(server.endpoints.ready) as response:
                status = await response.json()
                if response.status == 200 and status.get("warm", 0) >= server.warm_pages:
                    return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server's warm pool did not fill within {timeout:g}s")
        await asyncio.sleep(0.01)


def tree_pss(processes: list[psutil.Process]) -> int:
    """Proportional set size of the processes together, in bytes (RSS where PSS is missing)."""
    total = 0
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            info = proc.memory_full_info()
            total += getattr(info, "pss", info.rss)
    return total


def thread_cpu_ns(pid: int) -> int | None:
    """Nanoseconds all threads of ``pid`` have run on a CPU (Linux ``schedstat``), or None.

    Exact to the nanosecond, where psutil's counters move in 10 ms ticks: what
    makes a per-action CPU cost measurable.
    """
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as stat:
                total += int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """User plus system CPU time of each process, by pid."""
    seconds = {}
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            seconds[proc.pid] = times.user + times.system
    return seconds
