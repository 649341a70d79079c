"""Command-line flags for each Chromium build, kept in one place with their reasons."""

from __future__ import annotations

import os
from typing import Literal

__all__ = ["COMMON_FLAGS", "BrowserKind", "browser_environment", "browser_flags"]

BrowserKind = Literal["standard", "chrome"]

COMMON_FLAGS: tuple[str, ...] = (
    # Pages are created by us through Target.createTarget; no startup tab.
    "--no-startup-window",
    "--no-first-run",
    "--no-default-browser-check",
    # Without these Chromium keeps calling home (updates, sync, metrics, field
    # trials); on a closed network that is a stream of refused connections and
    # wasted CPU, and on an open one traffic nobody asked for.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-field-trial-config",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--metrics-recording-only",
    "--password-store=basic",
    "--use-mock-keychain",
    # QUIC would bypass proxies configured per context and the loopback test site.
    "--disable-quic",
    # WebRTC sends UDP straight from the browser, past the context's proxy (the
    # egress guard or an upstream proxy): no UDP unless a proxy carries it.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-gpu",
    "--enable-unsafe-swiftshader",
    # Sessions are never in the foreground: timers and renderers must not be
    # throttled, or background pages run slowly and time out.
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-ipc-flooding-protection",
    "--disable-hang-monitor",
    "--disable-popup-blocking",
    "--disable-prompt-on-repost",
    "--disable-back-forward-cache",
    # /dev/shm is 64 MB in most containers; Chromium crashes pages when it fills.
    "--disable-dev-shm-usage",
    "--force-color-profile=srgb",
    "--hide-scrollbars",
    "--mute-audio",
    # Translate pops up, HttpsUpgrades rewrites http:// gotos, PaintHolding
    # delays the first paint we screenshot, and Chromium 149+ refuses to
    # re-apply an Origin header on an intercepted redirect.
    "--disable-features=Translate,HttpsUpgrades,PaintHolding,MediaRouter,OptimizationHints,"
    "BlockOriginHeaderModificationOnRedirect,AcceptCHFrame",
    "--remote-debugging-pipe",
)


def browser_environment(user_data_dir: str) -> dict[str, str]:
    """The browser's environment: files it writes outside the profile land inside it."""
    return {
        **os.environ,
        "XDG_CONFIG_HOME": os.path.join(user_data_dir, "config"),
        "XDG_CACHE_HOME": os.path.join(user_data_dir, "cache"),
    }


def browser_flags(
    kind: BrowserKind, user_data_dir: str, *, extra: tuple[str, ...] = ()
) -> list[str]:
    """The full argument list (without the executable) for one browser process."""
    flags = [*COMMON_FLAGS, "--headless", f"--user-data-dir={user_data_dir}"]
    if kind == "standard":
        # Crashpad double-forks out of our process group; the headless shell
        # runs fine without it.
        flags.append("--disable-crashpad-for-testing")
    # Full Chromium cancels every navigation without crashpad (seen on 156),
    # so it keeps it; it exits with the browser, and its database goes to the
    # profile folder (see browser_environment).
    # The sandbox needs user namespaces that root inside a container rarely has;
    # as a normal user it stays on.
    if os.geteuid() == 0:
        flags.append("--no-sandbox")
    flags.extend(extra)
    return flags
