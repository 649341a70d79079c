"""The benchmark's budget verdicts and report, on figures made up for the purpose."""

from __future__ import annotations

import math
from pathlib import Path

from benchmarks.budget import judge
from benchmarks.concurrency import LevelResult
from benchmarks.report import to_markdown, write_json, write_plot
from benchmarks.stats import Summary, percentile, ratio, summarize


def _summary(p50: float, p95: float | None = None) -> Summary:
    return Summary(n=10, p50=p50, p95=p95 if p95 is not None else p50, mean=p50, min=p50, max=p50)


def _level(sessions: int, errors: int = 0, pss: float = 15.0) -> LevelResult:
    return LevelResult(
        sessions=sessions,
        opened=sessions,
        open_seconds=1.0,
        duration_seconds=10.0,
        loops=sessions,
        loops_per_second=sessions / 10,
        actions_per_second=3 * sessions / 10,
        p50_ms=10.0,
        p95_ms=20.0,
        errors=errors,
        error_notes=[],
        pss_baseline_mb=100.0,
        pss_total_mb=100.0 + pss * sessions,
        pss_per_session_mb=pss,
        server_cpu_percent=5.0,
        browser_cpu_percent=100.0,
        load_average=[1.0, 1.0, 1.0],
    )


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.5
    assert math.isclose(percentile(values, 95), 95.05)
    assert percentile([3.0], 95) == 3.0
    assert math.isnan(percentile([], 50))
    assert summarize([2.0, 1.0, 3.0]).p50 == 2.0
    assert math.isnan(ratio(1.0, 0.0))
    assert math.isnan(ratio(math.nan, 1.0))


def test_each_budget_line_is_judged_on_its_own_figure() -> None:
    steps = {
        "open": {"server": _summary(4.0), "playwright": _summary(60.0)},
        "evaluate": {
            "server": _summary(0.5, 0.9),
            "raw": _summary(0.4),
            "playwright": _summary(1.2),
        },
        "content": {
            "server": _summary(0.9, 1.5),
            "raw": _summary(0.4),
            "playwright": _summary(1.2),
        },
        "goto": {"server": _summary(27.0), "raw": _summary(25.0)},
        "screenshot": {"server": _summary(30.0), "raw": _summary(25.0)},
    }
    verdicts = {line.line: line.met for line in judge(steps, [_level(10), _level(200, pss=21)])}
    assert verdicts == {
        "session open p50 (warm pool)": True,
        "session open vs Playwright new context + page": True,  # 15x
        "evaluate p50 vs raw CDP": True,  # 1.25x
        "evaluate p95": True,
        "evaluate vs Playwright": True,  # 2.4x
        "content p50 vs raw CDP": False,  # 2.25x
        "content p95": False,
        "content vs Playwright": False,  # 1.33x
        "goto p50 vs raw CDP": True,  # 1.08x
        "screenshot p50 vs raw CDP": False,  # 1.2x
        "200 concurrent sessions": True,
        "PSS per idle standard session (200 open)": False,
    }


def test_a_line_the_run_did_not_measure_is_neither_met_nor_failed() -> None:
    lines = judge({"evaluate": {"server": _summary(0.5)}}, [_level(10, errors=1)])
    verdicts = {line.line: line.met for line in lines}
    assert verdicts["evaluate p50 vs raw CDP"] is None
    assert verdicts["session open p50 (warm pool)"] is None
    assert verdicts["200 concurrent sessions"] is None
    assert verdicts["PSS per idle standard session (10 open)"] is True


def test_report_files_without_concurrency(tmp_path: Path) -> None:
    result = {
        "started": "2025-01-01T00:00:00Z",
        "seconds": 1.0,
        "machine": {
            "cpu": "cpu",
            "cores": 2,
            "memory_gib": 4.0,
            "os": "Linux",
            "python": "3.11",
            "chromium": "HeadlessChrome/1",
            "playwright": "1",
            "aiohttp": "3",
            "inndx_cdp": "0",
        },
        "config": {
            "binary": "chromium",
            "server_mode": "subprocess",
            "warm_pages": 2,
            "samples": 10,
            "warmup": 1,
            "cheap_factor": 1,
        },
        "load_average": {"start": [1.0, 1.0, 1.0], "end": [1.0, 1.0, 1.0]},
        "steps": {"evaluate": {"server": _summary(0.5).as_dict(), "raw": _summary(0.4).as_dict()}},
        "ratios": {"evaluate": {"server_to_raw": 1.25, "playwright_to_server": math.nan}},
        "server_cpu_us_per_action": {"evaluate": 120.0},
        "references": {},
        "concurrency": [],
        "budget": [line.as_dict() for line in judge({}, [])],
        "extras": {"open_latency": {"title": "t", "status": "skipped", "note": "absent"}},
    }
    write_json(result, tmp_path / "result.json")
    assert '"playwright_to_server": null' in (tmp_path / "result.json").read_text()
    markdown = to_markdown(result)
    row = "| evaluate | 0.500 | 0.500 | 0.400 | 0.400 | n/a | n/a | 1.25x | n/a | 120 |"
    assert row in markdown
    assert "## Concurrency" not in markdown
    assert "skipped: absent" in markdown
    write_plot(result, tmp_path / "result.png")
    assert (tmp_path / "result.png").read_bytes().startswith(b"\x89PNG")
