"""What a navigation failure means when the page's traffic goes through the egress guard."""

from __future__ import annotations

from ..browser.browser import Page
from ..browser.egress import SOCKS_FAILURE

__all__ = ["DENIED", "explain_network_error"]

DENIED = "net::ERR_NETWORK_ACCESS_DENIED"


def explain_network_error(page: Page, error: str, url: str) -> str:
    """The error to report for ``error`` met while loading ``url``.

    Behind the guard every connection failure reaches Chromium as a SOCKS
    failure; the guard remembers the real cause (name not resolved,
    connection refused, denied by the policy), which is what a direct
    connection would have reported, and what retries are decided on.
    """
    if error != SOCKS_FAILURE or page.egress is None:
        return error
    cause = page.egress.net_error(url)
    if cause == DENIED:
        return f"{DENIED} (the egress policy denies this destination)"
    return cause or error
