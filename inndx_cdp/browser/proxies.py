"""Proxies named in the configuration: parsing, choosing one per session, keeping secrets.

A proxy is configured as ``id -> scheme://[user:pass@]host[:port]`` with the
scheme ``http``, ``https`` or ``socks5``. Chromium takes the proxy without
credentials (``proxyServer`` of a browser context); the credentials are kept
apart and answered on the proxy's challenge, so they never appear in a
Chromium argument, an error message or a log line. Nothing here puts a
password into ``repr()`` or an exception.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote, urlsplit

from ..errors import BadFrame

__all__ = ["PROXY_SCHEMES", "Proxy", "ProxyRegistry", "parse_proxy"]

DEFAULT_PORTS: Final[dict[str, int]] = {"http": 80, "https": 443, "socks5": 1080}
PROXY_SCHEMES: Final[tuple[str, ...]] = tuple(DEFAULT_PORTS)


@dataclass(frozen=True, slots=True)
class Proxy:
    """One configured proxy; ``server`` is what Chromium is given (no credentials)."""

    id: str
    server: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def credentials(self) -> tuple[str, str] | None:
        """``(username, password)`` to answer the proxy's challenge with, if any."""
        if self.username is None:
            return None
        return self.username, self.password or ""


def parse_proxy(proxy_id: str, url: str) -> Proxy:
    """Parse a configured proxy URL; a :class:`ValueError` never repeats the URL.

    The message names the proxy by its id only: the URL may hold a password.
    """
    where = f"proxy {proxy_id!r}"
    if not proxy_id:
        raise ValueError("a proxy id must not be empty")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"{where}: not a valid URL (expected scheme://host:port)") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        accepted = ", ".join(f"{s}://" for s in PROXY_SCHEMES)
        raise ValueError(f"{where}: the scheme must be one of {accepted}")
    host = parts.hostname
    if not host:
        raise ValueError(f"{where}: the URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{where}: a proxy URL has no path, query or fragment")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if username is not None and scheme == "socks5":
        # Chromium speaks SOCKS5 without authentication only.
        raise ValueError(f"{where}: socks5 proxies cannot take a user name and password")
    if _is_ipv6(host):
        host = f"[{host}]"
    server = f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"
    return Proxy(proxy_id, server, username, password)


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


class ProxyRegistry:
    """The configured proxies and how many sessions each one carries.

    A session naming several proxies gets the one with the fewest open
    sessions; among equals, the one that has served the fewest sessions so
    far, then the first named. So both concurrent and one-after-the-other
    sessions spread over the proxies.
    """

    def __init__(self, proxies: Iterable[Proxy] = ()) -> None:
        self._proxies: dict[str, Proxy] = {proxy.id: proxy for proxy in proxies}
        self._active: dict[str, int] = dict.fromkeys(self._proxies, 0)
        self._served: dict[str, int] = dict.fromkeys(self._proxies, 0)

    @classmethod
    def from_urls(cls, urls: Mapping[str, str]) -> ProxyRegistry:
        """Build from ``id -> URL`` (raises :class:`ValueError` on a bad URL)."""
        return cls(parse_proxy(proxy_id, url) for proxy_id, url in urls.items())

    def __contains__(self, proxy_id: object) -> bool:
        return proxy_id in self._proxies

    def ids(self) -> list[str]:
        return sorted(self._proxies)

    def active(self, proxy_id: str) -> int:
        """Open sessions routed through ``proxy_id``."""
        return self._active.get(proxy_id, 0)

    def acquire(self, ids: Sequence[str]) -> Proxy:
        """Choose among ``ids`` (least used first) and count the new session on it.

        An id that is not configured is a :class:`BadFrame` naming the known ids.
        """
        unknown = [proxy_id for proxy_id in ids if proxy_id not in self._proxies]
        if unknown or not ids:
            known = ", ".join(self.ids()) or "none configured"
            shown = repr(unknown[0][:64]) if unknown else "(none)"
            raise BadFrame(f"field 'proxies': unknown proxy id {shown} (known: {known})")
        order = {proxy_id: index for index, proxy_id in enumerate(ids)}
        chosen = min(order, key=lambda p: (self._active[p], self._served[p], order[p]))
        self._active[chosen] += 1
        self._served[chosen] += 1
        return self._proxies[chosen]

    def release(self, proxy_id: str) -> None:
        """The session routed through ``proxy_id`` has ended."""
        if self._active.get(proxy_id, 0) > 0:
            self._active[proxy_id] -= 1
