"""Structured logs: the session on every line it causes, and never a secret."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from inndx_cdp.client import Refused, connect
from inndx_cdp.errors import BadFrame, InndxError
from inndx_cdp.server.logs import configure
from inndx_cdp.settings import TenantSettings

from .conftest import running_server

API_KEY = "k3y-that-must-not-leak"
PROXY_PASSWORD = "pr0xy-pa55-that-must-not-leak"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged during the test, as the command line's JSON lines."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure("DEBUG", "json", stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_session_lines_carry_the_session_and_no_secret(
    json_log: io.StringIO, site: str
) -> None:
    settings = {
        "tenants": {"logs": TenantSettings(api_keys=[SecretStr(API_KEY)])},
        "proxies": {"corp": SecretStr(f"http://user:{PROXY_PASSWORD}@127.0.0.1:9")},
    }
    async with running_server(**settings) as served:
        with pytest.raises(Refused):
            await connect(served.url, tenant="logs", api_key=API_KEY + "-wrong")
        async with connect(
            served.url, tenant="logs", api_key=API_KEY, max_retries=1, timeout="5s"
        ) as session:
            # A refused connection is retried once: the retry is logged deep in the
            # session layer, inside the action's task.
            with pytest.raises(InndxError):
                await session.goto(f"http://user:{PROXY_PASSWORD}@127.0.0.1:{closed_port()}/")
            await session.goto(site + "/")
        try:
            async with connect(
                served.url, tenant="logs", api_key=API_KEY, proxies=["corp"], max_retries=0
            ) as proxied:
                with pytest.raises(InndxError):
                    await proxied.goto(site + "/")
        except BadFrame:
            pass  # a server without proxy support refuses the open frame: also fine here

    text = json_log.getvalue()
    assert API_KEY not in text
    assert PROXY_PASSWORD not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines
    for line in lines:
        assert set(line) >= {"time", "level", "logger", "session_id", "tenant", "message"}
    retries = [line for line in lines if line["message"].startswith("goto retry")]
    assert retries, "the retry was not logged"
    assert all(line["session_id"] == session.id for line in retries)
    assert all(line["tenant"] == "logs" for line in retries)
    mine = [line for line in lines if session.id in line["message"]]
    assert mine
    assert all(line["session_id"] == session.id for line in mine)
    # Lines outside any session say so.
    assert any(line["session_id"] == "-" and "started" in line["message"] for line in lines)


def closed_port() -> int:
    """A loopback port nobody listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_text_format_has_the_session_column() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure("INFO", "text", stream)
    try:
        logging.getLogger("inndx_cdp.test").info("plain line")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    assert stream.getvalue().rstrip().endswith("INFO inndx_cdp.test [- -] plain line")
