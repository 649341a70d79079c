"""Retries, back-off, Retry-After, network failures and time-outs."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

from inndx_cdp.browser.browser import Page
from inndx_cdp.errors import ActionTimeout, NavigationFailed

from .. import site as site_module
from .goto_helpers import js, run_goto


def fresh_key() -> str:
    return uuid.uuid4().hex


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_flaky_endpoint_is_tried_three_times(page: Page, site: str) -> None:
    key = fresh_key()
    answer = await run_goto(page, f"{site}/goto/flaky/{key}", max_retries=3)
    assert answer.status_code == 200
    assert site_module.GOTO_HITS[key] == 3
    assert await js(page, "document.querySelector('#where').textContent") == "ok after 3"


async def test_no_retries_means_one_request_and_the_503_answer(page: Page, site: str) -> None:
    key = fresh_key()
    answer = await run_goto(page, f"{site}/goto/flaky/{key}", max_retries=0)
    assert answer.status_code == 503
    assert answer.body is not None
    assert b"busy" in answer.body
    assert site_module.GOTO_HITS[key] == 1


async def test_out_of_retries_answers_the_last_status(page: Page, site: str) -> None:
    key = fresh_key()
    answer = await run_goto(page, f"{site}/goto/flaky/{key}?fail=5", max_retries=2)
    assert answer.status_code == 503
    assert site_module.GOTO_HITS[key] == 3


async def test_retry_after_is_honoured(page: Page, site: str) -> None:
    key = fresh_key()
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await run_goto(page, f"{site}/goto/busy/{key}?after=1", max_retries=1)
    assert answer.status_code == 200
    assert site_module.GOTO_HITS[key] == 2
    assert loop.time() - started >= 1.0


async def test_retry_after_past_the_timeout_answers_at_once(page: Page, site: str) -> None:
    key = fresh_key()
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await run_goto(page, f"{site}/goto/busy/{key}?after=60", max_retries=3, timeout=5)
    assert answer.status_code == 429
    assert site_module.GOTO_HITS[key] == 1
    assert loop.time() - started < 4


async def test_unreachable_port_is_502_with_the_net_error(page: Page) -> None:
    with pytest.raises(NavigationFailed) as caught:
        await run_goto(page, f"http://127.0.0.1:{closed_port()}/", max_retries=2)
    assert caught.value.code == 502
    assert "net::ERR_CONNECTION_REFUSED" in caught.value.message


async def test_slow_page_is_408_in_time_and_the_page_is_usable(page: Page, site: str) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ActionTimeout) as caught:
        await run_goto(page, site + "/goto/hang", timeout=1.0)
    elapsed = loop.time() - started
    assert caught.value.code == 408
    assert 1.0 <= elapsed < 1.0 + 2.0  # the stop itself is bounded
    answer = await run_goto(page, site + "/goto/page", timeout=10)
    assert answer.status_code == 200
    assert await js(page, "document.querySelector('#where').textContent") == "page"


async def test_a_network_failure_is_tried_again(page: Page) -> None:
    """The first connection is dropped without an answer, the second is served."""
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        if connections > 1:
            await reader.readuntil(b"\r\n\r\n")
            body = b"<p id='where'>second try</p>"
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        answer = await run_goto(page, f"http://127.0.0.1:{port}/", max_retries=2)
    finally:
        server.close()
        await server.wait_closed()
    assert answer.status_code == 200
    assert answer.body == b"<p id='where'>second try</p>"
    assert connections == 2


async def test_a_dropped_connection_without_retries_is_502(page: Page) -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")  # read it all, so closing is not a reset
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with pytest.raises(NavigationFailed) as caught:
            await run_goto(page, f"http://127.0.0.1:{port}/", max_retries=0)
    finally:
        server.close()
        await server.wait_closed()
    assert "net::ERR_EMPTY_RESPONSE" in caught.value.message


@pytest.mark.parametrize("method", ["POST", "TRACE"])
async def test_a_slow_intercepted_or_outside_goto_is_408_too(
    page: Page, site: str, method: str
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(ActionTimeout):
        await run_goto(page, site + "/goto/hang", method=method, body=b"x", timeout=1.0)
    assert loop.time() - started < 3.0
    answer = await run_goto(page, site + "/goto/page", timeout=10)
    assert answer.status_code == 200
    assert await js(page, "document.querySelector('#where').textContent") == "page"
