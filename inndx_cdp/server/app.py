"""The aiohttp application: routes, the pool's lifetime, graceful shutdown.

``setup(app)`` mounts everything into a host application; ``create_app()``
builds a standalone one. This is the only layer that reads :class:`Settings`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from ..browser.browser import Page
from ..browser.pool import BrowserPool, PoolConfig
from ..errors import BadFrame
from ..protocol import OpenFrame
from ..session.setup import prepare_page
from ..settings import Settings
from .admission import Admission, Ticket
from .handler import SocketSession

__all__ = ["POOL_KEY", "STATE_KEY", "ServerState", "create_app", "setup"]

log = logging.getLogger("inndx_cdp.server")


@dataclass
class ServerState:
    """Everything the routes share: settings, pool, admission, live sockets."""

    settings: Settings
    pool: BrowserPool
    admission: Admission
    sockets: weakref.WeakSet[SocketSession] = field(default_factory=weakref.WeakSet)
    background: set[asyncio.Task[None]] = field(default_factory=set)

    async def open_page(self, frame: OpenFrame) -> Page:
        """Lease the page a validated open frame asks for."""
        if frame.middleware:
            raise BadFrame("field 'middleware': middleware is not supported by this server yet")
        proxy_server = None
        if frame.proxies:
            unknown = [p for p in frame.proxies if p not in self.settings.proxies]
            if unknown:
                known = ", ".join(sorted(self.settings.proxies)) or "none configured"
                raise BadFrame(f"field 'proxies': unknown proxy id {unknown[0]!r} (known: {known})")
            raise BadFrame("field 'proxies': proxies are not supported by this server yet")
        return await self.pool.lease(frame.client.kind, proxy_server=proxy_server)


STATE_KEY = web.AppKey("inndx_cdp_state", ServerState)
POOL_KEY = web.AppKey("inndx_cdp_pool", BrowserPool)


def _pool_config(settings: Settings) -> PoolConfig:
    return PoolConfig(
        binaries={"standard": settings.standard_binary, "chrome": settings.chrome_binary},
        browsers_per_kind=settings.browsers_per_kind,
        warm_pages=settings.warm_pages,
        max_sessions_per_browser=settings.max_sessions_per_browser,
        max_browser_memory=settings.max_browser_memory_mb * 1024 * 1024,
        egress=settings.egress_policy,
        max_page_memory=settings.max_page_memory_mb * 1024 * 1024,
    )


def setup(
    app: web.Application,
    settings: Settings | None = None,
    *,
    prefix: str | None = None,
    health: bool = True,
) -> ServerState:
    """Mount the Sessions endpoint into ``app`` (``{prefix}/sessions/ws``).

    Adds the pool's lifetime to ``app.cleanup_ctx`` and closes open sessions
    gracefully in ``app.on_shutdown``. Returns the shared state, which is also
    available as ``app[STATE_KEY]``.
    """
    settings = settings or Settings()
    prefix = (
        settings.prefix if prefix is None else "/" + prefix.strip("/") if prefix.strip("/") else ""
    )
    state = ServerState(
        settings, BrowserPool(_pool_config(settings), prepare_page), Admission(settings)
    )
    app[STATE_KEY] = state
    app[POOL_KEY] = state.pool

    async def sessions_ws(request: web.Request) -> web.StreamResponse:
        admitted = state.admission.admit(request)
        if isinstance(admitted, web.Response):
            return admitted
        return await _serve_socket(request, state, admitted)

    app.router.add_get(f"{prefix}/sessions/ws", sessions_ws)
    if health:
        app.router.add_get("/healthz", _healthz)
        app.router.add_get("/readyz", _readyz_for(state))

    async def pool_lifetime(app: web.Application) -> AsyncIterator[None]:
        await state.pool.start()
        yield
        await state.pool.close()

    async def drain(app: web.Application) -> None:
        state.admission.draining = True
        grace = settings.drain_grace
        await asyncio.gather(*(socket.drain(grace) for socket in list(state.sockets)))

    app.cleanup_ctx.append(pool_lifetime)
    app.on_shutdown.append(drain)
    return state


async def _serve_socket(
    request: web.Request, state: ServerState, ticket: Ticket
) -> web.StreamResponse:
    settings = state.settings
    # Frames between the configured limit and this hard cap get a 413 and the
    # session goes on; beyond it the transport closes the socket (1009).
    ws = web.WebSocketResponse(
        max_msg_size=max(4 * settings.max_frame_bytes, 64 * 1024 * 1024), compress=False
    )
    try:
        await ws.prepare(request)
        socket = SocketSession(ws, state, ticket.tenant)
        state.sockets.add(socket)
        await socket.run()
    finally:
        state.admission.leave(ticket)
    return ws


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def _readyz_for(state: ServerState) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def readyz(request: web.Request) -> web.Response:
        if state.admission.draining:
            return web.json_response({"status": "draining"}, status=503)
        if not state.pool.ready():
            return web.json_response({"status": "starting"}, status=503)
        stats = state.pool.stats()
        return web.json_response(
            {"status": "ready", "browsers": stats.browsers, "warm": stats.warm}
        )

    return readyz


def create_app(settings: Settings | None = None) -> web.Application:
    """A standalone application serving the Sessions endpoint and health probes."""
    app = web.Application()
    setup(app, settings)
    return app
