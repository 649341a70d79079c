"""TRACE and CONNECT: the methods Chromium's navigation refuses.

Chromium fails a navigation with either method (``net::ERR_INVALID_ARGUMENT``)
even when request interception rewrites it, so the server sends them with its
own HTTP client, as the session: the cookies the browser's jar holds for each
URL, the session's user agent and client hints, the goto's headers and the
session's proxy. Without a proxy, the egress policy holds as it does for the
browser: names are resolved and checked the way the guard does it. The client
follows redirects itself (a 303 turns the method into GET, as a browser does)
and puts every cookie the responses set into the browser's jar. The goto then
loads the final answer into the page by fulfilling the page's own navigation
to that URL with it, so content, evaluate and screenshot work on it.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import errno
import http
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from ..browser.egress import EgressGuard
from ..cdp.connection import CdpError, CdpSession
from ..errors import InndxError, NavigationFailed, TooManyRedirects
from .egress import DENIED_BY_POLICY
from .http import ParsedCookie, parse_set_cookie, redirect_type
from .useragent import UserAgent

__all__ = ["METHODS", "Exchange", "FetchFailed", "fulfilment", "net_error", "send"]

METHODS = frozenset({"TRACE", "CONNECT"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Set by the client library, or meaningless once the body is decoded: not
# handed to the page when the answer is loaded into it.
NOT_FULFILLED = frozenset({"content-encoding", "content-length", "transfer-encoding", "set-cookie"})
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class FetchFailed(Exception):
    """The request failed on the network; ``net_error`` is Chromium's name for it."""

    def __init__(self, net_error: str) -> None:
        super().__init__(net_error)
        self.net_error = net_error


@dataclass(slots=True)
class Exchange:
    """The final answer of a request the server sent itself, and the way there."""

    url: str
    status: int
    reason: str
    headers: list[list[str]]
    body: bytes | None
    redirects: list[dict[str, str]]
    cookies: list[dict[str, Any]]

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower() or None
        return None


async def send(
    cdp: CdpSession,
    *,
    url: str,
    method: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    user_agent: UserAgent,
    accept_language: str | None,
    referrer: str | None,
    max_redirects: int,
    proxy: str | None = None,
    egress: EgressGuard | None = None,
    store_cookies: bool = True,
) -> Exchange:
    """Send ``method`` to ``url`` as the page's session would, following redirects.

    ``proxy`` is the session's proxy URL (``http://user:pass@host:port``), or
    None to connect directly: then only to addresses ``egress`` allows, when
    a guard is given. Cookies the responses set go into the browser's jar
    unless ``store_cookies`` is false. Raises :class:`FetchFailed` on a
    network failure and :class:`TooManyRedirects` past ``max_redirects``.
    """
    if proxy is not None and proxy.startswith("socks"):
        raise NavigationFailed(f"{method} cannot be sent through a socks5 proxy")
    redirects: list[dict[str, str]] = []
    cookies: list[dict[str, Any]] = []
    resolver = _GuardedResolver(egress) if egress is not None and proxy is None else None
    # Cookies are the browser's business: the jar is read before each hop and
    # filled after it, so the session sees them as if the page had made the call.
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=resolver) if resolver else None,
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=None),  # the goto's own deadline governs
        auto_decompress=True,
    ) as client:
        while True:
            if resolver is not None:
                resolver.check_literal(url)
            request_headers = await _request_headers(
                cdp, url, headers, user_agent, accept_language, referrer
            )
            try:
                async with client.request(
                    method,
                    url,
                    headers=request_headers,
                    data=body,
                    proxy=proxy,
                    allow_redirects=False,
                ) as response:
                    lines = [
                        [name.decode("latin-1"), value.decode("latin-1")]
                        for name, value in response.raw_headers
                    ]
                    answer_body = await _read(response, method)
                    status, reason = response.status, response.reason or ""
            except aiohttp.ClientConnectorError as exc:
                if isinstance(exc.os_error, _Denied):
                    raise FetchFailed(DENIED_BY_POLICY) from None
                raise FetchFailed(net_error(exc)) from None
            except aiohttp.ClientError as exc:
                raise FetchFailed(net_error(exc)) from None
            hop_cookies = await _cookies(cdp, url, lines, store=store_cookies)
            cookies.extend(cookie.as_dict() for cookie in hop_cookies)
            location = _header(lines, "location")
            if status not in REDIRECT_STATUSES or location is None:
                return Exchange(url, status, reason, lines, answer_body, redirects, cookies)
            target = urljoin(url, location)
            if urlsplit(target).scheme not in ("http", "https"):
                raise FetchFailed("net::ERR_UNSAFE_REDIRECT")  # as Chromium calls it
            redirects.append(
                {"url": url, "location": target, "side": "server", "type": redirect_type(status)}
            )
            if len(redirects) > max_redirects:
                raise TooManyRedirects(
                    f"too many redirects: more than {max_redirects} (last to {target})"
                )
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
            url = target


class _Denied(OSError):
    """Every address of a host lies in a network the egress policy denies."""


class _GuardedResolver(AbstractResolver):
    """Resolves as the egress guard does and hands out only the allowed addresses.

    The client library connects to the addresses given here, so a name that
    changes its answer between a check and the connection cannot slip past.
    """

    def __init__(self, guard: EgressGuard) -> None:
        self.guard = guard

    def check_literal(self, url: str) -> None:
        """Refuse a URL whose host is a denied address (those skip the resolver)."""
        host = (urlsplit(url).hostname or "").split("%", 1)[0]
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return
        if self.guard.policy.denies(address) is not None:
            raise FetchFailed(DENIED_BY_POLICY)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self.guard.addresses(host, port)
        allowed = [a for a in addresses if self.guard.policy.denies(a) is None]
        if not allowed:
            raise _Denied(f"{host} resolves only to denied networks")
        return [
            {
                "hostname": host,
                "host": str(address),
                "port": port,
                "family": socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in allowed
        ]

    async def close(self) -> None:
        return None


def fulfilment(exchange: Exchange) -> dict[str, Any]:
    """``Fetch.fulfillRequest`` parameters, but the request id, that answer with ``exchange``."""
    params: dict[str, Any] = {
        "responseCode": exchange.status,
        "responseHeaders": [
            {"name": name, "value": value}
            for name, value in exchange.headers
            if name.lower() not in NOT_FULFILLED
        ],
    }
    if exchange.body:
        params["body"] = base64.b64encode(exchange.body).decode("ascii")
    known = {status.value for status in http.HTTPStatus}
    if exchange.status not in known:
        # Chromium knows the standard phrases; any other code needs its own.
        params["responsePhrase"] = exchange.reason or "Unknown"
    return params


async def _read(response: aiohttp.ClientResponse, method: str) -> bytes | None:
    if method == "HEAD" or response.status in (204, 205, 304):
        return None
    if method == "CONNECT" and 200 <= response.status < 300:
        # A successful CONNECT turns the connection into a tunnel: no body.
        response.close()
        return None
    return await response.read()


async def _request_headers(
    cdp: CdpSession,
    url: str,
    extra: list[tuple[str, str]],
    user_agent: UserAgent,
    accept_language: str | None,
    referrer: str | None,
) -> list[tuple[str, str]]:
    jar = await cdp.send("Network.getCookies", {"urls": [url]})
    found: list[tuple[str, str]] = [("User-Agent", user_agent.user_agent)]
    found.extend(user_agent.hint_headers())
    if accept_language:
        found.append(("Accept-Language", accept_language))
    if referrer:
        found.append(("Referer", referrer))
    if jar["cookies"]:
        cookie = "; ".join(f"{c['name']}={c['value']}" for c in jar["cookies"])
        found.append(("Cookie", cookie))
    # The goto's headers win over the session's; a Cookie header never does
    # (cookies travel through the jar, as on every other goto).
    wanted = {name.lower() for name, _ in extra} - {"cookie"}
    headers = [(name, value) for name, value in found if name.lower() not in wanted]
    headers.extend((name, value) for name, value in extra if name.lower() != "cookie")
    return headers


async def _cookies(
    cdp: CdpSession, url: str, lines: list[list[str]], *, store: bool
) -> list[ParsedCookie]:
    """Parse the Set-Cookie lines and (if ``store``) hand each cookie to the browser's jar."""
    parts = urlsplit(url)
    now = dt.datetime.now(dt.UTC)
    parsed = []
    for name, value in lines:
        if name.lower() != "set-cookie":
            continue
        cookie = parse_set_cookie(
            value, request_host=parts.hostname or "", request_path=parts.path or "/", now=now
        )
        if cookie is None:
            continue
        parsed.append(cookie)
        if not store:
            continue
        # The browser refuses what it would refuse from a Set-Cookie header
        # (a foreign domain, a bad prefix): its answer is the jar's rule.
        with contextlib.suppress(CdpError, InndxError):
            await cdp.send("Network.setCookie", _cookie_param(cookie, url))
    return parsed


def _cookie_param(cookie: ParsedCookie, url: str) -> dict[str, Any]:
    param: dict[str, Any] = {
        "name": cookie.name,
        "value": cookie.value,
        "url": url,
        "path": cookie.path,
        "secure": bool(cookie.secure),
        "httpOnly": bool(cookie.http_only),
    }
    if not cookie.host_only:
        param["domain"] = cookie.domain
    if cookie.same_site:
        param["sameSite"] = cookie.same_site
    if cookie.expires:
        when = dt.datetime.fromisoformat(cookie.expires.replace("Z", "+00:00"))
        param["expires"] = (when - _EPOCH).total_seconds()
    return param


def _header(lines: list[list[str]], name: str) -> str | None:
    for key, value in lines:
        if key.lower() == name:
            return value
    return None


_ERRNO_NAMES = {
    errno.ECONNREFUSED: "net::ERR_CONNECTION_REFUSED",
    errno.ECONNRESET: "net::ERR_CONNECTION_RESET",
    errno.ECONNABORTED: "net::ERR_CONNECTION_ABORTED",
    errno.ETIMEDOUT: "net::ERR_CONNECTION_TIMED_OUT",
    errno.EHOSTUNREACH: "net::ERR_ADDRESS_UNREACHABLE",
    errno.ENETUNREACH: "net::ERR_ADDRESS_UNREACHABLE",
}


def net_error(exc: aiohttp.ClientError) -> str:
    """Chromium's ``net::ERR_...`` name for what the client library raised."""
    if isinstance(exc, aiohttp.ClientProxyConnectionError):
        return "net::ERR_PROXY_CONNECTION_FAILED"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return "net::ERR_CERT_INVALID"
    if isinstance(exc, aiohttp.ClientSSLError):
        return "net::ERR_SSL_PROTOCOL_ERROR"
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, socket.gaierror):
        return "net::ERR_NAME_NOT_RESOLVED"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "net::ERR_EMPTY_RESPONSE"
    if isinstance(exc, aiohttp.ClientOSError):
        return _ERRNO_NAMES.get(exc.errno or 0, "net::ERR_CONNECTION_FAILED")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "net::ERR_CONTENT_DECODING_FAILED"
    if isinstance(exc, aiohttp.ClientResponseError):
        return "net::ERR_INVALID_HTTP_RESPONSE"
    return "net::ERR_FAILED"
