"""The egress policy holds for every request a page makes, after DNS and redirects.

The guarded server denies 127.0.0.2 (besides the default link-local and
metadata networks); the hostile site answers on 127.0.0.1 and 127.0.0.2 and
records every request with the address it arrived on. A denied request must
never arrive, while the same request to the allowed address does.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inndx_cdp.browser.egress import DEFAULT_DENIED_NETWORKS, EgressGuard, EgressPolicy
from inndx_cdp.settings import Settings

from ..server.conftest import connect, running_server
from .conftest import ALLOWED_IP, DENIED_IP, Guarded, Hostile
from .helpers import OPEN, everything_but_loopback, expect_error, key, no_names, wait_for
from .hostile import SUBRESOURCE_KINDS

DENIED_ERROR = "net::ERR_NETWORK_ACCESS_DENIED"


async def test_goto_to_a_denied_address_is_refused(guarded: Guarded, hostile: Hostile) -> None:
    k = key()
    async with connect(guarded.url, OPEN) as client:
        allowed = await client.call({"action": "goto", "url": f"{hostile.allowed}/hit/{k}-a"})
        assert allowed["status_code"] == 200
        denied = await client.call({"action": "goto", "url": f"{hostile.denied}/hit/{k}", "id": 7})
        expect_error(denied, 502, DENIED_ERROR, "egress policy")
        assert denied["id"] == 7
        # The session goes on.
        assert (await client.call({"action": "evaluate", "script": "1 + 1"}))["result"] == 2
    assert f"{k}-a" in hostile.record.seen(ALLOWED_IP)
    assert k not in hostile.record.seen()


async def test_redirect_to_a_denied_address_is_refused(guarded: Guarded, hostile: Hostile) -> None:
    k = key()
    target = f"{hostile.denied}/hit/{k}"
    async with connect(guarded.url, OPEN) as client:
        reply = await client.call(
            {"action": "goto", "url": f"{hostile.allowed}/redirect?to={target}"}
        )
        expect_error(reply, 502, DENIED_ERROR)
        # Control: the same redirect to the allowed address is followed.
        allowed = f"{hostile.allowed}/hit/{k}-a"
        reply = await client.call(
            {"action": "goto", "url": f"{hostile.allowed}/redirect?to={allowed}"}
        )
        assert (reply["status_code"], reply["url"]) == (200, allowed)
    assert k not in hostile.record.seen()


async def test_no_subresource_reaches_a_denied_address(guarded: Guarded, hostile: Hostile) -> None:
    """img, iframe, script, css, fetch, XHR, beacon, WebSocket and a worker's fetch."""
    k = key()
    async with connect(guarded.url, OPEN) as client:
        for base, tag in ((hostile.allowed, "a"), (hostile.denied, "d")):
            reply = await client.call(
                {
                    "action": "goto",
                    "url": f"{hostile.allowed}/subresources?base={base}&key={k}{tag}",
                }
            )
            assert reply["status_code"] == 200, reply
        expected = {f"{k}a-{kind}" for kind in SUBRESOURCE_KINDS}
        # The allowed copies all arrive: the page really made every request.
        assert await wait_for(lambda: expected <= set(hostile.record.seen(ALLOWED_IP)))
        reply = await client.call(
            {"action": "evaluate", "script": f"fetch('{hostile.denied}/hit/{k}d-eval')"}
        )
        expect_error(reply, 422, "Failed to fetch")
    await asyncio.sleep(0.3)  # anything late would have arrived by now
    assert not [h for h in hostile.record.seen() if h.startswith(f"{k}d")]


async def test_a_name_resolving_to_a_denied_address_is_refused(
    guarded: Guarded, hostile: Hostile
) -> None:
    k = key()
    async with connect(guarded.url, OPEN) as client:
        denied = await client.call(
            {"action": "goto", "url": f"http://db.denied.test:{hostile.port}/hit/{k}"}
        )
        expect_error(denied, 502, DENIED_ERROR)
        allowed = await client.call(
            {"action": "goto", "url": f"http://app.allowed.test:{hostile.port}/hit/{k}-a"}
        )
        assert allowed["status_code"] == 200
        # A name with a denied and an allowed address is reached on the allowed one only.
        mixed = await client.call(
            {"action": "goto", "url": f"http://both.mixed.test:{hostile.port}/hit/{k}-m"}
        )
        assert mixed["status_code"] == 200
    assert (f"{k}-a", ALLOWED_IP) in [(h.key, h.address) for h in hostile.record.hits]
    assert (f"{k}-m", ALLOWED_IP) in [(h.key, h.address) for h in hostile.record.hits]
    assert k not in hostile.record.seen()
    assert f"{k}-m" not in hostile.record.seen(DENIED_IP)


async def test_dns_rebinding_cannot_reach_a_denied_address(
    guarded: Guarded, hostile: Hostile
) -> None:
    """The name flips between allowed and denied on every lookup; only allowed is reached."""
    k = key()
    origin = f"http://site.rebind.test:{hostile.port}"
    script = f"""async () => {{
        let ok = 0;
        for (let i = 0; i < 12; i++) {{
            try {{ await fetch('/hit/{k}-' + i, {{cache: 'no-store'}}); ok++; }} catch (e) {{}}
        }}
        return ok;
    }}"""
    before = len(guarded.names.answers)
    async with connect(guarded.url, OPEN) as client:
        reply = await client.call({"action": "goto", "url": f"{origin}/"})
        assert reply["status_code"] == 200, reply
        fetched = (await client.call({"action": "evaluate", "script": script}))["result"]
    lookups = [a for h, a in guarded.names.answers[before:] if h == "site.rebind.test"]
    # The attacker's name did point at the denied address, many times ...
    assert lookups.count(DENIED_IP) >= 3, lookups
    # ... and every request that got through arrived on the allowed address.
    ours = [h for h in hostile.record.hits if h.key.startswith(f"{k}-")]
    assert len(ours) == fetched >= 3
    assert {h.address for h in ours} == {ALLOWED_IP}


async def test_the_system_resolver_is_checked_too(hostile: Hostile) -> None:
    """With loopback denied, ``localhost`` (resolved by the system) is refused."""
    k = key()
    deny = [*DEFAULT_DENIED_NETWORKS, "127.0.0.0/8", "::1/128"]
    async with running_server(egress_deny=deny) as served, connect(served.url, OPEN) as client:
        for url in (f"http://localhost:{hostile.port}/hit/{k}", f"{hostile.allowed}/hit/{k}"):
            reply = await client.call({"action": "goto", "url": url})
            expect_error(reply, 502, DENIED_ERROR)
    assert k not in hostile.record.seen()


async def test_link_local_is_denied_by_default(guarded: Guarded) -> None:
    """fe80::/10 is refused by the guard itself (nothing is sent: the address is never dialled)."""
    async with connect(guarded.url, OPEN) as client:
        reply = await client.call({"action": "goto", "url": "http://[fe80::1]:8080/"})
    expect_error(reply, 502, DENIED_ERROR)


@pytest.mark.parametrize(
    ("address", "denied"),
    [
        ("169.254.169.254", True),  # AWS, GCP, Azure, Oracle, DigitalOcean metadata
        ("169.254.0.1", True),
        ("::ffff:169.254.169.254", True),  # the same, IPv4-mapped
        ("fe80::1", True),
        ("fe80::1%eth0", True),
        ("fd00:ec2::254", True),  # AWS metadata over IPv6
        ("100.100.100.200", True),  # Alibaba Cloud metadata
        ("0.0.0.0", True),
        ("::", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
    ],
)
def test_default_deny_list(address: str, denied: bool) -> None:
    policy = Settings().egress_policy
    assert (policy.denies(address) is not None) is denied


def test_private_ranges_can_be_denied() -> None:
    policy = EgressPolicy.parse(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"])
    for address in ("10.1.2.3", "172.20.0.1", "192.168.1.1", "fd12::1", "::ffff:10.0.0.1"):
        assert policy.denies(address) is not None, address
    assert policy.denies("8.8.8.8") is None


def test_bad_networks_are_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="not-a-network"):
        Settings(egress_deny=["not-a-network"])


async def test_connection_errors_are_reported_as_without_the_guard(guarded: Guarded) -> None:
    """Behind the guard a refused connection is still net::ERR_CONNECTION_REFUSED."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with connect(guarded.url, OPEN) as client:
        reply = await client.call({"action": "goto", "url": f"http://127.0.0.1:{closed_port}/"})
        expect_error(reply, 502, "net::ERR_CONNECTION_REFUSED")
        reply = await client.call(
            {"action": "goto", "url": f"http://nowhere.invalid:{closed_port}/"}
        )
        expect_error(reply, 502, "net::ERR_NAME_NOT_RESOLVED")


async def test_webrtc_cannot_send_udp_around_the_guard(guarded: Guarded, hostile: Hostile) -> None:
    """WebRTC's STUN traffic is UDP, which no proxy carries: it must not be sent at all."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind((DENIED_IP, 0))
        udp.setblocking(False)
        port = udp.getsockname()[1]
        script = f"""async () => {{
            const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:{DENIED_IP}:{port}'}}]}});
            pc.createDataChannel('x');
            await pc.setLocalDescription(await pc.createOffer());
            await new Promise(resolve => setTimeout(resolve, 1500));
            pc.close();
            return 'done';
        }}"""
        async with connect(guarded.url, OPEN) as client:
            await client.call({"action": "goto", "url": f"{hostile.allowed}/"})
            reply = await client.call({"action": "evaluate", "script": script})
            assert reply.get("result") == "done", reply
        await asyncio.sleep(0.2)
        with pytest.raises(BlockingIOError):
            udp.recvfrom(2048)


async def socks_connect(port: int, host: str, target_port: int) -> tuple[int, bytes]:
    """A minimal SOCKS5 client: the reply code, and what the target says to a GET."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"\x05\x01\x00")
        assert await reader.readexactly(2) == b"\x05\x00"
        name = host.encode()
        writer.write(
            b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack("!H", target_port)
        )
        reply = await reader.readexactly(10)
        if reply[1] != 0:
            return reply[1], b""
        writer.write(b"GET /hit/socks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return 0, await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


socks_garbage = st.binary(max_size=80) | st.builds(
    lambda tail: b"\x05\x01\x00" + tail, st.binary(max_size=80)
)


@pytest.fixture(scope="module")
async def strict_guard() -> AsyncIterator[EgressGuard]:
    """A guard that lets only 127.0.0.1 through (the fuzzed handshakes name any address)."""
    guard = EgressGuard(EgressPolicy.parse(everything_but_loopback()), resolver=no_names)
    await guard.start()
    yield guard
    await guard.close()


@settings(deadline=None, database=None, max_examples=60)
@given(garbage=socks_garbage)
async def test_the_guard_survives_garbage(
    strict_guard: EgressGuard, hostile: Hostile, garbage: bytes
) -> None:
    """Any local process can talk to the guard: malformed handshakes end only themselves."""
    reader, writer = await asyncio.open_connection("127.0.0.1", strict_guard.port)
    writer.write(garbage)
    with contextlib.suppress(TimeoutError, ConnectionError):
        await asyncio.wait_for(reader.read(100), 0.05)
    writer.close()
    code, answer = await socks_connect(strict_guard.port, ALLOWED_IP, hostile.port)
    assert code == 0
    assert answer.startswith(b"HTTP/1.1 200")
    assert await socks_connect(strict_guard.port, DENIED_IP, hostile.port) == (2, b"")
