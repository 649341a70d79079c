"""User-agent keywords and the client hints that must agree with them."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any

from .._version import __version__

__all__ = ["UserAgent", "resolve_user_agent"]

KEYWORDS = ("inndx", "chrome", "firefox", "safari", "random")

# Current desktop releases; Chrome's version is taken from the running browser.
FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:146.0) Gecko/20100101 Firefox/146.0"
SAFARI_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/26.1 Safari/605.1.15"
)


@dataclass(frozen=True, slots=True)
class UserAgent:
    """What ``Network.setUserAgentOverride`` gets for one keyword or custom string."""

    user_agent: str
    # Client hints (Sec-CH-UA*, navigator.userAgentData). Only a Chromium-based
    # UA has them; for any other UA, none are sent, as a real Firefox or Safari
    # sends none.
    metadata: dict[str, Any] | None

    def override(self, accept_language: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"userAgent": self.user_agent}
        if self.metadata is not None:
            params["userAgentMetadata"] = self.metadata
            params["platform"] = "Linux x86_64"
        if accept_language:
            params["acceptLanguage"] = accept_language
        return params


def inndx_user_agent() -> str:
    return f"Mozilla/5.0 (compatible; inndx-cdp/{__version__})"


def chrome_user_agent(browser_user_agent: str) -> str:
    """The browser's own UA with every trace of headless mode removed."""
    return browser_user_agent.replace("HeadlessChrome/", "Chrome/")


def _chrome_metadata(user_agent: str) -> dict[str, Any]:
    match = re.search(r"Chrome/(\d+)\.([\d.]+)", user_agent)
    major, full = (match.group(1), f"{match.group(1)}.{match.group(2)}") if match else ("0", "0")
    # Real Chrome shuffles a GREASE brand in; this order matches what it sends.
    brands = [
        {"brand": "Not_A Brand", "version": "99"},
        {"brand": "Chromium", "version": major},
        {"brand": "Google Chrome", "version": major},
    ]
    full_versions = [
        {"brand": "Not_A Brand", "version": "99.0.0.0"},
        {"brand": "Chromium", "version": full},
        {"brand": "Google Chrome", "version": full},
    ]
    return {
        "brands": brands,
        "fullVersionList": full_versions,
        "fullVersion": full,
        "platform": "Linux",
        "platformVersion": "",
        "architecture": "x86",
        "model": "",
        "mobile": False,
        "bitness": "64",
        "wow64": False,
    }


def resolve_user_agent(
    value: str, browser_user_agent: str, rng: random.Random | None = None
) -> UserAgent:
    """Turn a goto's ``user_agent`` (keyword or custom string) into an override."""
    if value == "random":
        value = (rng or random).choice(("chrome", "firefox", "safari"))
    if value == "inndx":
        return UserAgent(inndx_user_agent(), None)
    if value == "chrome":
        ua = chrome_user_agent(browser_user_agent)
        return UserAgent(ua, _chrome_metadata(ua))
    if value == "firefox":
        return UserAgent(FIREFOX_UA, None)
    if value == "safari":
        return UserAgent(SAFARI_UA, None)
    if "Chrome/" in value and "Edg/" not in value and "OPR/" not in value:
        return UserAgent(value, _chrome_metadata(value))
    return UserAgent(value, None)
