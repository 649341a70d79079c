"""Prometheus metrics for ``GET /metrics``.

Only actions and refusals are counted as they happen (a counter and a
histogram observation, a few microseconds). Everything else (open sessions,
the pool, browser restarts, process-tree memory) is read when Prometheus
scrapes, never on the path of a session; the memory walk runs in a worker
thread so a scrape does not stall the event loop.

Each application has its own registry (``app[METRICS_KEY].registry``), so
several servers can live in one process.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..errors import InndxError

if TYPE_CHECKING:
    from ..browser.process import BrowserProcess
    from .app import ServerState

__all__ = ["Metrics", "metrics_handler"]

# From a 1 ms evaluate to a goto that uses most of a 10-minute timeout.
ACTION_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0,
)  # fmt: skip


@dataclass
class _Snapshot:
    """What the last scrape read from the server (see :meth:`Metrics.refresh`)."""

    sessions: Tally[tuple[str, str]] = field(default_factory=Tally)
    browsers: Tally[str] = field(default_factory=Tally)
    memory: dict[str, int] = field(default_factory=dict)
    processes: dict[str, int] = field(default_factory=dict)
    warm: int = 0
    pages: int = 0
    restarts: int = 0
    draining: bool = False
    max_sessions: int = 0


class _SnapshotCollector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        shot = self._metrics.snapshot
        sessions = GaugeMetricFamily(
            "inndx_cdp_sessions_open", "Sessions open now", labels=["tenant", "kind"]
        )
        for (tenant, kind), count in sorted(shot.sessions.items()):
            sessions.add_metric([tenant, kind], count)
        yield sessions
        yield GaugeMetricFamily(
            "inndx_cdp_sessions_max", "Sessions this server admits at once", value=shot.max_sessions
        )
        yield GaugeMetricFamily(
            "inndx_cdp_draining", "1 while the server is shutting down", value=int(shot.draining)
        )
        browsers = GaugeMetricFamily(
            "inndx_cdp_pool_browsers", "Browser processes running, by kind", labels=["kind"]
        )
        memory = GaugeMetricFamily(
            "inndx_cdp_browser_memory_bytes",
            "Memory of the browsers' process trees (PSS where the kernel offers it), by kind",
            labels=["kind"],
        )
        processes = GaugeMetricFamily(
            "inndx_cdp_browser_processes",
            "Processes in the browsers' trees (browser, renderers, helpers), by kind",
            labels=["kind"],
        )
        for kind in sorted(shot.browsers):
            browsers.add_metric([kind], shot.browsers[kind])
            memory.add_metric([kind], shot.memory.get(kind, 0))
            processes.add_metric([kind], shot.processes.get(kind, 0))
        yield browsers
        yield memory
        yield processes
        yield GaugeMetricFamily(
            "inndx_cdp_pool_warm_pages", "Prepared pages waiting for a session", value=shot.warm
        )
        yield GaugeMetricFamily(
            "inndx_cdp_pool_pages",
            "Pages open in all browsers (warm ones included)",
            value=shot.pages,
        )
        yield CounterMetricFamily(
            "inndx_cdp_browser_restarts",
            "Browsers replaced after they died",
            value=shot.restarts,
        )


class Metrics:
    """The server's Prometheus instruments and the scrape-time snapshot."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.snapshot = _Snapshot()
        self._state: ServerState | None = None
        self._actions = Counter(
            "inndx_cdp_actions",
            "Actions answered, by action and outcome (ok or the error code)",
            ["action", "outcome"],
            registry=self.registry,
        )
        self._durations = Histogram(
            "inndx_cdp_action_duration_seconds",
            "Time from the start of an action to its answer, by action and outcome",
            ["action", "outcome"],
            buckets=ACTION_BUCKETS,
            registry=self.registry,
        )
        self._refusals = Counter(
            "inndx_cdp_refusals",
            "Sessions refused before the WebSocket upgrade, by HTTP status",
            ["code"],
            registry=self.registry,
        )
        self._children: dict[tuple[str, str], tuple[Any, Any]] = {}
        self.registry.register(_SnapshotCollector(self))
        # The server process itself: resident memory, CPU seconds, open files.
        ProcessCollector(registry=self.registry)

    def bind(self, state: ServerState) -> None:
        """Read this server's state at scrape time."""
        self._state = state

    def action(self, name: str) -> _Timed:
        """Count and time one action (``with metrics.action("goto"): ...``).

        The outcome is ``ok``, the error's code, or ``cancelled``.
        """
        return _Timed(self, name)

    def _record(self, name: str, outcome: str, seconds: float) -> None:
        instruments = self._children.get((name, outcome))
        if instruments is None:
            # ``labels()`` validates and locks on every call: look each pair up once.
            instruments = (
                self._actions.labels(name, outcome),
                self._durations.labels(name, outcome),
            )
            self._children[name, outcome] = instruments
        instruments[0].inc()
        instruments[1].observe(seconds)

    def refused(self, status: int) -> None:
        """Count a refusal before the upgrade."""
        self._refusals.labels(str(status)).inc()

    async def refresh(self) -> None:
        """Read open sessions, the pool and memory into the snapshot."""
        state = self._state
        if state is None:
            return
        shot = _Snapshot(
            draining=state.admission.draining, max_sessions=state.settings.max_sessions
        )
        for socket in list(state.sockets):
            if socket.session is not None and not socket.ended:
                shot.sessions[socket.tenant, socket.session.page.browser.kind] += 1
        stats = state.pool.stats()
        shot.warm, shot.pages, shot.restarts = stats.warm, stats.pages, stats.restarts
        trees: list[tuple[str, BrowserProcess]] = []
        for browser in state.pool.browsers():
            shot.browsers[browser.kind] += 1
            trees.append((browser.kind, browser.process))
        # Reading smaps of a few dozen processes takes milliseconds: not in the loop.
        shot.memory, shot.processes = await asyncio.to_thread(_tree_usage, trees)
        self.snapshot = shot

    async def render(self) -> bytes:
        """The Prometheus text exposition, freshly read."""
        await self.refresh()
        return generate_latest(self.registry)


class _Timed:
    """The context manager behind :meth:`Metrics.action` (a class: cheaper than a generator)."""

    __slots__ = ("_metrics", "_name", "_started")

    def __init__(self, metrics: Metrics, name: str) -> None:
        self._metrics = metrics
        self._name = name
        self._started = 0.0

    def __enter__(self) -> None:
        self._started = time.perf_counter()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        elapsed = time.perf_counter() - self._started
        if exc is None:
            outcome = "ok"
        elif isinstance(exc, InndxError):
            outcome = str(exc.code)
        elif isinstance(exc, asyncio.CancelledError):
            outcome = "cancelled"
        else:
            outcome = "500"
        self._metrics._record(self._name, outcome, elapsed)


def _tree_usage(trees: list[tuple[str, BrowserProcess]]) -> tuple[dict[str, int], dict[str, int]]:
    memory: Tally[str] = Tally()
    processes: Tally[str] = Tally()
    for kind, process in trees:
        memory[kind] += process.memory_bytes()
        processes[kind] += len(process.tree())
    return dict(memory), dict(processes)


def metrics_handler(metrics: Metrics) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The ``GET /metrics`` route."""

    async def serve_metrics(request: web.Request) -> web.Response:
        body = await metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return serve_metrics
