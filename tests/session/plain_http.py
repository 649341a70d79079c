"""The reference a goto answer is compared with: a plain HTTP client (aiohttp's).

It follows redirects one hop at a time, as a browser would, and reports the
exchange in the shape of a goto answer. Cookies are parsed by the standard
library's ``http.cookies``, not by the code under test.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp

REDIRECT_CODES = (301, 302, 303, 307, 308)


@dataclass
class PlainAnswer:
    """What a plain HTTP client saw, in the goto answer's terms."""

    url: str
    status_code: int
    headers: list[list[str]]
    cookies: list[dict[str, Any]] = field(default_factory=list)
    body: bytes | None = None
    redirects: list[dict[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, url) sent


async def fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    max_hops: int = 20,
) -> PlainAnswer:
    """Send ``method`` to ``url`` and follow server redirects like a browser."""
    answer = PlainAnswer(url=url, status_code=0, headers=[])
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        for _ in range(max_hops + 1):
            answer.requests.append((method, url))
            async with http.request(
                method, url, data=body, headers=headers, allow_redirects=False
            ) as response:
                lines = [
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in response.raw_headers
                ]
                answer.cookies.extend(parse_cookies(lines, url))
                location = response.headers.get("Location")
                if response.status in REDIRECT_CODES and location:
                    target = urljoin(url, location)
                    kind = "permanent" if response.status in (301, 308) else "temporary"
                    answer.redirects.append(
                        {"url": url, "location": target, "side": "server", "type": kind}
                    )
                    if (response.status == 303 and method != "HEAD") or (
                        response.status in (301, 302) and method == "POST"
                    ):
                        method, body = "GET", None
                    url = target
                    continue
                answer.url = url
                answer.status_code = response.status
                answer.headers = lines
                tunnel = method == "CONNECT" and 200 <= response.status < 300
                if method == "HEAD" or response.status in (204, 304) or tunnel:
                    answer.body = None
                    response.close()
                else:
                    answer.body = await response.read()
                return answer
    raise AssertionError(f"more than {max_hops} redirects from {answer.url}")


def parse_cookies(lines: list[list[str]], url: str) -> list[dict[str, Any]]:
    """Cookie objects from the Set-Cookie lines of one response at ``url``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    default_path = path[: path.rfind("/")] if path.count("/") > 1 else "/"
    cookies = []
    for name, value in lines:
        if name.lower() != "set-cookie":
            continue
        jar: SimpleCookie = SimpleCookie()
        jar.load(value)
        for morsel in jar.values():
            expires: str | None = None
            if morsel["max-age"] != "":
                seconds = int(morsel["max-age"])
                when = (
                    dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
                    if seconds > 0
                    else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
                )
                expires = rfc3339(when)
            elif morsel["expires"]:
                expires = rfc3339(email.utils.parsedate_to_datetime(morsel["expires"]))
            cookies.append(
                {
                    "name": morsel.key,
                    "value": morsel.value,
                    "domain": (morsel["domain"] or parts.hostname or "").lstrip("."),
                    "path": morsel["path"] or default_path,
                    "expires": expires,
                    "http_only": bool(morsel["httponly"]),
                    "secure": bool(morsel["secure"]),
                    "same_site": morsel["samesite"] or None,
                }
            )
    return cookies


def rfc3339(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
