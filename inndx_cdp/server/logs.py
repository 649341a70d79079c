"""Log lines that say which session they belong to.

The socket handler binds the session id and tenant to the running task's
context once the session is open (:func:`bind_session`); tasks started from it
inherit the binding, so a line logged anywhere below (session, browser, CDP)
while serving that session carries it. :class:`SessionFilter` copies the
binding onto every record as ``session_id`` and ``tenant`` (``-`` outside a
session), for any handler's format. :func:`configure` sets up the root logger
for the command line: plain text, or one JSON object a line.

Log messages name sessions, tenants, browsers and error messages; never
headers, API keys or proxy credentials.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Literal, TextIO

__all__ = ["JsonFormatter", "SessionFilter", "bind_session", "configure"]

_session_id: ContextVar[str] = ContextVar("inndx_cdp_session_id", default="-")
_tenant: ContextVar[str] = ContextVar("inndx_cdp_tenant", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(session_id)s %(tenant)s] %(message)s"


def bind_session(session_id: str, tenant: str) -> None:
    """Mark the current task (and the tasks it starts from now on) as serving a session."""
    _session_id.set(session_id)
    _tenant.set(tenant)


class SessionFilter(logging.Filter):
    """Adds ``session_id`` and ``tenant`` to every record; put it on a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.session_id = _session_id.get()
        record.tenant = _tenant.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, session_id, tenant, message."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "session_id": getattr(record, "session_id", "-"),
            "tenant": getattr(record, "tenant", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(
    level: str | int = "INFO",
    format: Literal["text", "json"] = "text",
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send the root logger's records to ``stream`` (stderr) with the session on each line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(SessionFilter())
    handler.setFormatter(JsonFormatter() if format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
