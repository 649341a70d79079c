"""``python -m benchmarks run``: measure, then write JSON, Markdown and a plot.

See ``benchmarks/README.md`` for what is measured and how to read it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .run import DRIVERS, LEVELS, RunConfig, main_async

__all__ = ["main"]


def _ints(text: str) -> tuple[int, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    return tuple(int(part) for part in text.split(","))


def _drivers(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in DRIVERS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"drivers are {', '.join(DRIVERS)}; got {text!r}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the benchmark")
    run.add_argument("--quick", action="store_true", help="short run (under a minute), for CI")
    run.add_argument("--samples", type=int, help="measured samples per step and driver (100)")
    run.add_argument("--warmup", type=int, help="warm-up rounds thrown away per step (10)")
    run.add_argument(
        "--cheap-factor", type=int, help="sample multiplier for content and evaluate (3)"
    )
    run.add_argument(
        "--levels",
        type=_ints,
        help=f"concurrency levels, comma-separated, or 'none' ({','.join(map(str, LEVELS))})",
    )
    run.add_argument("--duration", type=float, help="seconds each concurrency level runs (10)")
    run.add_argument("--drivers", type=_drivers, help=f"subset of {','.join(DRIVERS)}")
    run.add_argument(
        "--server", choices=("subprocess", "inprocess"), help="where the server runs (subprocess)"
    )
    run.add_argument("--warm-pages", type=int, help="the server's warm pool size (4)")
    run.add_argument("--binary", help="Chromium build for all drivers (the server's default)")
    run.add_argument("--no-extras", action="store_true", help="skip the extra measurements")
    run.add_argument("--extra-samples", type=int, help="samples for each extra measurement (20)")
    run.add_argument(
        "--out", type=Path, help="folder for result.json/.md/.png (benchmarks/results/<time>)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides = {
        key: value
        for key, value in (
            ("samples", args.samples),
            ("warmup", args.warmup),
            ("cheap_factor", args.cheap_factor),
            ("levels", args.levels),
            ("duration", args.duration),
            ("drivers", args.drivers),
            ("server_mode", args.server),
            ("warm_pages", args.warm_pages),
            ("binary", args.binary),
            ("extra_samples", args.extra_samples),
            ("out", args.out),
        )
        if value is not None
    }
    if args.no_extras:
        overrides["extras"] = False
    config = RunConfig.quick(**overrides) if args.quick else RunConfig(**overrides)
    result = main_async(config)
    print((Path(result["out"]) / "result.md").read_text())
    failed = [name for name, extra in result["extras"].items() if extra["status"] == "failed"]
    if failed:
        print(f"extra measurements failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
