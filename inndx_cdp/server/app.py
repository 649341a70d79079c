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
from ..browser.proxies import ProxyRegistry
from ..protocol import OpenFrame
from ..session.middleware import configure_interception
from ..session.setup import prepare_page
from ..settings import Settings
from .admission import Admission, Ticket
from .handler import SocketSession
from .metrics import Metrics, metrics_handler

__all__ = ["METRICS_KEY", "POOL_KEY", "STATE_KEY", "ServerState", "create_app", "setup"]

log = logging.getLogger("inndx_cdp.server")


@dataclass
class ServerState:
    """Everything the routes share: settings, pool, admission, live sockets."""

    settings: Settings
    pool: BrowserPool
    admission: Admission
    proxies: ProxyRegistry = field(default_factory=ProxyRegistry)
    sockets: weakref.WeakSet[SocketSession] = field(default_factory=weakref.WeakSet)
    background: set[asyncio.Task[None]] = field(default_factory=set)
    metrics: Metrics = field(default_factory=Metrics)

    async def open_page(self, frame: OpenFrame) -> Page:
        """Lease the page a validated open frame asks for: its kind, proxy and middleware.

        Give it back with :meth:`release_page`.
        """
        proxy = self.proxies.acquire(frame.proxies) if frame.proxies else None
        try:
            page = await self.pool.lease(
                frame.client.kind, proxy_server=proxy.server if proxy else None
            )
        except BaseException:
            if proxy is not None:
                self.proxies.release(proxy.id)
            raise
        page.proxy = proxy
        try:
            await configure_interception(
                page, frame.middleware, proxy_credentials=proxy.credentials if proxy else None
            )
        except BaseException:
            await self.release_page(page)
            raise
        return page

    async def release_page(self, page: Page) -> None:
        """Dispose a page from :meth:`open_page` and stop counting it on its proxy."""
        if page.proxy is not None and not page.disposed:
            self.proxies.release(page.proxy.id)
        await self.pool.release(page)


STATE_KEY = web.AppKey("inndx_cdp_state", ServerState)
POOL_KEY = web.AppKey("inndx_cdp_pool", BrowserPool)
METRICS_KEY = web.AppKey("inndx_cdp_metrics", Metrics)


def _pool_config(settings: Settings) -> PoolConfig:
    return PoolConfig(
        binaries={"standard": settings.standard_binary, "chrome": settings.chrome_binary},
        browsers_per_kind=settings.browsers_per_kind,
        warm_pages=settings.warm_pages,
        max_sessions_per_browser=settings.max_sessions_per_browser,
        max_browser_memory=settings.max_browser_memory_mb * 1024 * 1024,
        memory_check_interval=settings.memory_check_interval,
        eager_kinds=tuple(dict.fromkeys(settings.warm_kinds)),
        egress=settings.egress_policy,
        max_page_memory=settings.max_page_memory_mb * 1024 * 1024,
    )


def setup(
    app: web.Application,
    settings: Settings | None = None,
    *,
    prefix: str | None = None,
    health: bool = True,
    metrics: bool = True,
) -> ServerState:
    """Mount the Sessions endpoint into ``app`` (``{prefix}/sessions/ws``).

    Adds the pool's lifetime to ``app.cleanup_ctx`` and closes open sessions
    gracefully in ``app.on_shutdown``. ``health`` adds ``/healthz`` and
    ``/readyz``, ``metrics`` adds ``/metrics`` (Prometheus), at the root of
    ``app``. Returns the shared state, which is also available as
    ``app[STATE_KEY]``; ``app[POOL_KEY]`` is the browser pool and
    ``app[METRICS_KEY]`` the metrics (with their own registry).
    """
    settings = settings or Settings()
    prefix = (
        settings.prefix if prefix is None else "/" + prefix.strip("/") if prefix.strip("/") else ""
    )
    state = ServerState(
        settings,
        BrowserPool(_pool_config(settings), prepare_page),
        Admission(settings),
        ProxyRegistry.from_urls(
            {proxy_id: url.get_secret_value() for proxy_id, url in settings.proxies.items()}
        ),
    )
    app[STATE_KEY] = state
    app[POOL_KEY] = state.pool
    app[METRICS_KEY] = state.metrics
    state.metrics.bind(state)

    async def sessions_ws(request: web.Request) -> web.StreamResponse:
        admitted = state.admission.admit(request)
        if isinstance(admitted, web.Response):
            state.metrics.refused(admitted.status)
            return admitted
        return await _serve_socket(request, state, admitted)

    app.router.add_get(f"{prefix}/sessions/ws", sessions_ws)
    if health:
        app.router.add_get("/healthz", _healthz)
        app.router.add_get("/readyz", _readyz_for(state))
    if metrics:
        app.router.add_get("/metrics", metrics_handler(state.metrics))

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
