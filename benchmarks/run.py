"""One benchmark run: the local page, the server, the three drivers, the files."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib.metadata
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from inndx_cdp.browser.process import find_binary

from .budget import judge
from .concurrency import LevelResult, measure_concurrency
from .drivers import Driver
from .drivers.raw import RawDriver
from .drivers.server import EchoProbe, ServerDriver
from .extras import run_extras
from .report import to_markdown, write_json, write_plot
from .service import ServerMode, ServerUnderTest, start_server, thread_cpu_ns, wait_warm
from .site import LocalSite
from .stats import Summary, ratio, summarize
from .steps import REFERENCES, STEPS, StepPlan, measure_steps

__all__ = ["DRIVERS", "RunConfig", "run"]

DRIVERS = ("server", "raw", "playwright")
LEVELS = (1, 10, 50, 100, 200)


@dataclass
class RunConfig:
    """Everything a run can be told; the defaults are the full run."""

    samples: int = 100
    warmup: int = 10
    cheap_factor: int = 3
    levels: tuple[int, ...] = LEVELS
    duration: float = 10.0
    drivers: tuple[str, ...] = DRIVERS
    server_mode: ServerMode = "subprocess"
    warm_pages: int = 4
    binary: str = field(default_factory=lambda: find_binary("standard"))
    extras: bool = True
    extra_samples: int = 20
    out: Path | None = None

    @classmethod
    def quick(cls, **overrides: Any) -> RunConfig:
        """The short run (well under a minute) the smoke test uses."""
        values: dict[str, Any] = {
            "samples": 8,
            "warmup": 2,
            "cheap_factor": 2,
            "levels": (1, 4),
            "duration": 1.0,
            "extra_samples": 3,
        }
        values.update(overrides)
        return cls(**values)

    def server_settings(self) -> dict[str, Any]:
        """The server's settings: its defaults, except where a benchmark needs room."""
        top = max(self.levels, default=1)
        return {
            "standard_binary": self.binary,
            "warm_pages": self.warm_pages,
            # Sessions of the previous level may still be leaving while the
            # next one opens; the admission limit is not what is measured.
            "max_sessions": max(2 * top, 200),
            "max_sessions_per_tenant": max(2 * top, 200),
            # One browser for the whole run: no retirement in the middle of a
            # measurement (a run serves several hundred sessions).
            "max_sessions_per_browser": 1_000_000,
            "max_browser_memory_mb": 1_000_000,
        }


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def describe_machine(chromium: str) -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": psutil.virtual_memory().total / 1024**3,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "chromium": chromium,
        "playwright": _version("playwright"),
        "aiohttp": _version("aiohttp"),
        "inndx_cdp": _version("inndx-cdp"),
    }


def _make_drivers(config: RunConfig, server: ServerUnderTest) -> list[Driver]:
    drivers: list[Driver] = []
    for name in config.drivers:
        if name == "server":
            drivers.append(ServerDriver(server.endpoints.ws))
        elif name == "raw":
            drivers.append(RawDriver(config.binary))
        else:
            # Imported only when asked for: a run without Playwright needs no Playwright.
            from .drivers.playwright_driver import PlaywrightDriver

            drivers.append(PlaywrightDriver(config.binary))
    return drivers


def _summaries(samples: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, Summary]]:
    order = [*STEPS, *REFERENCES, *(s for s in samples if s not in STEPS and s not in REFERENCES)]
    return {
        step: {driver: summarize(values) for driver, values in samples[step].items()}
        for step in order
        if step in samples
    }


def _ratios(steps: dict[str, dict[str, Summary]]) -> dict[str, dict[str, float]]:
    nan = summarize([])
    out = {}
    for step, drivers in steps.items():
        server = drivers.get("server", nan).p50
        raw = drivers.get("raw", nan).p50
        playwright = drivers.get("playwright", nan).p50
        out[step] = {
            "server_to_raw": ratio(server, raw),
            "playwright_to_server": ratio(playwright, server),
            "playwright_to_raw": ratio(playwright, raw),
        }
    return out


async def _measure(
    config: RunConfig, log: Callable[[str], None]
) -> tuple[dict[str, Any], list[LevelResult], str]:
    async with LocalSite() as site:
        log(f"server ({config.server_mode}) starting")
        server = await start_server(config.server_mode, config.server_settings())
        try:
            drivers = _make_drivers(config, server)
            chromium = ""
            async with aiohttp.ClientSession() as http:
                echo = EchoProbe(server.endpoints.echo) if "server" in config.drivers else None
                try:
                    for driver in drivers:
                        await driver.start()
                        if isinstance(driver, RawDriver):
                            chromium = driver.product
                    if echo is not None:
                        await echo.start()
                    log(f"per-step latency ({', '.join(config.drivers)})")
                    plan = StepPlan(config.samples, config.warmup, config.cheap_factor)
                    pid = server.server_process().pid
                    samples = await measure_steps(
                        drivers,
                        site.url,
                        plan,
                        pause=lambda: wait_warm(server, http),
                        echo=echo,
                        # In one process the client's CPU would count as the server's.
                        server_cpu=(lambda: thread_cpu_ns(pid))
                        if server.mode == "subprocess"
                        else None,
                        log=log,
                    )
                finally:
                    if echo is not None:
                        await echo.stop()
                    # The other browsers go before the concurrency levels, so
                    # they take no memory or CPU from the server's.
                    for driver in drivers:
                        await driver.stop()
            levels: list[LevelResult] = []
            if config.levels and "server" in config.drivers:
                log("concurrency")
                levels = await measure_concurrency(
                    server, site.url, config.levels, config.duration, log=log
                )
        finally:
            await server.stop()
    measured = {
        "samples": samples.samples,
        "load": samples.load,
        "server_cpu_us": samples.server_cpu_us,
    }
    return measured, levels, chromium


async def run(config: RunConfig, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure, judge the budget, write the files; the result as written to JSON."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    began = time.perf_counter()
    load_start = list(os.getloadavg())
    measured, levels, chromium = await _measure(config, log)
    extras = {}
    if config.extras:
        log("extras")
        extras = await run_extras(config.extra_samples, log=log)
    steps = _summaries(measured["samples"])
    result: dict[str, Any] = {
        "started": started.isoformat().replace("+00:00", "Z"),
        "seconds": time.perf_counter() - began,
        "machine": describe_machine(chromium),
        "config": {
            **{k: v for k, v in asdict(config).items() if k != "out"},
            "levels": list(config.levels),
            "drivers": list(config.drivers),
            "server_settings": config.server_settings(),
        },
        "load_average": {"start": load_start, "end": list(os.getloadavg())},
        "steps": {
            step: {driver: summary.as_dict() for driver, summary in drivers.items()}
            for step, drivers in steps.items()
        },
        "ratios": _ratios(steps),
        "server_cpu_us_per_action": measured["server_cpu_us"],
        "references": {name: text for name, text in REFERENCES.items() if name in steps},
        "step_load_average": measured["load"],
        "concurrency": [level.as_dict() for level in levels],
        "budget": [line.as_dict() for line in judge(steps, levels)],
        "extras": extras,
        "samples_ms": measured["samples"],
    }
    out = config.out or _default_out(started)
    out.mkdir(parents=True, exist_ok=True)
    write_json(result, out / "result.json")
    (out / "result.md").write_text(to_markdown(result))
    write_plot(result, out / "result.png")
    result["out"] = str(out)
    log(f"wrote {out / 'result.json'}, result.md and result.png")
    return result


def _default_out(started: dt.datetime) -> Path:
    return Path(__file__).parent / "results" / started.strftime("%Y%m%d-%H%M%S")


def main_async(config: RunConfig) -> dict[str, Any]:
    """Run in a fresh event loop, logging progress (with elapsed seconds) to stderr."""
    began = time.perf_counter()

    def log(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {text}", file=sys.stderr, flush=True)

    return asyncio.run(run(config, log=log))
