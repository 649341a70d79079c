"""Many sessions at once, each running goto + evaluate + content in a loop.

For each level: open the sessions (a bounded number of opens in flight, as a
fleet of clients would ramp up), load the page once in each, then let every
session loop for a fixed time. Throughput counts finished loops per second;
latency is one loop (three round trips); errors are error frames, broken
sockets and refused opens. Memory is the PSS of the server's browser process
tree with the sessions open and idle on the page, minus the same with none
open, per session; the marginal figure compares two levels, which leaves
out what the browser grows by once. CPU is the server process's (and the browsers') CPU time
over the loop's wall time, in percent of one core.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .drivers.server import ServerDriver, ServerTab
from .service import ServerUnderTest, cpu_seconds, tree_pss, wait_warm
from .stats import percentile
from .steps import EVALUATE_SCRIPT

__all__ = ["LevelResult", "measure_concurrency"]

# Opens in flight at once while a level ramps up.
OPEN_CONCURRENCY = 16
MAX_ERROR_NOTES = 5
# A step that takes longer is counted as an error (the server's own action
# timeout is 30 s): a stuck session must not stall the whole run.
STEP_TIMEOUT = 60.0
MB = 1024 * 1024


@dataclass
class LevelResult:
    """What one concurrency level measured."""

    sessions: int
    opened: int
    open_seconds: float
    duration_seconds: float
    loops: int
    loops_per_second: float
    actions_per_second: float
    p50_ms: float
    p95_ms: float
    errors: int
    error_notes: list[str]
    pss_baseline_mb: float
    pss_total_mb: float
    pss_per_session_mb: float
    server_cpu_percent: float
    browser_cpu_percent: float
    load_average: list[float]
    pss_marginal_mb: float | None = None
    action_p50_ms: dict[str, float] = field(default_factory=dict)
    action_p95_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Tally:
    loops: list[float] = field(default_factory=list)
    actions: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    notes: list[str] = field(default_factory=list)

    def error(self, where: str, exc: BaseException) -> None:
        self.errors += 1
        if len(self.notes) < MAX_ERROR_NOTES:
            self.notes.append(f"{where}: {type(exc).__name__}: {exc}")


async def _open_all(driver: ServerDriver, count: int, url: str, tally: _Tally) -> list[ServerTab]:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def open_one() -> ServerTab | None:
        async with gate:
            try:
                async with asyncio.timeout(STEP_TIMEOUT):
                    tab = await driver.open()
            except Exception as exc:
                tally.error("open", exc)
                return None
            try:
                async with asyncio.timeout(STEP_TIMEOUT):
                    await tab.goto(url)
            except Exception as exc:
                tally.error("first goto", exc)
            return tab

    opened = await asyncio.gather(*(open_one() for _ in range(count)))
    return [tab for tab in opened if tab is not None]


async def _loop(tab: ServerTab, url: str, until: float, tally: _Tally) -> None:
    actions: tuple[tuple[str, Callable[[], Awaitable[object]]], ...] = (
        ("goto", lambda: tab.goto(url)),
        ("evaluate", lambda: tab.evaluate(EVALUATE_SCRIPT)),
        ("content", tab.content),
    )
    while time.monotonic() < until:
        start = time.perf_counter()
        try:
            for name, action in actions:
                began = time.perf_counter()
                async with asyncio.timeout(STEP_TIMEOUT):
                    await action()
                tally.actions.setdefault(name, []).append((time.perf_counter() - began) * 1000)
        except Exception as exc:
            tally.error("loop", exc)
            if isinstance(exc, TimeoutError):
                # Its answer may still come and would pair with the next frame.
                await tab.ws.close()
            if tab.ws.closed:
                return
            continue
        tally.loops.append((time.perf_counter() - start) * 1000)


async def _close_all(tabs: Sequence[ServerTab], tally: _Tally) -> None:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def close_one(tab: ServerTab) -> None:
        async with gate:
            try:
                async with asyncio.timeout(STEP_TIMEOUT):
                    await tab.close()
            except Exception as exc:
                tally.error("close", exc)

    await asyncio.gather(*(close_one(tab) for tab in tabs))


def _cpu_percent(before: dict[int, float], after: dict[int, float], seconds: float) -> float:
    spent = sum(after[pid] - before.get(pid, 0.0) for pid in after)
    return 100 * spent / seconds if seconds > 0 else 0.0


async def measure_level(
    server: ServerUnderTest, driver: ServerDriver, url: str, sessions: int, duration: float
) -> LevelResult:
    """One level: ``sessions`` sessions looping for ``duration`` seconds."""
    await wait_warm(server, timeout=120)
    # Let the disposal of the previous level's contexts finish before the baseline.
    await asyncio.sleep(1.0)
    baseline = tree_pss(server.browser_processes())
    tally = _Tally()
    started = time.perf_counter()
    tabs = await _open_all(driver, sessions, url, tally)
    open_seconds = time.perf_counter() - started
    try:
        server_proc = [server.server_process()]
        server_before = cpu_seconds(server_proc)
        browsers_before = cpu_seconds(server.browser_processes())
        began = time.perf_counter()
        until = time.monotonic() + duration
        await asyncio.gather(*(_loop(tab, url, until, tally) for tab in tabs))
        wall = time.perf_counter() - began
        server_cpu = _cpu_percent(server_before, cpu_seconds(server_proc), wall)
        browser_cpu = _cpu_percent(browsers_before, cpu_seconds(server.browser_processes()), wall)
        load = list(os.getloadavg())
        # Idle sessions, each on the page it loaded, and a full warm pool, as
        # in the baseline.
        await wait_warm(server, timeout=120)
        await asyncio.sleep(0.5)
        total = tree_pss(server.browser_processes())
    finally:
        await _close_all(tabs, tally)
    loops = len(tally.loops)
    actions = sum(len(samples) for samples in tally.actions.values())
    return LevelResult(
        sessions=sessions,
        opened=len(tabs),
        open_seconds=open_seconds,
        duration_seconds=wall,
        loops=loops,
        loops_per_second=loops / wall if wall > 0 else 0.0,
        actions_per_second=actions / wall if wall > 0 else 0.0,
        p50_ms=percentile(tally.loops, 50),
        p95_ms=percentile(tally.loops, 95),
        errors=tally.errors,
        error_notes=tally.notes,
        pss_baseline_mb=baseline / MB,
        pss_total_mb=total / MB,
        pss_per_session_mb=(total - baseline) / MB / max(len(tabs), 1),
        server_cpu_percent=server_cpu,
        browser_cpu_percent=browser_cpu,
        load_average=load,
        action_p50_ms={name: percentile(v, 50) for name, v in tally.actions.items()},
        action_p95_ms={name: percentile(v, 95) for name, v in tally.actions.items()},
    )


async def measure_concurrency(
    server: ServerUnderTest,
    url: str,
    levels: Sequence[int],
    duration: float,
    *,
    log: Callable[[str], None] = print,
) -> list[LevelResult]:
    """Every level in turn, on one server."""
    driver = ServerDriver(server.endpoints.ws)
    await driver.start()
    results: list[LevelResult] = []
    try:
        for sessions in levels:
            log(f"  {sessions} sessions for {duration:g}s")
            result = await measure_level(server, driver, url, sessions, duration)
            if results and result.opened > results[-1].opened:
                # What one more session costs, free of the browser's fixed growth.
                before = results[-1]
                grown = (result.pss_total_mb - result.pss_baseline_mb) - (
                    before.pss_total_mb - before.pss_baseline_mb
                )
                result.pss_marginal_mb = grown / (result.opened - before.opened)
            log(
                f"    {result.loops_per_second:.1f} loops/s, p95 {result.p95_ms:.1f} ms, "
                f"{result.errors} errors, {result.pss_per_session_mb:.1f} MB PSS per session"
            )
            results.append(result)
    finally:
        await driver.stop()
    return results
