"""Command line: ``inndx-cdp serve`` and ``inndx-cdp schema``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from aiohttp import web
from pydantic import ValidationError

from .errors import InndxError
from .settings import Settings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inndx-cdp", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the Sessions protocol on a WebSocket")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8022)")
    serve.add_argument("--config", help="TOML configuration file")
    serve.add_argument(
        "--log-level",
        default=os.environ.get("INNDX_CDP_LOG_LEVEL", "INFO"),
        help="DEBUG, INFO, WARNING or ERROR (default INFO, or INNDX_CDP_LOG_LEVEL)",
    )
    serve.add_argument(
        "--log-format",
        choices=("text", "json"),
        default=os.environ.get("INNDX_CDP_LOG_FORMAT", "text"),
        help="text lines, or one JSON object a line (default text, or INNDX_CDP_LOG_FORMAT)",
    )
    commands.add_parser("schema", help="print the JSON Schema of every frame")
    args = parser.parse_args(argv)

    if args.command == "schema":
        from .protocol.schema import frame_schemas

        json.dump(frame_schemas(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0

    from .server.logs import configure

    configure(args.log_level, args.log_format)
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    try:
        settings = Settings.load(args.config, **overrides)
    except (ValidationError, FileNotFoundError, ValueError) as exc:
        print(f"inndx-cdp: bad configuration: {exc}", file=sys.stderr)
        return 2
    from .server import create_app

    try:
        # run_app turns SIGTERM and SIGINT into a graceful shutdown: sessions
        # drain, browsers close, and the process exits 0.
        web.run_app(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            shutdown_timeout=settings.drain_grace + 5,
            print=lambda text: print(text, flush=True),
            access_log=None,
        )
    except InndxError as exc:
        print(f"inndx-cdp: {exc.message}", file=sys.stderr)
        return 1
    return 0
