"""inndx-cdp: drive real Chromium pages over a WebSocket with the Sessions protocol.

Run it with ``inndx-cdp serve``, or mount it into an aiohttp application::

    from aiohttp import web
    import inndx_cdp

    app = web.Application()
    inndx_cdp.setup(app)          # ws://HOST:PORT/v1/sessions/ws
    web.run_app(app, port=8022)

Frame models for clients live in :mod:`inndx_cdp.protocol`; a Python client
in :mod:`inndx_cdp.client`.
"""

from ._version import __version__
from .errors import (
    ActionTimeout,
    BadFrame,
    BrowserGone,
    Draining,
    FrameTooLarge,
    InndxError,
    InternalError,
    LaunchError,
    NavigationFailed,
    NoMatch,
    NotActionable,
    PageCrashed,
    QueueFull,
    ScriptError,
    SessionExpired,
    TooManyRedirects,
)
from .server import METRICS_KEY, POOL_KEY, STATE_KEY, ServerState, create_app, setup
from .settings import Settings, TenantSettings

__all__ = [
    "METRICS_KEY",
    "POOL_KEY",
    "STATE_KEY",
    "ActionTimeout",
    "BadFrame",
    "BrowserGone",
    "Draining",
    "FrameTooLarge",
    "InndxError",
    "InternalError",
    "LaunchError",
    "NavigationFailed",
    "NoMatch",
    "NotActionable",
    "PageCrashed",
    "QueueFull",
    "ScriptError",
    "ServerState",
    "SessionExpired",
    "Settings",
    "TenantSettings",
    "TooManyRedirects",
    "__version__",
    "create_app",
    "setup",
]
