"""Session-open latency: the warm pool against a cold context and page, on the same browser.

Starts the server in this process on 127.0.0.1 and measures, sample by sample
and interleaved so both see the same machine load:

- ``warm_open``: what a client waits for: WebSocket connect and upgrade, the
  open frame, the ``session_id`` answer. The page comes from the warm set; the
  benchmark waits for the set to be full again before each sample, as a server
  under moderate traffic would have it.
- ``warm_open_frame``: only the open frame's round trip on an upgraded socket.
- ``cold_context_page``: what opening would cost without the pool: a new
  browser context, its page, attached and prepared for actions
  (``Target.createBrowserContext``, ``createTarget``, ``attachToTarget``, the
  domains enabled), over CDP on the same browser the server uses.

Run it with ``python -m benchmarks.open_latency [--samples N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import time
from collections.abc import Callable

import aiohttp
from aiohttp import web

from inndx_cdp import POOL_KEY, Settings, create_app
from inndx_cdp.browser.pool import BrowserPool
from inndx_cdp.session.setup import prepare_page

__all__ = ["measure_open_latency"]

WARM_PAGES = 4
WARMUP = 10


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


async def _until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the warm set did not refill in time")
        await asyncio.sleep(0.005)


async def _full(pool: BrowserPool) -> None:
    await _until(lambda: pool.stats().warm >= WARM_PAGES)


async def measure_open_latency(samples: int) -> dict[str, float]:
    """Median and p95, in milliseconds, of a warm session open and of a cold context + page.

    Keys: ``warm_open_p50_ms``, ``warm_open_p95_ms``, ``warm_open_frame_p50_ms``,
    ``warm_open_frame_p95_ms``, ``cold_context_page_p50_ms``,
    ``cold_context_page_p95_ms``, ``speedup_p50`` (cold over warm) and ``samples``.
    """
    if samples < 1:
        raise ValueError("samples must be at least 1")
    app = create_app(Settings(warm_pages=WARM_PAGES, host="127.0.0.1", port=0))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        url = f"ws://127.0.0.1:{port}/v1/sessions/ws"
        pool = app[POOL_KEY]
        (browser,) = pool.browsers()
        warm: list[float] = []
        frame: list[float] = []
        cold: list[float] = []
        async with aiohttp.ClientSession() as http:
            for n in range(WARMUP + samples):
                await _full(pool)
                started = time.perf_counter()
                async with http.ws_connect(url, headers={"X-Tenant-Id": "bench"}) as ws:
                    upgraded = time.perf_counter()
                    await ws.send_str("{}")
                    reply = json.loads((await ws.receive(timeout=30)).data)
                    opened = time.perf_counter()
                    if "session_id" not in reply:
                        raise RuntimeError(f"the server refused the session: {reply}")
                    await ws.send_str('{"action": "close"}')
                    await ws.receive(timeout=30)
                await _full(pool)

                made = time.perf_counter()
                page = await browser.new_page()
                await prepare_page(page)
                ready = time.perf_counter()
                await page.dispose()

                if n >= WARMUP:
                    warm.append((opened - started) * 1000)
                    frame.append((opened - upgraded) * 1000)
                    cold.append((ready - made) * 1000)
    finally:
        await runner.cleanup()
    warm_p50 = statistics.median(warm)
    cold_p50 = statistics.median(cold)
    return {
        "samples": float(samples),
        "warm_open_p50_ms": round(warm_p50, 3),
        "warm_open_p95_ms": round(_p95(warm), 3),
        "warm_open_frame_p50_ms": round(statistics.median(frame), 3),
        "warm_open_frame_p95_ms": round(_p95(frame), 3),
        "cold_context_page_p50_ms": round(cold_p50, 3),
        "cold_context_page_p95_ms": round(_p95(cold), 3),
        "speedup_p50": round(cold_p50 / warm_p50, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.open_latency", description=__doc__)
    parser.add_argument("--samples", type=int, default=100, help="samples of each (default 100)")
    args = parser.parse_args()
    result = asyncio.run(measure_open_latency(args.samples))
    rows = [
        ("session open, warm pool (connect + open frame)", "warm_open"),
        ("  of which the open frame", "warm_open_frame"),
        ("context + page, cold, same browser", "cold_context_page"),
    ]
    print(f"{'':50} {'p50 ms':>9} {'p95 ms':>9}")
    for label, key in rows:
        print(f"{label:50} {result[key + '_p50_ms']:9.2f} {result[key + '_p95_ms']:9.2f}")
    print(f"cold / warm at the median: {result['speedup_p50']:g}x ({args.samples} samples each)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
