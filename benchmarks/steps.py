"""Per-step latency, the drivers interleaved sample by sample.

Every step is measured in rounds; each round takes one sample from every
driver, in an order that rotates from round to round. A burst of load from
elsewhere on the machine therefore lands on all drivers alike, which keeps
the ratios between them meaningful even when absolute times are noisy.

Besides the three drivers, a few reference rows explain where the server's
time goes: the WebSocket upgrade and the open frame as parts of ``open``, a
bare WebSocket echo on the server's loop (the hop alone), and the exact CDP
call the server's evaluate makes, sent raw.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from inndx_cdp.session.scripts import source

from .drivers import Driver, DriverError, Tab
from .drivers.raw import RawTab
from .drivers.server import EchoProbe, ServerTab
from .site import PAGE_TITLE

__all__ = ["REFERENCES", "STEPS", "StepPlan", "StepSamples", "measure_steps"]

STEPS = ("open", "goto", "click", "fill", "content", "evaluate", "screenshot", "close")
"""The steps, in the order they are reported."""

OPEN_CONNECT = "open: upgrade"
OPEN_FRAME = "open: open frame"
ECHO = "echo"
SERVER_CALL = "evaluate: server's CDP call"
SERVER_GOTO = "goto: server's CDP calls"
# One page task turn, run untimed after every sample (see run_steps).
QUIESCE = "new Promise(resolve => setTimeout(resolve, 0))"
REFERENCES = {
    OPEN_CONNECT: "the WebSocket upgrade (HTTP request, admission, 101), part of the server's open",
    OPEN_FRAME: "the open frame's round trip (a warm page leased), the rest of it",
    ECHO: "a bare aiohttp WebSocket echo on the server's event loop: the hop alone",
    SERVER_CALL: (
        "the Runtime.evaluate the server's evaluate sends (result wrapper, user gesture, "
        "awaitPromise), sent raw: the page-side part of its cost"
    ),
    SERVER_GOTO: (
        "what the server's goto waits for, done raw: the response body and the load "
        "event, then one page task turn (the settle window)"
    ),
}
"""Reference rows, measured alongside the steps, and what each one is."""

# Steps that take about a millisecond get more samples: their p95 is a budget line.
CHEAP = frozenset({"content", "evaluate"})
EVALUATE_SCRIPT = "document.title"
PNG = b"\x89PNG\r\n\x1a\n"
# The settle window of inndx_cdp.session.goto, kept in step with it by hand.
SETTLE_PROBE = "new Promise(resolve => setTimeout(resolve, 0))"
# What inndx_cdp.session.evaluate sends for a script, kept in step with it by hand.
SERVER_EVALUATE = {
    "expression": f"({source('evaluate.js')})(() => (\n{EVALUATE_SCRIPT}\n))",
    "returnByValue": True,
    "awaitPromise": True,
    "userGesture": True,
    "objectGroup": "inndx-evaluate",
    "silent": True,
}

Log = Callable[[str], None]
Pause = Callable[[], Awaitable[None]]
CpuClock = Callable[[], int | None]


@dataclass(frozen=True, slots=True)
class StepPlan:
    """How many samples to take, and how many warm-up rounds to throw away first."""

    samples: int = 100
    warmup: int = 10
    cheap_factor: int = 3

    def rounds(self, step: str) -> tuple[int, int]:
        """Warm-up rounds and measured rounds for ``step``."""
        factor = self.cheap_factor if step in CHEAP else 1
        return self.warmup * factor, self.samples * factor


@dataclass
class StepSamples:
    """Milliseconds per step and driver, the server's CPU per action, the load average."""

    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    server_cpu_us: dict[str, float] = field(default_factory=dict)
    load: dict[str, list[float]] = field(default_factory=dict)

    def add(self, step: str, driver: str, milliseconds: float) -> None:
        self.samples.setdefault(step, {}).setdefault(driver, []).append(milliseconds)


def _rotated(drivers: Sequence[Driver], shift: int) -> list[Driver]:
    shift %= len(drivers)
    return [*drivers[shift:], *drivers[:shift]]


def _elapsed_ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


class _CpuMeter:
    """The server process's CPU time spent inside measured server samples."""

    def __init__(self, clock: CpuClock | None) -> None:
        self.clock = clock
        self.total_ns = 0
        self.count = 0
        self._start: int | None = None

    def start(self) -> None:
        self._start = self.clock() if self.clock else None

    def stop(self, measured: bool) -> None:
        end = self.clock() if self.clock else None
        if measured and self._start is not None and end is not None:
            self.total_ns += end - self._start
            self.count += 1

    def per_action_us(self) -> float | None:
        return self.total_ns / self.count / 1000 if self.count else None


class _Series:
    """One step's rounds, with the cyclic garbage collector held off.

    A collection triggered by one driver's garbage would otherwise land in
    whichever sample happens to be running; it runs between steps instead.
    """

    def __init__(self, results: StepSamples, step: str, log: Log, rounds: int) -> None:
        self.results = results
        self.step = step
        log(f"  {step}: {rounds} rounds")

    def __enter__(self) -> _Series:
        gc.collect()
        gc.disable()
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.enable()
        self.results.load[self.step] = list(os.getloadavg())


async def _open_and_close(
    drivers: Sequence[Driver],
    plan: StepPlan,
    results: StepSamples,
    pause: Pause,
    clock: CpuClock | None,
    log: Log,
) -> None:
    warmup, samples = plan.rounds("open")
    opens, closes = _CpuMeter(clock), _CpuMeter(clock)
    with _Series(results, "open", log, warmup + samples):
        for round_ in range(warmup + samples):
            measured = round_ >= warmup
            for driver in _rotated(drivers, round_):
                server = driver.name == "server"
                # Every open finds a full warm pool, and no pool refill overlaps
                # any driver's sample.
                await pause()
                if server:
                    opens.start()
                start = time.perf_counter()
                tab = await driver.open()
                opened = _elapsed_ms(start)
                if server:
                    opens.stop(measured)
                await pause()
                if server:
                    closes.start()
                start = time.perf_counter()
                await tab.close()
                closed = _elapsed_ms(start)
                if server:
                    closes.stop(measured)
                if measured:
                    results.add("open", driver.name, opened)
                    results.add("close", driver.name, closed)
                    if isinstance(tab, ServerTab):
                        results.add(OPEN_CONNECT, "server", tab.open_phases["connect"])
                        results.add(OPEN_FRAME, "server", tab.open_phases["open frame"])
        results.load["close"] = list(os.getloadavg())
    for step, meter in (("open", opens), ("close", closes)):
        if (cost := meter.per_action_us()) is not None:
            results.server_cpu_us[step] = cost


Action = Callable[[Tab, int], Awaitable[Any]]
Check = Callable[[Any], bool]


def _actions(url: str) -> list[tuple[str, Action, Check]]:
    """Each measured action, with the check its answer must pass."""
    return [
        ("goto", lambda tab, i: tab.goto(url), lambda _: True),
        ("fill", lambda tab, i: tab.fill("#name", f"value {i}"), lambda _: True),
        ("click", lambda tab, i: tab.click("#go"), lambda _: True),
        ("content", lambda tab, i: tab.content(), lambda html: b"Benchmark page" in html),
        ("evaluate", lambda tab, i: tab.evaluate(EVALUATE_SCRIPT), lambda v: v == PAGE_TITLE),
        ("screenshot", lambda tab, i: tab.screenshot(), lambda image: image.startswith(PNG)),
    ]


async def measure_steps(
    drivers: Sequence[Driver],
    url: str,
    plan: StepPlan,
    *,
    pause: Pause,
    echo: EchoProbe | None = None,
    server_cpu: CpuClock | None = None,
    log: Log = print,
) -> StepSamples:
    """Every step of :data:`STEPS` for every driver, and the reference rows.

    ``server_cpu`` reads the server process's CPU clock (nanoseconds): with
    it, each server sample's CPU cost is recorded too. With ``echo``, each
    evaluate round also takes one sample of the bare WebSocket echo.
    """
    results = StepSamples()
    await _open_and_close(drivers, plan, results, pause, server_cpu, log)
    tabs: dict[str, Tab] = {}
    try:
        for driver in drivers:
            tabs[driver.name] = await driver.open()
            await tabs[driver.name].goto(url)
        raw = tabs.get("raw")
        for step, act, check in _actions(url):
            warmup, samples = plan.rounds(step)
            meter = _CpuMeter(server_cpu)
            with _Series(results, step, log, warmup + samples):
                for round_ in range(warmup + samples):
                    measured = round_ >= warmup
                    for driver in _rotated(drivers, round_):
                        server = driver.name == "server"
                        if server:
                            meter.start()
                        start = time.perf_counter()
                        answer = await act(tabs[driver.name], round_)
                        took = _elapsed_ms(start)
                        if server:
                            meter.stop(measured)
                        if not check(answer):
                            raise DriverError(f"{driver.name} {step}: unexpected answer")
                        if measured:
                            results.add(step, driver.name, took)
                        # Untimed: the page finishes what the action left it to
                        # do (after a load, layout and paint), so that work is
                        # not charged to the next driver's sample.
                        await tabs[driver.name].evaluate(QUIESCE)
                    if step == "evaluate":
                        await _references(results, echo, raw, measured=measured)
                    if step == "goto" and isinstance(raw, RawTab):
                        start = time.perf_counter()
                        await _goto_like_the_server(raw, url)
                        if measured:
                            results.add(SERVER_GOTO, "raw", _elapsed_ms(start))
            if (cost := meter.per_action_us()) is not None:
                results.server_cpu_us[step] = cost
            if step == "click":
                await _check_clicked(tabs, sum(plan.rounds("fill")))
    finally:
        for tab in tabs.values():
            await tab.close()
    return results


async def _check_clicked(tabs: dict[str, Tab], fill_rounds: int) -> None:
    # The clicks did reach the page: its handler wrote the last filled value.
    expected = f"hello value {fill_rounds - 1}"
    for name, tab in tabs.items():
        seen = await tab.evaluate("document.querySelector('#out').textContent")
        if seen != expected:
            raise DriverError(f"{name}: the click left {seen!r}, expected {expected!r}")


_ECHO_FRAME = json.dumps({"action": "evaluate", "script": EVALUATE_SCRIPT, "id": 1})


async def _references(
    results: StepSamples, echo: EchoProbe | None, raw: Tab | None, *, measured: bool
) -> None:
    # Taken in the evaluate rounds, so they meet the same load as the evaluates.
    if echo is not None:
        start = time.perf_counter()
        await echo.round_trip(_ECHO_FRAME)
        took = _elapsed_ms(start)
        if measured:
            results.add(ECHO, "server", took)
    if isinstance(raw, RawTab):
        start = time.perf_counter()
        reply = await raw.cdp.send("Runtime.evaluate", SERVER_EVALUATE)
        took = _elapsed_ms(start)
        if json.loads(reply["result"]["value"]) != {"v": PAGE_TITLE}:
            raise DriverError(f"the server's evaluate call answered {reply!r}")
        if measured:
            results.add(SERVER_CALL, "raw", took)


async def _goto_like_the_server(tab: RawTab, url: str) -> None:
    """Page.navigate, then the body, the load event and the settle turn."""
    cdp = tab.cdp
    with cdp.listen("Network.loadingFinished", "Page.loadEventFired") as events:
        answer = await cdp.send("Page.navigate", {"url": url})
        loader = answer["loaderId"]
        body: asyncio.Future[dict[str, Any]] | None = None
        loaded = False
        while body is None or not loaded:
            name, params = await events.get()
            if name == "Network.loadingFinished" and params["requestId"] == loader:
                # As the server does: asked for at once, read while the page loads.
                body = asyncio.ensure_future(
                    cdp.send("Network.getResponseBody", {"requestId": loader})
                )
            elif name == "Page.loadEventFired":
                loaded = True
    await cdp.send("Runtime.evaluate", {"expression": SETTLE_PROBE, "awaitPromise": True})
    if b"Benchmark page" not in (await body)["body"].encode():
        raise DriverError("the raw goto read a different body")
