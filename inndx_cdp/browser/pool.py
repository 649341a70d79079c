"""The browser pool: a few browsers per client kind and a warm set of ready pages.

Opening a session takes a page that is already prepared (context, target,
domains enabled), so the open frame is answered without waiting for
Chromium; the warm set is refilled in the background. A page with a proxy is
made on demand, since a context's proxy is fixed when it is created.

Browsers are retired after serving ``max_sessions_per_browser`` sessions or
when their process tree passes ``max_browser_memory``: they take no new
sessions and stop once their last session has ended. A browser that dies is
replaced on the next lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import BrowserGone, InndxError, LaunchError
from .browser import Browser, Page
from .flags import BrowserKind

__all__ = ["BrowserPool", "PoolConfig", "PoolStats"]

log = logging.getLogger("inndx_cdp.browser")

MEMORY_CHECK_EVERY = 20

PagePreparer = Callable[[Page], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """How many browsers and warm pages to keep, and when to recycle a browser."""

    binaries: dict[str, str | None]
    browsers_per_kind: int = 1
    warm_pages: int = 2
    max_sessions_per_browser: int = 500
    max_browser_memory: int = 2 * 1024**3
    eager_kinds: tuple[BrowserKind, ...] = ("standard",)
    launch_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class PoolStats:
    browsers: int
    warm: int
    pages: int
    restarts: int


class _KindPool:
    def __init__(self, kind: BrowserKind) -> None:
        self.kind = kind
        self.browsers: list[Browser] = []
        self.retiring: set[Browser] = set()
        self.warm: list[Page] = []
        self.launching: asyncio.Task[Browser] | None = None
        self.refilling: asyncio.Task[None] | None = None
        self.next_browser = 0


class BrowserPool:
    """Leases prepared pages to sessions; owns every browser process it starts."""

    def __init__(self, config: PoolConfig, prepare: PagePreparer) -> None:
        self.config = config
        self._prepare = prepare
        self._kinds: dict[BrowserKind, _KindPool] = {}
        self._closing = False
        self.restarts = 0
        self._background: set[asyncio.Task[None]] = set()
        self._measuring: set[Browser] = set()

    async def start(self) -> None:
        """Launch the eager kinds' browsers and fill their warm sets."""
        for kind in self.config.eager_kinds:
            await self._browser(kind)
            await self._refill(self._pool(kind))

    def _pool(self, kind: BrowserKind) -> _KindPool:
        pool = self._kinds.get(kind)
        if pool is None:
            pool = self._kinds[kind] = _KindPool(kind)
        return pool

    async def lease(self, kind: BrowserKind, *, proxy_server: str | None = None) -> Page:
        """A prepared page alone in its context; release it with :meth:`release`."""
        if self._closing:
            raise BrowserGone("the server is shutting down")
        pool = self._pool(kind)
        page: Page | None = None
        if proxy_server is None:
            while pool.warm:
                candidate = pool.warm.pop()
                if candidate.browser.alive and not candidate.cdp.closed:
                    page = candidate
                    break
                await candidate.dispose()
        if page is None:
            page = await self._new_page(pool, proxy_server=proxy_server)
        page.browser.sessions_served += 1
        self._maybe_retire(pool, page.browser)
        self._schedule_refill(pool)
        return page

    async def release(self, page: Page) -> None:
        """Dispose the page's context; stop its browser if it was retired and is now idle."""
        await page.dispose()
        browser = page.browser
        pool = self._kinds.get(browser.kind)
        if pool is not None and browser in pool.retiring and not browser.pages:
            pool.retiring.discard(browser)
            await browser.close()

    async def _new_page(self, pool: _KindPool, *, proxy_server: str | None = None) -> Page:
        browser = await self._browser(pool.kind)
        bypass = "<-loopback>" if proxy_server else None
        try:
            page = await browser.new_page(proxy_server=proxy_server, proxy_bypass_list=bypass)
            await self._prepare(page)
        except InndxError:
            raise
        except Exception as exc:  # a protocol error while creating: the browser is unwell
            raise BrowserGone(f"could not open a page: {exc}") from exc
        return page

    async def _browser(self, kind: BrowserKind) -> Browser:
        pool = self._pool(kind)
        dead = [b for b in pool.browsers if not b.alive]
        for browser in dead:
            pool.browsers.remove(browser)
            self.restarts += 1
            await self._discard(pool, browser)
        if len(pool.browsers) < self.config.browsers_per_kind:
            if pool.launching is None:
                pool.launching = asyncio.get_running_loop().create_task(self._launch(kind))
            launching = pool.launching
            try:
                browser = await asyncio.shield(launching)
            finally:
                if pool.launching is launching and launching.done():
                    pool.launching = None
            if browser not in pool.browsers:
                pool.browsers.append(browser)
        if not pool.browsers:
            raise LaunchError(f"no {kind} browser could be started")
        # Spread sessions over the browsers of a kind, one after the other.
        pool.next_browser = (pool.next_browser + 1) % len(pool.browsers)
        return pool.browsers[pool.next_browser]

    async def _launch(self, kind: BrowserKind) -> Browser:
        return await Browser.launch(
            kind, binary=self.config.binaries.get(kind), timeout=self.config.launch_timeout
        )

    async def _discard(self, pool: _KindPool, browser: Browser) -> None:
        pool.warm = [page for page in pool.warm if page.browser is not browser]
        await browser.close()

    def _maybe_retire(self, pool: _KindPool, browser: Browser) -> None:
        if browser not in pool.browsers:
            return
        if browser.sessions_served >= self.config.max_sessions_per_browser:
            self._retire(pool, browser, "sessions served")
        elif browser.sessions_served % MEMORY_CHECK_EVERY == 0 and browser not in self._measuring:
            # Reading a process tree's memory costs milliseconds per process:
            # not on every lease, and never on the event loop.
            self._measuring.add(browser)
            self._spawn(self._check_memory(pool, browser))

    async def _check_memory(self, pool: _KindPool, browser: Browser) -> None:
        try:
            used = await asyncio.to_thread(browser.process.memory_bytes)
        finally:
            self._measuring.discard(browser)
        if used > self.config.max_browser_memory and browser in pool.browsers:
            self._retire(pool, browser, "memory")

    def _retire(self, pool: _KindPool, browser: Browser, reason: str) -> None:
        """Take no new sessions on ``browser``; close it once its last session ends."""
        log.info("retiring browser pid=%d (%s)", browser.process.pid, reason)
        pool.browsers.remove(browser)
        pool.retiring.add(browser)
        warm = [page for page in pool.warm if page.browser is browser]
        pool.warm = [page for page in pool.warm if page.browser is not browser]
        for page in warm:
            self._spawn(page.dispose())
        if not browser.pages - set(warm):
            pool.retiring.discard(browser)
            self._spawn(browser.close())

    def _schedule_refill(self, pool: _KindPool) -> None:
        if self._closing or (pool.refilling is not None and not pool.refilling.done()):
            return
        pool.refilling = asyncio.get_running_loop().create_task(self._refill(pool))

    async def _refill(self, pool: _KindPool) -> None:
        while not self._closing and len(pool.warm) < self.config.warm_pages:
            try:
                page = await self._new_page(pool)
            except InndxError as exc:
                log.warning("could not refill the warm %s pool: %s", pool.kind, exc)
                return
            if self._closing:
                await page.dispose()
                return
            pool.warm.append(page)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            with contextlib.suppress(InndxError):
                await work

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def stats(self) -> PoolStats:
        pools = self._kinds.values()
        return PoolStats(
            browsers=sum(len(p.browsers) for p in pools),
            warm=sum(len(p.warm) for p in pools),
            pages=sum(len(b.pages) for p in pools for b in (*p.browsers, *p.retiring)),
            restarts=self.restarts,
        )

    def ready(self) -> bool:
        """True when every eager kind has a live browser."""
        return all(
            any(b.alive for b in self._pool(kind).browsers) for kind in self.config.eager_kinds
        )

    def browsers(self) -> list[Browser]:
        return [b for p in self._kinds.values() for b in (*p.browsers, *p.retiring)]

    async def close(self) -> None:
        """Stop every browser; no Chromium process is left afterwards."""
        self._closing = True
        for pool in self._kinds.values():
            for task in (pool.refilling, pool.launching):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(BaseException):
                        await task
        for task in list(self._background):
            with contextlib.suppress(BaseException):
                await task
        browsers = self.browsers()
        for pool in self._kinds.values():
            pool.browsers.clear()
            pool.retiring.clear()
            pool.warm.clear()
        await asyncio.gather(*(b.close() for b in browsers), return_exceptions=True)

    async def __aenter__(self) -> BrowserPool:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
