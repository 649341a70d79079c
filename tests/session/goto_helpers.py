"""Shared helpers for the goto tests: run a goto, compare it with a plain client."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inndx_cdp.browser.browser import Page
from inndx_cdp.session.goto import GotoRequest, GotoResult, goto

from .conftest import js as js
from .plain_http import PlainAnswer

# Headers whose value may legitimately differ between two requests a moment apart.
VOLATILE = frozenset({"date"})


async def run_goto(
    page: Page,
    url: str,
    *,
    timeout: float = 20,
    max_redirects: int = 10,
    max_retries: int = 0,
    **fields: Any,
) -> GotoResult:
    """A goto on ``page`` with the session defaults (retries off unless asked)."""
    return await goto(
        page,
        GotoRequest(url=url, **fields),
        timeout=timeout,
        max_redirects=max_redirects,
        max_retries=max_retries,
    )


def comparable_headers(lines: list[list[str]]) -> list[list[str]]:
    return [[name, "*" if name.lower() in VOLATILE else value] for name, value in lines]


def comparable_cookies(cookies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cookies with ``expires`` rounded to the minute (Max-Age counts from 'now')."""
    out = []
    for cookie in cookies:
        cookie = dict(cookie)
        if cookie.get("expires"):
            when = dt.datetime.fromisoformat(cookie["expires"].replace("Z", "+00:00"))
            cookie["expires"] = when.replace(second=0, microsecond=0).isoformat()
        out.append(cookie)
    return out


def assert_same_exchange(answer: GotoResult, plain: PlainAnswer) -> None:
    """Status, header lines, cookies, redirect chain and body agree."""
    assert answer.url == plain.url
    assert answer.status_code == plain.status_code
    assert comparable_headers(answer.headers) == comparable_headers(plain.headers)
    assert comparable_cookies(answer.cookies) == comparable_cookies(plain.cookies)
    assert answer.redirects == plain.redirects
    assert answer.body == plain.body
