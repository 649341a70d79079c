"""Small helpers shared by the security tests."""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from collections.abc import Callable
from typing import Any

# Short actions, no retries: a refusal shows at once.
OPEN: dict[str, Any] = {"timeout": "10s", "max_retries": 0}


def key() -> str:
    """A fresh marker for one test's requests."""
    return uuid.uuid4().hex[:12]


def expect_error(reply: dict[str, Any], code: int, *needles: str) -> None:
    """``reply`` is an error frame with ``code`` whose message holds every needle."""
    assert reply.get("type") == "error", reply
    assert reply.get("code") == code, reply
    for needle in needles:
        assert needle in str(reply["message"]), reply


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; its last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return predicate()


def everything_but_loopback() -> list[str]:
    """A deny-list that leaves 127.0.0.1 alone reachable: nothing can leave the machine."""
    everything = ipaddress.ip_network("0.0.0.0/0")
    allowed = ipaddress.ip_network("127.0.0.1/32")
    return [str(n) for n in everything.address_exclude(allowed)] + ["::/0"]  # type: ignore[arg-type]


async def no_names(host: str, port: int) -> list[str]:
    """A resolver that resolves nothing (so no DNS query is ever sent)."""
    raise OSError(f"{host}: this test resolves no names")
