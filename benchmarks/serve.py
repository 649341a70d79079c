"""The server under test, as its own process: ``python -m benchmarks.serve SETTINGS_JSON``.

It serves ``inndx_cdp.create_app(Settings(**SETTINGS_JSON))`` on a free port of
127.0.0.1, plus a WebSocket echo route that measures the hop alone, prints
``{"port": N}`` on one line once the browser pool is ready, and shuts down
gracefully (sessions drained, browsers closed) on SIGTERM, SIGINT or when its
standard input closes, so it never outlives the harness.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

from aiohttp import WSMsgType, web

import inndx_cdp

__all__ = ["ECHO_PATH", "bench_app", "main"]

ECHO_PATH = "/bench/echo"


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False, max_msg_size=64 * 1024 * 1024)
    await ws.prepare(request)
    async for message in ws:
        if message.type == WSMsgType.TEXT:
            await ws.send_str(message.data)
    return ws


def bench_app(settings: dict[str, Any]) -> web.Application:
    """The application the benchmark serves: the Sessions endpoint and the echo route."""
    app = inndx_cdp.create_app(inndx_cdp.Settings(**settings))
    app.router.add_get(ECHO_PATH, _echo)
    return app


async def _serve(settings: dict[str, Any]) -> None:
    runner = web.AppRunner(bench_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)

        def on_stdin() -> None:
            # The harness holds the other end of stdin: EOF means it is gone.
            if not os.read(0, 1):
                loop.remove_reader(0)
                stop.set()

        loop.add_reader(0, on_stdin)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="server: %(levelname)s %(name)s: %(message)s")
    settings = json.loads(argv[0]) if argv else {}
    asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
