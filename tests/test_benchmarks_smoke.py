"""The benchmark harness runs end to end and writes its files (timings are never checked).

It runs as users run it, ``python -m benchmarks run --quick``, in a child
process whose temporary folder lies inside this run's, so the leak check of
``conftest.py`` also covers the browsers the harness starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from benchmarks.run import DRIVERS
from benchmarks.steps import STEPS

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.chromium


async def _bench(out: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "TMPDIR": tempfile.gettempdir()}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks",
        "run",
        "--quick",
        "--out",
        str(out),
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()[-3000:]
    for name in ("result.json", "result.md", "result.png"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "result.png").read_bytes().startswith(PNG)
    markdown = (out / "result.md").read_text()
    assert stdout.decode().strip() == markdown.strip()
    for heading in ("## Latency per step", "## Budget"):
        assert heading in markdown
    result: dict[str, Any] = json.loads((out / "result.json").read_text())
    return result


@pytest.mark.timeout(400)
async def test_quick_run_measures_every_step_of_every_driver(tmp_path: Path) -> None:
    result = await _bench(tmp_path)
    samples = result["config"]["samples"]
    for step in STEPS:
        assert set(result["steps"][step]) == set(DRIVERS), step
        for driver, summary in result["steps"][step].items():
            factor = result["config"]["cheap_factor"] if step in ("content", "evaluate") else 1
            assert summary["n"] == samples * factor, (step, driver)
            assert 0 < summary["p50"] <= summary["p95"], (step, driver)
        assert result["ratios"][step]["server_to_raw"] > 0
    assert {"echo", "open: upgrade", "evaluate: server's CDP call"} <= set(result["steps"])
    assert set(result["server_cpu_us_per_action"]) == set(STEPS)
    levels = result["concurrency"]
    assert [level["sessions"] for level in levels] == result["config"]["levels"]
    for level in levels:
        assert level["opened"] == level["sessions"]
        assert level["loops"] > 0
        assert level["pss_total_mb"] > 0
    assert len(result["budget"]) == 12
    assert all(line["met"] in (True, False, None) for line in result["budget"])
    # Extra measurements plug in by module; an absent one is skipped with a note.
    for name, extra in result["extras"].items():
        assert extra["status"] in ("ok", "skipped"), (name, extra)
        if extra["status"] == "skipped":
            assert f"benchmarks.{name}" in extra["note"]
    assert len(result["load_average"]["start"]) == 3


@pytest.mark.timeout(300)
async def test_in_process_server_mode_runs(tmp_path: Path) -> None:
    result = await _bench(
        tmp_path, "--server", "inprocess", "--drivers", "server", "--levels", "2", "--no-extras"
    )
    assert result["config"]["server_mode"] == "inprocess"
    assert set(result["steps"]["evaluate"]) == {"server"}
    assert result["server_cpu_us_per_action"] == {}  # not separable in one process
    assert result["concurrency"][0]["opened"] == 2
    assert result["extras"] == {}
