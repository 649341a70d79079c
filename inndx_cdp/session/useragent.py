"""User-agent keywords and the client hints that must agree with them."""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from typing import Any

from .._version import __version__

__all__ = ["UserAgent", "resolve_user_agent"]

KEYWORDS = ("inndx", "chrome", "firefox", "safari", "random")

# Firefox ships every four weeks, Safari's major version every September (with
# the year's number since 26). The versions are worked out from today's date
# and these anchors, so the strings stay current without a release of ours.
FIREFOX_ANCHOR = (146, dt.date(2025, 12, 9))
SAFARI_ANCHOR = (26, 2025)
# Safari's minor version by month (September brings x.0, December x.2, ...).
SAFARI_MINOR_BY_MONTH = {9: 0, 10: 1, 11: 1, 12: 2, 1: 3, 2: 3, 3: 4, 4: 4, 5: 5, 6: 5, 7: 6, 8: 6}

# navigator.userAgentData exists only in Chromium; with a Firefox or Safari
# string the page must not find one (Chromium would show an empty one).
HIDE_UA_DATA = "delete Navigator.prototype.userAgentData;"

# Chromium's GREASE brand (components/embedder_support/user_agent_utils.cc):
# the characters and versions are picked by the major version, and so is the
# order of the three brands.
_GREASE_CHARS = (" ", "(", ":", "-", ".", "/", ")", ";", "=", "?", "_")
_GREASE_VERSIONS = ("8", "99", "24")
_ORDERS = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


@dataclass(frozen=True, slots=True)
class UserAgent:
    """What ``Network.setUserAgentOverride`` gets for one keyword or custom string."""

    user_agent: str
    # Client hints (Sec-CH-UA*, navigator.userAgentData). Only a Chromium-based
    # UA has them; for any other UA, none are sent, as a real Firefox or Safari
    # sends none.
    metadata: dict[str, Any] | None
    # What navigator.platform says; None keeps the browser's own.
    platform: str | None = None
    # A string that claims another engine: the page must not find Chromium's
    # navigator.userAgentData either. (A script on every new document costs a
    # few ms per navigation, so only strings that claim a browser pay it.)
    hide_ua_data: bool = False

    def override(self, accept_language: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"userAgent": self.user_agent}
        if self.metadata is not None:
            params["userAgentMetadata"] = self.metadata
            params["platform"] = "Linux x86_64"
        elif self.platform is not None:
            params["platform"] = self.platform
        if accept_language:
            params["acceptLanguage"] = accept_language
        return params

    def hint_headers(self) -> list[tuple[str, str]]:
        """The low-entropy client hints a Chromium browser sends with every request."""
        if self.metadata is None:
            return []
        brands = ", ".join(f'"{b["brand"]}";v="{b["version"]}"' for b in self.metadata["brands"])
        return [
            ("Sec-CH-UA", brands),
            ("Sec-CH-UA-Mobile", "?1" if self.metadata["mobile"] else "?0"),
            ("Sec-CH-UA-Platform", f'"{self.metadata["platform"]}"'),
        ]


def inndx_user_agent() -> str:
    return f"Mozilla/5.0 (compatible; inndx-cdp/{__version__})"


def chrome_user_agent(browser_user_agent: str) -> str:
    """The browser's own UA without any trace of headless mode, reduced as Chrome sends it.

    Chrome's UA string carries only the major version (``Chrome/156.0.0.0``);
    the full version is a high-entropy client hint.
    """
    ua = browser_user_agent.replace("HeadlessChrome/", "Chrome/")
    return re.sub(r"Chrome/(\d+)\.[\d.]+", r"Chrome/\1.0.0.0", ua)


def firefox_user_agent(today: dt.date) -> str:
    version, released = FIREFOX_ANCHOR
    version += max(0, (today - released).days // 28)
    return f"Mozilla/5.0 (X11; Linux x86_64; rv:{version}.0) Gecko/20100101 Firefox/{version}.0"


def safari_user_agent(today: dt.date) -> str:
    major, year = SAFARI_ANCHOR
    major += today.year - year - (1 if today.month < 9 else 0)
    minor = SAFARI_MINOR_BY_MONTH[today.month]
    # macOS froze the version in the UA string at 10_15_7.
    return (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        f"(KHTML, like Gecko) Version/{major}.{minor} Safari/605.1.15"
    )


def chrome_brands(major: int, version: str) -> list[dict[str, str]]:
    """The brand list real Chrome of that major version sends (``version`` for its own)."""
    grease_version = _GREASE_VERSIONS[major % len(_GREASE_VERSIONS)]
    if "." in version:
        grease_version += ".0.0.0"
    grease = {
        "brand": "Not"
        + _GREASE_CHARS[major % len(_GREASE_CHARS)]
        + "A"
        + _GREASE_CHARS[(major + 1) % len(_GREASE_CHARS)]
        + "Brand",
        "version": grease_version,
    }
    entries = (
        grease,
        {"brand": "Chromium", "version": version},
        {"brand": "Google Chrome", "version": version},
    )
    order = _ORDERS[major % len(_ORDERS)]
    brands: list[dict[str, str]] = [{}, {}, {}]
    for entry, position in zip(entries, order, strict=True):
        brands[position] = entry
    return brands


def _chrome_metadata(user_agent: str, full_version: str | None = None) -> dict[str, Any]:
    match = re.search(r"Chrome/(\d+)\.([\d.]+)", user_agent)
    major = int(match.group(1)) if match else 0
    full = full_version or (f"{match.group(1)}.{match.group(2)}" if match else "0.0.0.0")
    return {
        "brands": chrome_brands(major, str(major)),
        "fullVersionList": chrome_brands(major, full),
        "fullVersion": full,
        "platform": "Linux",
        "platformVersion": "",
        "architecture": "x86",
        "model": "",
        "mobile": False,
        "bitness": "64",
        "wow64": False,
        "formFactors": ["Desktop"],
    }


def _version_of(product: str) -> str | None:
    """``156.0.8078.114`` from ``HeadlessChrome/156.0.8078.114`` or ``Chrome/...``."""
    match = re.search(r"Chrome/(\d+\.[\d.]+)", product)
    return match.group(1) if match else None


def resolve_user_agent(
    value: str,
    browser_user_agent: str,
    rng: random.Random | None = None,
    *,
    browser_product: str = "",
    today: dt.date | None = None,
) -> UserAgent:
    """Turn a goto's ``user_agent`` (keyword or custom string) into an override."""
    today = today or dt.datetime.now(dt.UTC).date()
    if value == "random":
        value = (rng or random).choice(("chrome", "firefox", "safari"))
    if value == "inndx":
        return UserAgent(inndx_user_agent(), None)
    if value == "chrome":
        ua = chrome_user_agent(browser_user_agent)
        full = _version_of(browser_product) or _version_of(browser_user_agent)
        return UserAgent(ua, _chrome_metadata(ua, full))
    if value == "firefox":
        return UserAgent(firefox_user_agent(today), None, "Linux x86_64", hide_ua_data=True)
    if value == "safari":
        return UserAgent(safari_user_agent(today), None, "MacIntel", hide_ua_data=True)
    if "Chrome/" in value and "Edg/" not in value and "OPR/" not in value:
        return UserAgent(value, _chrome_metadata(value))
    other_browser = "Firefox/" in value or ("Safari/" in value and "Chrom" not in value)
    return UserAgent(value, None, hide_ua_data=other_browser)
