"""Fixtures of the security tests: the hostile site on two addresses, a guarded server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web

from inndx_cdp.browser.egress import DEFAULT_DENIED_NETWORKS

from ..server.conftest import Served, running_server
from . import hostile as hostile_module

ALLOWED_IP = "127.0.0.1"
DENIED_IP = "127.0.0.2"
ALLOWED_ORIGIN = "http://app.example"
# Small enough that the tests' pages pass it quickly, far above a quiet page.
PAGE_MEMORY_MB = 512
ANSWER_LIMIT = 1024 * 1024


@dataclass
class Hostile:
    """The hostile site: the same app on an allowed and on a denied address."""

    port: int
    record: hostile_module.Record

    @property
    def allowed(self) -> str:
        return f"http://{ALLOWED_IP}:{self.port}"

    @property
    def denied(self) -> str:
        return f"http://{DENIED_IP}:{self.port}"


@pytest.fixture(scope="session")
async def hostile() -> AsyncIterator[Hostile]:
    app = hostile_module.make_app()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    first = web.TCPSite(runner, ALLOWED_IP, 0)
    await first.start()
    port = runner.addresses[0][1]
    second = web.TCPSite(runner, DENIED_IP, port)
    await second.start()
    yield Hostile(port, app[hostile_module.RECORD])
    await runner.cleanup()


class ScriptedNames:
    """The guard's resolver in these tests: names under ``.test``, no DNS query sent.

    ``*.allowed.test`` is 127.0.0.1, ``*.denied.test`` 127.0.0.2,
    ``*.mixed.test`` both (denied first), and ``*.rebind.test`` flips between
    them on every lookup, as a DNS rebinding attacker's server would.
    """

    def __init__(self) -> None:
        self.answers: list[tuple[str, str]] = []
        self._flips = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        if host.endswith(".allowed.test") or host == "localhost":
            found = [ALLOWED_IP]
        elif host.endswith(".denied.test"):
            found = [DENIED_IP]
        elif host.endswith(".mixed.test"):
            found = [DENIED_IP, ALLOWED_IP]
        elif host.endswith(".rebind.test"):
            found = [(ALLOWED_IP, DENIED_IP)[self._flips % 2]]
            self._flips += 1
        else:
            raise OSError(f"{host} is not a test name")
        self.answers.extend((host, address) for address in found)
        return found


@dataclass
class Guarded:
    """A server denying 127.0.0.2 besides the defaults, with small limits."""

    served: Served
    names: ScriptedNames

    @property
    def url(self) -> str:
        return self.served.url


@pytest.fixture(scope="session")
async def guarded() -> AsyncIterator[Guarded]:
    async with running_server(
        egress_deny=[*DEFAULT_DENIED_NETWORKS, f"{DENIED_IP}/32"],
        max_answer_bytes=ANSWER_LIMIT,
        max_page_memory_mb=PAGE_MEMORY_MB,
        allowed_origins=[ALLOWED_ORIGIN],
    ) as served:
        guard = served.pool.egress
        assert guard is not None
        names = ScriptedNames()
        guard.resolver = names
        yield Guarded(served, names)
