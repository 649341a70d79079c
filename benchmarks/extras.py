"""Optional extra measurements, run after the main ones when their module is present.

Each entry names a module of this package and an ``async def f(samples) ->
dict`` in it. A module that is not there is reported as skipped, with a note;
one that fails is reported as failed (and the run's exit status says so), so
a broken extra cannot pass unnoticed. Add a measurement by adding a line to
:data:`EXTRAS`.
"""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["EXTRAS", "Extra", "run_extras"]


@dataclass(frozen=True, slots=True)
class Extra:
    """A named measurement: ``await <module>.<function>(samples)`` gives a JSON-able dict."""

    name: str
    module: str
    function: str
    title: str


EXTRAS: tuple[Extra, ...] = (
    Extra(
        "open_latency",
        "benchmarks.open_latency",
        "measure_open_latency",
        "Session open: warm pool against a cold context + page",
    ),
    Extra(
        "interception_cost",
        "benchmarks.interception_cost",
        "measure_interception_cost",
        "What request interception adds to a goto",
    ),
)


async def run_extras(
    samples: int,
    *,
    extras: Sequence[Extra] = EXTRAS,
    log: Callable[[str], None] = print,
) -> dict[str, dict[str, Any]]:
    """Run every extra; each result is ``{"title", "status": ok|skipped|failed, ...}``."""
    results: dict[str, dict[str, Any]] = {}
    for extra in extras:
        entry: dict[str, Any] = {"title": extra.title}
        results[extra.name] = entry
        try:
            module = importlib.import_module(extra.module)
        except ModuleNotFoundError as exc:
            if exc.name != extra.module:
                raise
            entry.update(status="skipped", note=f"module {extra.module} is not present")
            log(f"  {extra.name}: skipped ({extra.module} is not present)")
            continue
        log(f"  {extra.name}: {samples} samples")
        try:
            measure = getattr(module, extra.function)
            entry.update(status="ok", result=await measure(samples))
        except Exception as exc:
            entry.update(
                status="failed",
                note=f"{type(exc).__name__}: {exc}",
                traceback=traceback.format_exc(),
            )
            log(f"  {extra.name}: failed: {type(exc).__name__}: {exc}")
    return results
