"""The egress policy: networks the pages may not reach, enforced by a local SOCKS5 relay.

Every browser context the pool creates (unless the session asked for one of
the configured upstream proxies) uses :class:`EgressGuard` as its proxy, with
Chromium's implicit bypass rules removed (``<-loopback>``), so loopback and
link-local destinations go through it too. Chromium hands SOCKS5 proxies the
host *name*; the guard resolves it itself, drops every address inside a denied
network and connects only to an address it has checked. What it checks is
what it connects to, so DNS rebinding, redirects, subresources, ``fetch()``,
WebSockets and workers are all held to the same rule.

A refusal is a SOCKS failure, which Chromium reports as
``net::ERR_SOCKS_CONNECTION_FAILED``; the guard remembers why it refused a
host and port for a short while, so the goto that failed can name the real
cause (:meth:`EgressGuard.net_error`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_DENIED_NETWORKS",
    "SOCKS_FAILURE",
    "EgressGuard",
    "EgressPolicy",
    "Network",
]

log = logging.getLogger("inndx_cdp.egress")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses the name stands for (OSError when it has none).
Resolver = Callable[[str, int], Awaitable[list[str]]]

DEFAULT_DENIED_NETWORKS: tuple[str, ...] = (
    # Link-local, home of the cloud metadata services (AWS, GCP, Azure,
    # Oracle, DigitalOcean, OpenStack answer on 169.254.169.254).
    "169.254.0.0/16",
    "fe80::/10",
    # Metadata services elsewhere: Alibaba Cloud, and AWS over IPv6.
    "100.100.100.200/32",
    "fd00:ec2::254/128",
    # "This host": connecting to 0.0.0.0 or :: reaches the local machine.
    "0.0.0.0/8",
    "::/128",
)

# What Chromium reports for any SOCKS5 failure reply.
SOCKS_FAILURE = "net::ERR_SOCKS_CONNECTION_FAILED"

Failure = Literal["denied", "unresolved", "refused", "unreachable", "timeout"]
# The Chromium error each refusal stands for, so that a goto reports (and
# retries) exactly what a direct connection would have met.
NET_ERRORS: dict[Failure, str] = {
    "denied": "net::ERR_NETWORK_ACCESS_DENIED",
    "unresolved": "net::ERR_NAME_NOT_RESOLVED",
    "refused": "net::ERR_CONNECTION_REFUSED",
    "unreachable": "net::ERR_ADDRESS_UNREACHABLE",
    "timeout": "net::ERR_CONNECTION_TIMED_OUT",
}
# SOCKS5 reply codes (RFC 1928 section 6).
_REPLY_CODES: dict[Failure, int] = {
    "denied": 0x02,
    "unresolved": 0x04,
    "refused": 0x05,
    "unreachable": 0x03,
    "timeout": 0x04,
}
_COMMAND_NOT_SUPPORTED = 0x07
_ADDRESS_NOT_SUPPORTED = 0x08

HANDSHAKE_TIMEOUT = 10.0
CONNECT_TIMEOUT = 30.0
# How long a refusal is remembered for the goto that caused it.
FAILURE_MEMORY = 60.0
MAX_REMEMBERED = 1024


@dataclass(frozen=True, slots=True)
class EgressPolicy:
    """The denied networks; an address inside any of them may not be reached."""

    denied: tuple[Network, ...]

    @classmethod
    def parse(cls, networks: Iterable[str]) -> EgressPolicy:
        """Networks in CIDR notation (``10.0.0.0/8``) or single addresses; ValueError if bad."""
        return cls(tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks))

    def denies(self, address: str | Address) -> Network | None:
        """The denied network ``address`` falls in, or ``None`` when it may be reached."""
        if isinstance(address, str):
            address = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
        candidates: list[Address] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            # ::ffff:169.254.169.254 is the IPv4 address in IPv6 clothing.
            candidates.append(address.ipv4_mapped)
        for candidate in candidates:
            for network in self.denied:
                if candidate.version == network.version and candidate in network:
                    return network
        return None


class EgressGuard:
    """A SOCKS5 relay on 127.0.0.1 that connects pages only to allowed addresses."""

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        resolver: Resolver | None = None,
    ) -> None:
        self.policy = policy
        self.connect_timeout = connect_timeout
        # The system resolver (getaddrinfo) unless another is given.
        self.resolver = resolver
        self._server: asyncio.Server | None = None
        self._connections: set[_Client] = set()
        self._failures: collections.OrderedDict[tuple[str, int], tuple[Failure, float]] = (
            collections.OrderedDict()
        )
        self.refused = 0

    async def start(self) -> None:
        """Listen on a free loopback port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Client(self), "127.0.0.1", 0, reuse_address=True
        )
        log.info("egress guard on %s denies %s", self.proxy_server, _describe(self.policy))

    @property
    def port(self) -> int:
        assert self._server is not None, "the guard is not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def proxy_server(self) -> str:
        """The proxy URL a browser context is given."""
        return f"socks5://127.0.0.1:{self.port}"

    async def close(self) -> None:
        """Stop listening and cut every relayed connection."""
        if self._server is None:
            return
        self._server.close()
        for connection in list(self._connections):
            connection.abort()
        await self._server.wait_closed()
        self._server = None

    def net_error(self, url: str) -> str | None:
        """The Chromium error name for a recent refusal of ``url``'s host and port, if any."""
        key = _key_for_url(url)
        if key is None:
            return None
        found = self._failures.get(key)
        if found is None or time.monotonic() - found[1] > FAILURE_MEMORY:
            return None
        return NET_ERRORS[found[0]]

    def _remember(self, host: str, port: int, failure: Failure) -> None:
        key = (_normal_host(host), port)
        self._failures.pop(key, None)
        self._failures[key] = (failure, time.monotonic())
        while len(self._failures) > MAX_REMEMBERED:
            self._failures.popitem(last=False)

    async def _addresses(self, host: str, port: int) -> list[Address]:
        """Every address ``host`` stands for (an IP literal is its own)."""
        with contextlib.suppress(ValueError):
            return [ipaddress.ip_address(host.strip("[]").split("%", 1)[0])]
        if self.resolver is not None:
            return [ipaddress.ip_address(a) for a in await self.resolver(host, port)]
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
        found: list[Address] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if address not in found:
                found.append(address)
        return found


class _Relay(asyncio.Protocol):
    """One side of a relayed connection; bytes go straight to the peer's transport."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: _Relay | None = None
        self.eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)

    def eof_received(self) -> bool:
        self.eof = True
        peer = self.peer
        if peer is None or peer.transport is None:
            return False
        if peer.eof:  # both directions are done
            peer.transport.close()
            return False
        if peer.transport.can_write_eof():
            peer.transport.write_eof()
        return True  # keep our writing half open for the answer

    # Flow control: a slow reader on one side pauses reading on the other.
    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class _Upstream(_Relay):
    pass


class _Client(_Relay):
    """The browser's side: the SOCKS5 handshake, then a plain relay."""

    def __init__(self, guard: EgressGuard) -> None:
        super().__init__()
        self.guard = guard
        self.buffer = bytearray()
        self.greeted = False
        self.connecting: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.guard._connections.add(self)
        self.timer = asyncio.get_running_loop().call_later(HANDSHAKE_TIMEOUT, self.abort)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard._connections.discard(self)
        if self.timer is not None:
            self.timer.cancel()
        if self.connecting is not None:
            self.connecting.cancel()
        super().connection_lost(exc)

    def abort(self) -> None:
        super().abort()
        if self.peer is not None:
            self.peer.abort()

    def data_received(self, data: bytes) -> None:
        if self.peer is not None:
            super().data_received(data)
            return
        self.buffer += data
        if self.connecting is None:
            try:
                self._handshake()
            except Exception:  # a malformed handshake ends this connection, nothing else
                log.debug("bad SOCKS handshake", exc_info=True)
                self.abort()

    def _handshake(self) -> None:
        assert self.transport is not None
        buffer = self.buffer
        if not self.greeted:
            # VER NMETHODS METHODS...
            if len(buffer) < 2 or len(buffer) < 2 + buffer[1]:
                return
            if buffer[0] != 5:
                self.transport.abort()
                return
            methods = buffer[2 : 2 + buffer[1]]
            del buffer[: 2 + buffer[1]]
            if 0 not in methods:  # only "no authentication": we listen on loopback
                self.transport.write(b"\x05\xff")
                self.transport.close()
                return
            self.transport.write(b"\x05\x00")
            self.greeted = True
        # VER CMD RSV ATYP ADDR PORT
        if len(buffer) < 5:
            return
        command, kind = buffer[1], buffer[3]
        if kind == 1:
            end = 4 + 4
        elif kind == 3:
            end = 5 + buffer[4]
        elif kind == 4:
            end = 4 + 16
        else:
            self._reply(_ADDRESS_NOT_SUPPORTED)
            return
        if len(buffer) < end + 2:
            return
        raw = bytes(buffer[4 if kind != 3 else 5 : end])
        # Chromium sends names in their ASCII (punycode) form.
        host = raw.decode("ascii", "replace") if kind == 3 else str(ipaddress.ip_address(raw))
        (port,) = struct.unpack("!H", buffer[end : end + 2])
        del buffer[: end + 2]
        if command != 1:  # CONNECT only: no BIND, no UDP ASSOCIATE
            self._reply(_COMMAND_NOT_SUPPORTED)
            return
        if self.timer is not None:  # from here on the connect has its own time limit
            self.timer.cancel()
        self.connecting = asyncio.get_running_loop().create_task(self._connect(host, port))

    async def _connect(self, host: str, port: int) -> None:
        guard = self.guard
        try:
            addresses = await asyncio.wait_for(guard._addresses(host, port), guard.connect_timeout)
        except (OSError, ValueError, TimeoutError):
            self._refuse(host, port, "unresolved")
            return
        allowed = [a for a in addresses if guard.policy.denies(a) is None]
        if not allowed:
            guard.refused += 1
            log.info("egress denied: %s:%d resolves only to denied networks", host, port)
            self._refuse(host, port, "denied" if addresses else "unresolved")
            return
        loop = asyncio.get_running_loop()
        failure: Failure = "unreachable"
        for address in allowed:
            try:
                transport, upstream = await asyncio.wait_for(
                    loop.create_connection(_Upstream, str(address), port), guard.connect_timeout
                )
            except TimeoutError:
                failure = "timeout"
                continue
            except ConnectionRefusedError:
                failure = "refused"
                continue
            except OSError:
                continue
            break
        else:
            self._refuse(host, port, failure)
            return
        assert self.transport is not None
        if self.transport.is_closing():
            transport.close()
            return
        self._reply(0, keep_open=True)
        upstream.peer, self.peer = self, upstream
        if self.buffer:
            transport.write(bytes(self.buffer))
            self.buffer.clear()

    def _refuse(self, host: str, port: int, failure: Failure) -> None:
        # Remembered before Chromium hears of it, so the goto can explain it.
        self.guard._remember(host, port, failure)
        self._reply(_REPLY_CODES[failure])

    def _reply(self, code: int, *, keep_open: bool = False) -> None:
        assert self.transport is not None
        # The bound address is of no use to Chromium: zeros.
        self.transport.write(bytes((5, code, 0, 1, 0, 0, 0, 0, 0, 0)))
        if not keep_open:
            self.transport.close()


def _normal_host(host: str) -> str:
    host = host.strip("[]").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    return host


def _key_for_url(url: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    default = {"http": 80, "ws": 80, "https": 443, "wss": 443}.get(parts.scheme.lower())
    port = port or default
    return None if port is None else (_normal_host(parts.hostname), port)


def _describe(policy: EgressPolicy) -> str:
    return ", ".join(str(n) for n in policy.denied) or "nothing"
