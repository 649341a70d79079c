"""What request interception costs a goto, and that a session without it pays nothing.

Three pages of one headless-shell browser load the same local page (a
document, a stylesheet and an image) in turns, so that machine noise hits
them alike:

- ``raw``: ``Page.navigate`` and the load event, straight over CDP;
- ``plain``: the session's goto on a page without middleware or proxy;
- ``middleware``: the same goto with one request-headers middleware, which
  pauses every request of the page.

``plain`` should equal ``raw`` within noise (the goto's own bookkeeping
aside), and the plain page must never have sent a ``Fetch`` command.

    python -m benchmarks.interception_cost [SAMPLES]
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.protocol import decode_open
from inndx_cdp.session.goto import GotoRequest, goto
from inndx_cdp.session.middleware import configure_interception
from inndx_cdp.session.setup import prepare_page

__all__ = ["measure_interception_cost"]

_PIXEL = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)
_MIDDLEWARE = '{"middleware": [{"kind": "request_headers", "set": [["X-Bench", "1"]]}]}'


def _site() -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<!DOCTYPE html><html><head><link rel='stylesheet' href='/s.css'></head>"
            "<body><p>bench</p><img src='/p.gif'></body></html>",
            content_type="text/html",
        )

    async def css(request: web.Request) -> web.Response:
        return web.Response(text="p { color: red }", content_type="text/css")

    async def pixel(request: web.Request) -> web.Response:
        return web.Response(body=_PIXEL, content_type="image/gif")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/s.css", css)
    app.router.add_get("/p.gif", pixel)
    return app


async def _raw_goto(page: Page, url: str) -> None:
    with page.cdp.listen("Page.loadEventFired") as events:
        await page.cdp.send("Page.navigate", {"url": url})
        await asyncio.wait_for(events.next("Page.loadEventFired"), 30)


async def _session_goto(page: Page, url: str) -> None:
    await goto(page, GotoRequest(url=url), timeout=30, max_redirects=5, max_retries=0)


def _count_fetch_commands(page: Page) -> list[str]:
    """Record every Fetch.* command the page sends from now on."""
    sent: list[str] = []
    original = page.cdp.send

    async def send(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if method.startswith("Fetch."):
            sent.append(method)
        return await original(method, params)

    page.cdp.send = send  # type: ignore[method-assign]
    return sent


async def measure_interception_cost(samples: int) -> dict[str, Any]:
    """Median goto times (ms) of the three cases, their ratios, and Fetch use."""
    runner = web.AppRunner(_site(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/"
    browser = await Browser.launch("standard")
    try:
        pages: dict[str, Page] = {}
        for name in ("raw", "plain", "middleware"):
            pages[name] = await browser.new_page()
            await prepare_page(pages[name])
        fetch_commands = _count_fetch_commands(pages["plain"])
        await configure_interception(pages["plain"], [])
        await configure_interception(pages["middleware"], decode_open(_MIDDLEWARE).middleware)
        runs: dict[str, Callable[[Page, str], Awaitable[None]]] = {
            "raw": _raw_goto,
            "plain": _session_goto,
            "middleware": _session_goto,
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        order = list(runs)
        for index in range(-3, samples):  # three rounds of warm-up
            order = order[1:] + order[:1]  # rotate, so no case always runs first
            for name in order:
                url = f"{base}?n={index}"
                started = time.perf_counter()
                await runs[name](pages[name], url)
                if index >= 0:
                    times[name].append((time.perf_counter() - started) * 1000)
        for page in pages.values():
            await page.dispose()
    finally:
        await browser.close()
        await runner.cleanup()
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "samples": samples,
        "raw_cdp_goto_ms": round(medians["raw"], 2),
        "goto_without_middleware_ms": round(medians["plain"], 2),
        "goto_with_middleware_ms": round(medians["middleware"], 2),
        "without_middleware_over_raw": round(medians["plain"] / medians["raw"], 3),
        "with_middleware_over_without": round(medians["middleware"] / medians["plain"], 3),
        "fetch_commands_without_middleware": len(fetch_commands),
    }


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    result = asyncio.run(measure_interception_cost(samples))
    print(json.dumps(result))
    print(
        f"interception cost: goto without middleware {result['goto_without_middleware_ms']} ms"
        f" vs raw CDP {result['raw_cdp_goto_ms']} ms"
        f" (x{result['without_middleware_over_raw']}),"
        f" Fetch commands sent: {result['fetch_commands_without_middleware']};"
        f" with middleware {result['goto_with_middleware_ms']} ms"
        f" (x{result['with_middleware_over_without']})"
    )


if __name__ == "__main__":
    main()
