"""Pure HTTP helpers for goto answers: raw header lines, Set-Cookie parsing, URL policy."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import BadFrame

__all__ = [
    "ParsedCookie",
    "check_goto_url",
    "cookie_to_cdp",
    "header_lines",
    "parse_set_cookie",
    "redirect_type",
]

PERMANENT_REDIRECTS = frozenset({301, 308})
ALLOWED_SCHEMES = ("http", "https")


def check_goto_url(url: str) -> str:
    """Accept absolute http(s) URLs, ``about:blank`` and ``data:``; anything else is a 400."""
    if url == "about:blank" or url.startswith("data:"):
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise BadFrame(f"field 'url': not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"'{scheme}:'" if scheme else "no scheme"
        raise BadFrame(
            f"field 'url': {shown} URLs are not allowed; use an absolute http or https URL, "
            "about:blank or a data: URL"
        )
    if not parts.hostname:
        raise BadFrame("field 'url': the URL has no host")
    if any(ch in url for ch in "\r\n\t\0 "):
        raise BadFrame("field 'url': the URL contains whitespace or control characters")
    return url


def redirect_type(status: int) -> str:
    return "permanent" if status in PERMANENT_REDIRECTS else "temporary"


def header_lines(extra_info: dict[str, Any] | None, provisional: dict[str, str]) -> list[list[str]]:
    """Response headers as received: in order, repeats (every Set-Cookie) kept.

    ``headersText`` (HTTP/1.x) is the wire text itself; otherwise Chromium joins
    repeated raw headers with a newline.
    """
    if extra_info is not None:
        text = extra_info.get("headersText")
        if text:
            return _parse_headers_text(text)
        return _split_joined(extra_info.get("headers") or {})
    return _split_joined(provisional)


def _parse_headers_text(text: str) -> list[list[str]]:
    lines: list[list[str]] = []
    for raw in text.split("\r\n")[1:]:  # the first line is the status line
        if not raw:
            break
        if raw[0] in " \t" and lines:  # obsolete line folding
            lines[-1][1] += " " + raw.strip()
            continue
        name, sep, value = raw.partition(":")
        if sep:
            lines.append([name.strip(), value.strip()])
    return lines


def _split_joined(headers: dict[str, str]) -> list[list[str]]:
    return [[name, value] for name, joined in headers.items() for value in joined.split("\n")]


@dataclass(slots=True)
class ParsedCookie:
    """A Set-Cookie line in the shape of the protocol's Cookie object."""

    name: str
    value: str
    domain: str | None = None
    path: str | None = None
    expires: str | None = None
    http_only: bool | None = None
    secure: bool | None = None
    same_site: str | None = None
    # No Domain attribute: the cookie goes back to its own host only.
    host_only: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "domain": self.domain,
            "path": self.path,
            "expires": self.expires,
            "http_only": self.http_only,
            "secure": self.secure,
            "same_site": self.same_site,
        }


_SAME_SITE = {"lax": "Lax", "strict": "Strict", "none": "None"}


def parse_set_cookie(
    line: str, *, request_host: str, request_path: str, now: dt.datetime
) -> ParsedCookie | None:
    """Parse one Set-Cookie line as a browser would (RFC 6265 section 5.2).

    ``domain`` and ``path`` are the cookie's effective scope: the request's host
    and default path when the line names none.
    """
    pair, *attributes = line.split(";")
    name, sep, value = pair.partition("=")
    if not sep:
        return None
    cookie = ParsedCookie(name=name.strip(), value=value.strip())
    cookie.http_only = False
    cookie.secure = False
    max_age: int | None = None
    expires: dt.datetime | None = None
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        key, val = key.strip().lower(), val.strip()
        if key == "domain" and val:
            cookie.domain = val.lstrip(".").lower()
        elif key == "path" and val.startswith("/"):
            cookie.path = val
        elif key == "secure":
            cookie.secure = True
        elif key == "httponly":
            cookie.http_only = True
        elif key == "samesite":
            cookie.same_site = _SAME_SITE.get(val.lower())
        elif key == "max-age":
            try:
                max_age = int(val)
            except ValueError:
                continue
        elif key == "expires":
            try:
                expires = email.utils.parsedate_to_datetime(val)
            except (TypeError, ValueError):
                continue
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=dt.UTC)
    if max_age is not None:  # Max-Age wins over Expires
        expires = (
            now + dt.timedelta(seconds=max_age)
            if max_age > 0
            else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        )
    if expires is not None:
        cookie.expires = expires.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    cookie.host_only = cookie.domain is None
    cookie.domain = cookie.domain or request_host
    cookie.path = cookie.path or _default_path(request_path)
    return cookie


def _default_path(request_path: str) -> str:
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rfind("/")]


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def cookie_to_cdp(cookie: dict[str, Any], url: str) -> dict[str, Any]:
    """A protocol Cookie as ``Network.setCookies`` wants it, scoped to ``url`` by default."""
    parts = urlsplit(url)
    param: dict[str, Any] = {
        "name": cookie["name"],
        "value": cookie["value"],
        "domain": cookie.get("domain") or parts.hostname,
        "path": cookie.get("path") or "/",
    }
    if cookie.get("secure") is not None:
        param["secure"] = cookie["secure"]
    if cookie.get("http_only") is not None:
        param["httpOnly"] = cookie["http_only"]
    if cookie.get("same_site"):
        param["sameSite"] = cookie["same_site"]
    expires = cookie.get("expires")
    if expires:
        when = (
            expires
            if isinstance(expires, dt.datetime)
            else dt.datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        )
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        param["expires"] = (when - _EPOCH).total_seconds()
    return param


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def is_header_name(name: str) -> bool:
    return bool(_TOKEN.match(name))
