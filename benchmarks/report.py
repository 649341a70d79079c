"""A run's result as JSON, a Markdown report and a PNG plot."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["DRIVER_LABELS", "to_markdown", "write_json", "write_plot"]

NONE = "n/a"
DRIVER_LABELS = {"server": "server (WebSocket)", "raw": "raw CDP", "playwright": "Playwright"}
DRIVER_COLOURS = {"server": "#1f77b4", "raw": "#7f7f7f", "playwright": "#d62728"}


def _clean(value: Any) -> Any:
    # JSON has no NaN: a missing figure is null.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def write_json(result: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(_clean(result), indent=2, ensure_ascii=False) + "\n")


def _ms(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _x(value: float | None) -> str:
    if value is None or math.isnan(value):
        return NONE
    return f"{value:.2f}x"


def _steps_table(result: dict[str, Any]) -> list[str]:
    steps: dict[str, dict[str, dict[str, float]]] = result["steps"]
    ratios: dict[str, dict[str, float]] = result["ratios"]
    cpu: dict[str, float] = result.get("server_cpu_us_per_action", {})
    lines = [
        "| step | server p50 | server p95 | raw CDP p50 | raw CDP p95 | Playwright p50 "
        "| Playwright p95 | server / raw | Playwright / server | server CPU per action (µs) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for step, drivers in steps.items():
        cells = [step]
        for driver in ("server", "raw", "playwright"):
            summary = drivers.get(driver)
            cells += [_ms(summary["p50"]), _ms(summary["p95"])] if summary else [NONE, NONE]
        step_ratios = ratios.get(step, {})
        cells += [_x(step_ratios.get("server_to_raw")), _x(step_ratios.get("playwright_to_server"))]
        cells.append(f"{cpu[step]:.0f}" if step in cpu else NONE)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _concurrency_table(levels: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| sessions | opened | open all (s) | loops/s | actions/s | loop p50 (ms) | loop p95 (ms) "
        "| errors | PSS per session (MB) | marginal PSS per session (MB) | server CPU % "
        "| browsers CPU % | load (1 min) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: |",
    ]
    for level in levels:
        lines.append(
            f"| {level['sessions']} | {level['opened']} | {level['open_seconds']:.1f} "
            f"| {level['loops_per_second']:.1f} | {level['actions_per_second']:.1f} "
            f"| {_ms(level['p50_ms'])} | {_ms(level['p95_ms'])} | {level['errors']} "
            f"| {level['pss_per_session_mb']:.1f} | {_mb(level.get('pss_marginal_mb'))} "
            f"| {level['server_cpu_percent']:.0f} "
            f"| {level['browser_cpu_percent']:.0f} | {level['load_average'][0]:.1f} |"
        )
    return lines


def _mb(value: float | None) -> str:
    return NONE if value is None else f"{value:.1f}"


def _budget_table(lines_: list[dict[str, Any]]) -> list[str]:
    lines = ["| budget line | target | measured | verdict |", "| --- | --- | --- | --- |"]
    for line in lines_:
        verdict = {True: "met", False: "**not met**", None: "not measured"}[line["met"]]
        lines.append(f"| {line['line']} | {line['target']} | {line['measured']} | {verdict} |")
    return lines


def _extras(extras: dict[str, dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for name, entry in extras.items():
        lines.append(f"### {entry.get('title', name)} (`{name}`)")
        lines.append("")
        if entry["status"] != "ok":
            lines.append(f"{entry['status']}: {entry.get('note', '')}")
        else:
            lines.append("```json")
            lines.append(json.dumps(_clean(entry["result"]), indent=2))
            lines.append("```")
        lines.append("")
    return lines


def to_markdown(result: dict[str, Any]) -> str:
    """The report: machine and load, per-step latency, concurrency, budget, extras."""
    machine = result["machine"]
    config = result["config"]
    load = result["load_average"]
    out = [
        f"# Latency benchmark, {result['started']}",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gib']:.0f} GiB, {machine['os']}",
        f"- Chromium: {machine['chromium']} ({config['binary']}); "
        f"Playwright {machine['playwright']}; Python {machine['python']}; "
        f"aiohttp {machine['aiohttp']}; inndx-cdp {machine['inndx_cdp']}",
        f"- Server: {config['server_mode']}, warm pool of {config['warm_pages']} pages; "
        f"client: aiohttp, JSON text frames",
        f"- Load average (1, 5, 15 min): {_load(load['start'])} at the start, "
        f"{_load(load['end'])} at the end",
        f"- Samples: {config['samples']} per step and driver after {config['warmup']} warm-up "
        f"rounds ({config['cheap_factor']}x both for content and evaluate), drivers "
        f"interleaved sample by sample; {result['seconds']:.0f} s in all",
        "",
        "## Latency per step (ms)",
        "",
        *_steps_table(result),
        "",
        *(f"- `{name}`: {text}" for name, text in result.get("references", {}).items()),
        "- server CPU per action: the server process's CPU time (all threads) during its "
        "own samples, independent of how busy the machine is; empty when the server runs "
        "in the harness's process.",
        "",
    ]
    if result["concurrency"]:
        out += [
            "## Concurrency (goto + evaluate + content per loop)",
            "",
            *_concurrency_table(result["concurrency"]),
            "",
        ]
        notes = [
            f"- {level['sessions']} sessions: {note}"
            for level in result["concurrency"]
            for note in level["error_notes"]
        ]
        if notes:
            out += ["Errors seen:", "", *notes, ""]
    out += ["## Budget", "", *_budget_table(result["budget"]), ""]
    if result["extras"]:
        out += ["## Extra measurements", "", *_extras(result["extras"])]
    return "\n".join(out).rstrip() + "\n"


def _load(values: list[float]) -> str:
    return " / ".join(f"{value:.2f}" for value in values)


def write_plot(result: dict[str, Any], path: Path) -> None:
    """Latency per step for the three drivers; throughput and p95 against concurrency."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps: dict[str, dict[str, dict[str, float]]] = result["steps"]
    references = result.get("references", {})
    names = [step for step in steps if step not in references]
    drivers = [d for d in ("server", "raw", "playwright") if any(d in steps[s] for s in names)]
    figure = plt.figure(figsize=(12, 8), constrained_layout=True)
    grid = figure.add_gridspec(2, 2)
    bars = figure.add_subplot(grid[0, :])
    width = 0.8 / max(len(drivers), 1)
    for index, driver in enumerate(drivers):
        xs = [i + (index - (len(drivers) - 1) / 2) * width for i in range(len(names))]
        p50 = [steps[s].get(driver, {}).get("p50") or 0 for s in names]
        p95 = [steps[s].get(driver, {}).get("p95") or 0 for s in names]
        bars.bar(xs, p50, width, label=f"{DRIVER_LABELS[driver]} p50", color=DRIVER_COLOURS[driver])
        bars.scatter(xs, p95, marker="_", s=200, color="black", zorder=3)
    bars.scatter([], [], marker="_", s=200, color="black", label="p95")
    bars.set_xticks(range(len(names)), names)
    bars.set_yscale("log")
    bars.set_ylabel("ms (log scale)")
    bars.set_title("Latency per step (bars: median; ticks: p95)")
    bars.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=4, fontsize="small")
    bars.grid(axis="y", which="both", alpha=0.3)

    levels = result["concurrency"]
    throughput = figure.add_subplot(grid[1, 0])
    latency = figure.add_subplot(grid[1, 1])
    if levels:
        _plot_levels(levels, throughput, latency)
    else:
        for axes in (throughput, latency):
            axes.text(0.5, 0.5, "concurrency not measured in this run", ha="center")
            axes.set_axis_off()
    load = result["load_average"]["start"][0]
    figure.suptitle(
        f"inndx-cdp benchmark, {result['started']} (load average {load:.1f} "
        f"on {result['machine']['cores']} cores)",
        fontsize="medium",
    )
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _plot_levels(levels: list[dict[str, Any]], throughput: Any, latency: Any) -> None:
    """Loops per second and loop p95 against the number of sessions (log axes)."""
    from matplotlib.ticker import NullFormatter, NullLocator, ScalarFormatter

    sessions = [level["sessions"] for level in levels]
    throughput.plot(sessions, [lv["loops_per_second"] for lv in levels], marker="o")
    throughput.set_xscale("log")
    throughput.set_xticks(sessions, [str(n) for n in sessions])
    throughput.xaxis.set_minor_locator(NullLocator())
    throughput.set_xlabel("concurrent sessions")
    throughput.set_ylabel("loops per second")
    throughput.set_title("Throughput (goto + evaluate + content)")
    throughput.grid(alpha=0.3)
    latency.plot(sessions, [lv["p95_ms"] for lv in levels], marker="o", color="#d62728")
    latency.set_xscale("log")
    latency.set_yscale("log")
    latency.set_xticks(sessions, [str(n) for n in sessions])
    latency.xaxis.set_minor_locator(NullLocator())
    latency.yaxis.set_major_formatter(ScalarFormatter())
    latency.yaxis.set_minor_formatter(NullFormatter())
    latency.set_xlabel("concurrent sessions")
    latency.set_ylabel("loop p95 (ms, log scale)")
    latency.set_title("Latency p95 of one loop")
    latency.grid(alpha=0.3, which="both")
