"""The open frame's middleware as interception rules, and a session's interception setup.

Each middleware entry becomes one :class:`~.interception.Rule`, added in the
order of the frame, so entries apply in that order. Fetch patterns only
narrow what Chromium pauses; each handler checks its own URL globs and
resource types exactly.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

from ..browser.browser import Page
from ..errors import BadFrame
from ..protocol import BlockMiddleware, RequestHeadersMiddleware, ResponseHeadersMiddleware
from .interception import Interception, PausedRequest, Rule, patterns_for

__all__ = ["configure_interception", "glob_matcher", "middleware_rule"]

Middleware = BlockMiddleware | RequestHeadersMiddleware | ResponseHeadersMiddleware

# Request headers middleware cannot change, and why. The network layer writes
# these itself after interception: a removal would silently do nothing (a
# removed User-Agent even comes back as the browser's own, "HeadlessChrome").
# A Cookie header would overwrite the cookie jar (Chromium 145+).
_COOKIE = "the Cookie header cannot be rewritten by middleware; send cookies with goto's cookies"
_NETWORK = "is written by the browser's network layer and cannot be removed"
_FIXED_HEADERS: dict[str, dict[str, str]] = {
    "set": {"cookie": _COOKIE, "host": f"Host {_NETWORK.replace('removed', 'set')}"},
    "remove": {
        "cookie": _COOKIE,
        "host": f"Host {_NETWORK}",
        "connection": f"Connection {_NETWORK}",
        "accept-encoding": f"Accept-Encoding {_NETWORK}",
        "referer": f"Referer {_NETWORK} (goto's referrer sets it)",
        "user-agent": f"User-Agent {_NETWORK}; set it to another value instead",
    },
}


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")), re.DOTALL)


def glob_matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """``url -> bool`` for ``*`` globs matched against the whole URL; empty matches all."""
    if not patterns:
        return lambda url: True
    regexes = [_glob_regex(pattern) for pattern in patterns]
    return lambda url: any(regex.fullmatch(url) for regex in regexes)


def middleware_rule(entry: Middleware, index: int = 0) -> Rule:
    """One middleware entry as an interception rule; a :class:`BadFrame` if it cannot work."""
    matches = glob_matcher(entry.url_patterns)
    if isinstance(entry, BlockMiddleware):
        types = frozenset(entry.resource_types)

        def block(paused: PausedRequest) -> None:
            if (not types or paused.resource_type in types) and matches(paused.url):
                paused.block()

        return Rule("Request", patterns_for(entry.url_patterns, entry.resource_types), block)

    remove = list(entry.remove)
    pairs = [(name, value) for name, value in entry.set]
    if isinstance(entry, RequestHeadersMiddleware):
        for field, names in (("set", [name for name, _ in pairs]), ("remove", remove)):
            for name in names:
                reason = _FIXED_HEADERS[field].get(name.lower())
                if reason is not None:
                    raise BadFrame(f"field 'middleware[{index}].{field}': {reason}")

        def rewrite_request(paused: PausedRequest) -> None:
            if not matches(paused.url):
                return
            for name in remove:
                paused.remove_header(name)
            for name, value in pairs:
                paused.set_header(name, value)

        return Rule("Request", patterns_for(entry.url_patterns), rewrite_request)

    def rewrite_response(paused: PausedRequest) -> None:
        if not matches(paused.url):
            return
        for name in remove:
            paused.remove_response_header(name)
        for name, value in pairs:
            paused.set_response_header(name, value)

    return Rule("Response", patterns_for(entry.url_patterns), rewrite_response)


async def configure_interception(
    page: Page,
    middleware: Sequence[Middleware],
    *,
    proxy_credentials: tuple[str, str] | None = None,
) -> None:
    """Install a session's middleware and proxy credentials on its page.

    With neither, nothing is sent to the browser: the session pays nothing.
    """
    if not middleware and proxy_credentials is None:
        return
    rules = [middleware_rule(entry, index) for index, entry in enumerate(middleware)]
    manager = Interception.of(page)
    for rule in rules:
        manager.add(rule)
    manager.set_proxy_credentials(proxy_credentials)
    if middleware:
        # The HTTP cache would answer some requests without asking the
        # middleware (a cached image would not be blocked, a cached response
        # would keep its headers).
        await page.cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    await manager.sync()
