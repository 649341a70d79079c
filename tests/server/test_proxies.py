"""Sessions routed through real proxy server processes (proxy.py) on 127.0.0.1.

Each proxy writes its own access log; a request proves it went through a
proxy when its unique token shows up in that proxy's log. The pool adds
``<-loopback>`` to the bypass list, so loopback traffic is proxied too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from inndx_cdp.browser.browser import Browser
from inndx_cdp.browser.proxies import parse_proxy
from inndx_cdp.session.goto import GotoRequest, goto
from inndx_cdp.session.middleware import configure_interception
from inndx_cdp.session.setup import prepare_page

from .. import site as site_module
from .conftest import Client, Served, connect, open_refused, running_server

USER = "scraper"
PASSWORD = "s3cret-Pa55"  # must never show up in a frame or a log line
START_TIMEOUT = 30.0


@dataclass
class ProxyServer:
    """One proxy.py process and its access log."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, credentials: str | None = None) -> str:
        userinfo = f"{credentials}@" if credentials else ""
        return f"http://{userinfo}127.0.0.1:{self.port}"

    def saw(self, needle: str) -> bool:
        return needle in self.log.read_text(errors="replace")

    async def wait_for(self, needle: str, timeout: float = 15.0) -> bool:
        """True once ``needle`` is in the log (it writes a line when a connection ends)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.saw(needle):
                return True
            await asyncio.sleep(0.1)
        return False


def start_proxy(
    folder: Path, name: str, basic_auth: str | None = None, tls: tuple[Path, Path] | None = None
) -> ProxyServer:
    """proxy.py on a free port; ``tls`` = (certificate, key) makes it an HTTPS proxy."""
    port_file = folder / f"{name}.port"
    log = folder / f"{name}.log"
    command = [
        sys.executable, "-m", "proxy",
        "--hostname", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
        "--num-acceptors", "1", "--num-workers", "1",
        "--log-level", "INFO", "--log-file", str(log),
    ]  # fmt: skip
    if basic_auth:
        command += ["--basic-auth", basic_auth]
    if tls:
        command += ["--cert-file", str(tls[0]), "--key-file", str(tls[1])]
    # Its own session: the acceptor and worker processes stop with the group.
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT
    while not (port_file.exists() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_proxy(process)
            raise RuntimeError(f"proxy.py did not start (exit code {process.poll()})")
        time.sleep(0.05)
    port = int(port_file.read_text())
    # The port file is written before the socket accepts: wait until it does.
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        if time.monotonic() > deadline:
            stop_proxy(process)
            raise RuntimeError("proxy.py does not accept connections")
        time.sleep(0.05)
    log.touch()
    return ProxyServer(process, port, log)


def stop_proxy(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, valid for a day."""
    cert, key = folder / "proxy-cert.pem", folder / "proxy-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def start_socks5(folder: Path) -> ProxyServer:
    """pproxy serving SOCKS5 (no auth: Chromium has none for SOCKS); logs each connection."""
    port = free_port()
    log = folder / "socks5.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "pproxy", "-l", f"socks5://127.0.0.1:{port}", "-v"],
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        if process.poll() is not None or time.monotonic() > deadline:
            stop_proxy(process)
            raise RuntimeError("pproxy did not start")
        time.sleep(0.05)
    return ProxyServer(process, port, log)


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ProxyServer]]:
    """Two open HTTP proxies, one that wants basic auth, a SOCKS5 one, an HTTPS one."""
    folder = tmp_path_factory.mktemp("proxies")
    started: dict[str, ProxyServer] = {}
    try:
        started["a"] = start_proxy(folder, "a")
        started["b"] = start_proxy(folder, "b")
        started["auth"] = start_proxy(folder, "auth", basic_auth=f"{USER}:{PASSWORD}")
        started["socks5"] = start_socks5(folder)
        started["tls"] = start_proxy(
            folder, "tls", basic_auth=f"{USER}:{PASSWORD}", tls=self_signed(folder)
        )
        yield started
    finally:
        for proxy in started.values():
            stop_proxy(proxy.process)


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def token() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
async def served(proxies: dict[str, ProxyServer]) -> AsyncIterator[Served]:
    """One server for the module, knowing every proxy of these tests by id."""
    auth = proxies["auth"]
    configured = {
        "a": proxies["a"].url(),
        "b": proxies["b"].url(),
        # The same two again, under ids only one test uses (its counts start at 0).
        "c": proxies["a"].url(),
        "d": proxies["b"].url(),
        "secured": auth.url(f"{USER}:{PASSWORD}"),
        "wrong": auth.url(f"{USER}:wrong-password"),
        "missing": auth.url(),
        "down": f"http://127.0.0.1:{free_port()}",
        "socks": f"socks5://127.0.0.1:{proxies['socks5'].port}",
    }
    async with running_server(warm_pages=0, proxies=configured) as running:
        yield running


async def through(found: list[ProxyServer], needle: str, timeout: float = 15.0) -> list[int]:
    """Which of ``found`` logged ``needle`` (by index), once at least one has."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hits = [index for index, proxy in enumerate(found) if proxy.saw(needle)]
        if hits:
            return hits
        await asyncio.sleep(0.1)
    return []


class Recording:
    """Every frame a client received, to check that no secret leaked into one."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.frames: list[dict[str, Any]] = []

    async def call(self, frame: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        reply = await self.client.call(frame, timeout)
        self.frames.append(reply)
        return reply


# --- routing -------------------------------------------------------------------


async def test_session_traffic_goes_through_its_proxy(
    served: Served, proxies: dict[str, ProxyServer], site: str
) -> None:
    a = proxies["a"]
    proxied, direct = token(), token()
    async with connect(served.url, {"proxies": ["a"]}) as client:
        reply = await client.call({"action": "goto", "url": f"{site}/cm/page?token={proxied}"})
        assert reply["status_code"] == 200, reply
        done = await client.call({"action": "evaluate", "script": "window.done"})
        assert done["result"]["host"] == site.removeprefix("http://")
    async with connect(served.url) as client:
        reply = await client.call({"action": "goto", "url": f"{site}/cm/page?token={direct}"})
        assert reply["status_code"] == 200
    # Every request of the page went through the proxy (document, script,
    # stylesheet, image and the page's own fetch): it adds a Via header and
    # logs each one.
    seen = site_module.requests_for(proxied)
    paths = ["/cm/page", "/cm/script.js", "/cm/style.css", "/cm/pixel.gif", "/cm/headers"]
    assert {str(r["path"]) for r in seen} >= set(paths)
    for request in seen:
        assert "proxy.py" in request["headers"].get("via", ""), request  # type: ignore[attr-defined]
    for path in paths:
        assert await a.wait_for(f"{path}?token={proxied}"), f"{path} is not in the proxy's log"
    # The session without proxies went straight to the site.
    assert site_module.requests_for(direct)
    for request in site_module.requests_for(direct):
        assert "via" not in request["headers"]  # type: ignore[operator]
    assert not a.saw(direct)


async def test_two_sessions_use_different_proxies(
    served: Served, proxies: dict[str, ProxyServer], site: str
) -> None:
    pair = [proxies["a"], proxies["b"]]
    first, second = token(), token()
    frame = {"proxies": ["a", "b"]}
    async with connect(served.url, frame) as one, connect(served.url, frame) as two:
        assert served.state.proxies.active("a") == served.state.proxies.active("b") == 1
        for client, tok in ((one, first), (two, second)):
            reply = await client.call({"action": "goto", "url": f"{site}/cm/headers?token={tok}"})
            assert reply["status_code"] == 200, reply
    # Each went through exactly one proxy, and not the same one.
    used_first = await through(pair, first)
    used_second = await through(pair, second)
    assert len(used_first) == len(used_second) == 1
    assert used_first != used_second


async def test_sessions_one_after_another_alternate_proxies(
    served: Served, proxies: dict[str, ProxyServer], site: str
) -> None:
    pair = [proxies["a"], proxies["b"]]
    tokens = [token() for _ in range(2)]
    for tok in tokens:
        async with connect(served.url, {"proxies": ["d", "c"]}) as client:
            await client.call({"action": "goto", "url": f"{site}/cm/headers?token={tok}"})
    # Neither is in use, so the first named, then the one that served fewer.
    assert [await through(pair, tok) for tok in tokens] == [[1], [0]]


async def test_socks5_proxy_carries_the_session(
    served: Served, proxies: dict[str, ProxyServer], site: str
) -> None:
    socks = proxies["socks5"]
    host = site.removeprefix("http://")
    assert not socks.saw(f"-> {host}")
    async with connect(served.url, {"proxies": ["socks"]}) as client:
        reply = await client.call({"action": "goto", "url": f"{site}/cm/headers?token={token()}"})
        assert reply["status_code"] == 200, reply
    # pproxy logs every connection it makes for a client: "socks5 CLIENT -> HOST:PORT".
    assert await socks.wait_for(f"-> {host}")


# --- credentials ---------------------------------------------------------------


async def test_proxy_credentials_are_answered_and_never_shown(
    served: Served, proxies: dict[str, ProxyServer], site: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="inndx_cdp")
    auth = proxies["auth"]
    tok = token()
    async with connect(served.url, {"proxies": ["secured"]}) as client:
        recording = Recording(client)
        reply = await recording.call({"action": "goto", "url": f"{site}/cm/page?token={tok}"})
        assert reply["status_code"] == 200, reply
        await recording.call({"action": "evaluate", "script": "window.done"})
        # The page's other requests were let through (none is left paused).
        loaded = await recording.call(
            {"action": "evaluate", "script": "document.querySelector('#img').naturalWidth"}
        )
        assert loaded["result"] == 1
    assert await auth.wait_for(f"/cm/page?token={tok}")
    assert await auth.wait_for(f"/cm/pixel.gif?token={tok}")
    for seen in site_module.requests_for(tok):
        assert "proxy.py" in seen["headers"].get("via", "")  # type: ignore[attr-defined]
        assert "proxy-authorization" not in seen["headers"]  # type: ignore[operator]
    assert PASSWORD not in repr(recording.frames)
    assert PASSWORD not in caplog.text


@pytest.mark.parametrize("proxy_id", ["wrong", "missing"])
async def test_wrong_or_missing_password_fails_clearly(
    served: Served,
    proxies: dict[str, ProxyServer],
    site: str,
    caplog: pytest.LogCaptureFixture,
    proxy_id: str,
) -> None:
    caplog.set_level(logging.DEBUG, logger="inndx_cdp")
    tok = token()
    async with connect(served.url, {"proxies": [proxy_id]}) as client:
        reply = await asyncio.wait_for(
            client.call({"action": "goto", "url": f"{site}/cm/headers?token={tok}", "id": 1}),
            30,
        )
        assert reply["type"] == "error", reply
        assert reply["code"] == 502
        assert reply["id"] == 1
        assert f"proxy {proxy_id!r}" in reply["message"]
        assert "407" in reply["message"]
        assert "wrong-password" not in reply["message"]
        # The session is still usable.
        still = await client.call({"action": "evaluate", "script": "1 + 1"})
        assert still["result"] == 2
    assert site_module.requests_for(tok) == []
    assert "wrong-password" not in caplog.text


async def test_https_proxy_with_credentials(proxies: dict[str, ProxyServer], site: str) -> None:
    # The proxy's certificate is self-signed: this test's own browser is told
    # to accept it (the server never passes that switch).
    tls = proxies["tls"]
    proxy = parse_proxy("tls", f"https://{USER}:{PASSWORD}@127.0.0.1:{tls.port}")
    browser = await Browser.launch("standard", extra_flags=("--ignore-certificate-errors",))
    try:
        page = await browser.new_page(proxy_server=proxy.server, proxy_bypass_list="<-loopback>")
        await prepare_page(page)
        await configure_interception(page, [], proxy_credentials=proxy.credentials)
        tok = token()
        result = await goto(
            page,
            GotoRequest(url=f"{site}/cm/headers?token={tok}"),
            timeout=30,
            max_redirects=5,
            max_retries=0,
        )
        assert result.status_code == 200
        seen = json.loads(result.body or b"{}")
        assert "proxy.py" in seen["via"]
        assert "proxy-authorization" not in seen
        assert await tls.wait_for(f"/cm/headers?token={tok}")
    finally:
        await browser.close()


# --- failures ------------------------------------------------------------------


async def test_unknown_proxy_id_is_fatal_400(served: Served) -> None:
    reply, code = await open_refused(served.url, {"proxies": ["a", "nope"]})
    assert (reply["type"], reply["code"]) == ("fatal", 400)
    assert "unknown proxy id 'nope'" in reply["message"]
    assert "known: a, b, c, d, down, missing, secured, socks, wrong" in reply["message"]
    assert code == 1008
    assert served.state.proxies.active("a") == 0


async def test_a_proxy_that_is_down_is_a_clear_502(served: Served, site: str) -> None:
    started = time.monotonic()
    async with connect(served.url, {"proxies": ["down"], "max_retries": 1}) as client:
        reply = await client.call({"action": "goto", "url": f"{site}/"}, timeout=30)
        assert reply["type"] == "error", reply
        assert reply["code"] == 502
        assert "net::ERR_PROXY_CONNECTION_FAILED" in reply["message"]
        assert "proxy 'down'" in reply["message"]
    assert time.monotonic() - started < 30


async def test_proxied_sessions_are_counted_and_released(served: Served) -> None:
    registry = served.state.proxies
    async with connect(served.url, {"proxies": ["a"]}):
        assert registry.active("a") == 1
    for _ in range(100):
        if registry.active("a") == 0 and await served.contexts() == 0:
            break
        await asyncio.sleep(0.05)
    assert registry.active("a") == 0
    assert await served.contexts() == 0
