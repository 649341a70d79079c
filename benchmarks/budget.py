"""The performance budget, line by line, judged from one run's figures."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .concurrency import LevelResult
from .stats import Summary, ratio

__all__ = ["BudgetLine", "judge"]

IDLE_SESSION_MB = 20.0
TARGET_SESSIONS = 200


@dataclass(frozen=True, slots=True)
class BudgetLine:
    """One line of the budget: what is asked, what was measured, and the verdict."""

    line: str
    target: str
    measured: str
    met: bool | None  # None: not measured in this run

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "not measured"
    if unit == "x":
        return f"{value:.2f}x"
    return f"{value:.3g} {unit}" if value < 10 else f"{value:.1f} {unit}"


def _verdict(value: float, ok: bool) -> bool | None:
    return None if math.isnan(value) else ok


def _nan(summary: Summary | None, field: str) -> float:
    return math.nan if summary is None else float(getattr(summary, field))


def judge(steps: dict[str, dict[str, Summary]], levels: list[LevelResult]) -> list[BudgetLine]:
    """Every budget line with its verdict (``met`` is None when the run did not measure it)."""
    lines: list[BudgetLine] = []

    def get(step: str, driver: str, field: str = "p50") -> float:
        return _nan(steps.get(step, {}).get(driver), field)

    open_p50 = get("open", "server")
    lines.append(
        BudgetLine(
            "session open p50 (warm pool)",
            "≤ 5 ms",
            _fmt(open_p50, "ms"),
            _verdict(open_p50, open_p50 <= 5),
        )
    )
    speedup = ratio(get("open", "playwright"), open_p50)
    lines.append(
        BudgetLine(
            "session open vs Playwright new context + page",
            "≥ 10x faster",
            _fmt(speedup, "x"),
            _verdict(speedup, speedup >= 10),
        )
    )
    for step in ("evaluate", "content"):
        p50, p95 = get(step, "server"), get(step, "server", "p95")
        to_raw = ratio(p50, get(step, "raw"))
        faster = ratio(get(step, "playwright"), p50)
        lines += [
            BudgetLine(
                f"{step} p50 vs raw CDP",
                "≤ 1.5x",
                _fmt(to_raw, "x"),
                _verdict(to_raw, to_raw <= 1.5),
            ),
            BudgetLine(f"{step} p95", "≤ 1 ms", _fmt(p95, "ms"), _verdict(p95, p95 <= 1.0)),
            BudgetLine(
                f"{step} vs Playwright",
                "≥ 2x faster",
                _fmt(faster, "x"),
                _verdict(faster, faster >= 2),
            ),
        ]
    for step in ("goto", "screenshot"):
        to_raw = ratio(get(step, "server"), get(step, "raw"))
        lines.append(
            BudgetLine(
                f"{step} p50 vs raw CDP",
                "≤ 1.1x",
                _fmt(to_raw, "x"),
                _verdict(to_raw, to_raw <= 1.1),
            )
        )
    top = max(levels, key=lambda level: level.sessions, default=None)
    at_target = next((level for level in levels if level.sessions == TARGET_SESSIONS), None)
    if at_target is None:
        lines.append(
            BudgetLine(f"{TARGET_SESSIONS} concurrent sessions", "0 errors", "not measured", None)
        )
    else:
        ok = at_target.errors == 0 and at_target.opened == TARGET_SESSIONS
        lines.append(
            BudgetLine(
                f"{TARGET_SESSIONS} concurrent sessions",
                "0 errors",
                f"{at_target.errors} errors, {at_target.opened} opened",
                ok,
            )
        )
    if top is None:
        lines.append(BudgetLine("PSS per idle session", "≤ 20 MB", "not measured", None))
    else:
        per = top.pss_per_session_mb
        lines.append(
            BudgetLine(
                f"PSS per idle standard session ({top.sessions} open)",
                "≤ 20 MB",
                _fmt(per, "MB"),
                _verdict(per, per <= IDLE_SESSION_MB),
            )
        )
    return lines
