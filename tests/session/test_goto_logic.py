"""Pure logic of goto: back-off, Retry-After, network error names (no browser)."""

from __future__ import annotations

import datetime as dt
import email.utils
import errno
import socket

import aiohttp
import pytest

from inndx_cdp.session import goto as goto_module
from inndx_cdp.session.fallback import net_error


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempt, base in ((1, 0.1), (2, 0.2), (3, 0.4), (10, goto_module.BACKOFF_CAP)):
        delays = [goto_module._backoff(attempt, None) for _ in range(200)]
        assert min(delays) >= base / 2
        assert max(delays) <= base
        assert len(set(delays)) > 1  # jitter


def test_retry_after_replaces_the_backoff_and_is_capped() -> None:
    assert goto_module._backoff(1, 2.5) == 2.5
    assert goto_module._backoff(1, 3600) == goto_module.RETRY_AFTER_CAP


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert goto_module._retry_after([["Retry-After", "3"]]) == 3.0
    assert goto_module._retry_after([["retry-after", "-4"]]) == 0.0
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    parsed = goto_module._retry_after([["Retry-After", email.utils.format_datetime(soon, True)]])
    assert parsed is not None
    assert 25 <= parsed <= 30
    assert goto_module._retry_after([["Retry-After", "soon"]]) is None
    assert goto_module._retry_after([["Content-Type", "text/html"]]) is None


@pytest.mark.parametrize(
    ("error", "name"),
    [
        (aiohttp.ClientOSError(errno.ECONNREFUSED, "refused"), "net::ERR_CONNECTION_REFUSED"),
        (aiohttp.ClientOSError(errno.ECONNRESET, "reset"), "net::ERR_CONNECTION_RESET"),
        (aiohttp.ServerDisconnectedError(), "net::ERR_EMPTY_RESPONSE"),
        (
            aiohttp.ClientConnectorError(
                aiohttp.client_reqrep.ConnectionKey("x", 80, False, True, None, None, None),
                socket.gaierror(-2, "Name or service not known"),
            ),
            "net::ERR_NAME_NOT_RESOLVED",
        ),
        (aiohttp.ClientPayloadError("truncated"), "net::ERR_CONTENT_DECODING_FAILED"),
    ],
)
def test_client_errors_get_chromiums_names(error: aiohttp.ClientError, name: str) -> None:
    assert net_error(error) == name
