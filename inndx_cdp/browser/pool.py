"""The browser pool: a few browsers per client kind and a warm set of ready pages.

Opening a session takes a page that is already prepared (context, target,
domains enabled), so the open frame is answered without waiting for
Chromium; the warm set is refilled in the background. A page with a proxy is
made on demand, since a context's proxy is fixed when it is created.

A browser is retired once ``max_sessions_per_browser`` pages have been made on
it, or when a background check finds its process tree over
``max_browser_memory``: no new page is made on it, the pages it already has
(leased or warm) keep working, and it stops when the last of them is released.
A replacement is started at once. A browser that dies is noticed when its
process exits: its pages are dropped and a replacement is started with a new
warm set, without waiting for the next session.

With an egress policy, every page not routed through an upstream proxy gets
the pool's :class:`~.egress.EgressGuard` as its context's proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import BrowserGone, InndxError, LaunchError
from .browser import Browser, Page
from .egress import EgressGuard, EgressPolicy
from .flags import BrowserKind

__all__ = ["BrowserPool", "PoolConfig", "PoolStats"]

log = logging.getLogger("inndx_cdp.browser")

PagePreparer = Callable[[Page], Awaitable[None]]

# Seconds between a lease and the start of the refill it calls for.
REFILL_DELAY = 0.01


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """How many browsers and warm pages to keep, and when to recycle a browser."""

    binaries: dict[str, str | None]
    browsers_per_kind: int = 1
    warm_pages: int = 2
    max_sessions_per_browser: int = 500
    max_browser_memory: int = 2 * 1024**3
    # Seconds between two reads of every browser tree's memory (off the lease path).
    memory_check_interval: float = 10.0
    eager_kinds: tuple[BrowserKind, ...] = ("standard",)
    launch_timeout: float = 30.0
    # Networks pages may not reach; ``None`` (or no networks) lets them connect directly.
    egress: EgressPolicy | None = None
    # A renderer process over this many bytes is killed (its page crashes).
    max_page_memory: int | None = None


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot of the pool, cheap enough for a health probe."""

    browsers: int
    warm: int
    pages: int
    restarts: int
    retired: int = 0
    retiring: int = 0


class _KindPool:
    """The browsers and warm pages of one client kind."""

    def __init__(self, kind: BrowserKind) -> None:
        self.kind = kind
        self.browsers: list[Browser] = []  # taking new pages
        self.retiring: set[Browser] = set()  # stop once their last page is released
        self.warm: deque[Page] = deque()  # oldest first, so a retiring browser empties
        self.launching: asyncio.Task[Browser] | None = None
        self.refilling: asyncio.Task[None] | None = None
        self.refill_timer: asyncio.TimerHandle | None = None
        self.next_browser = 0


class BrowserPool:
    """Leases prepared pages to sessions; owns every browser process it starts."""

    def __init__(self, config: PoolConfig, prepare: PagePreparer) -> None:
        self.config = config
        self._prepare = prepare
        self._kinds: dict[BrowserKind, _KindPool] = {}
        self._closing = False
        self.restarts = 0
        self.retired = 0
        self._background: set[asyncio.Task[None]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self.egress: EgressGuard | None = None
        if config.egress is not None and config.egress.denied:
            self.egress = EgressGuard(config.egress)
        self._egress_starting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the egress guard, launch the eager kinds' browsers, fill their warm
        sets and start the memory check.

        If starting fails or is interrupted (a signal during start-up), every
        browser started so far is stopped before the error goes on.
        """
        try:
            await self._start_egress()
            for kind in self.config.eager_kinds:
                pool = self._pool(kind)
                while len(pool.browsers) < self.config.browsers_per_kind:
                    await self._launch_soon(pool)
                await self._refill(pool)
        except BaseException:
            await self.close()
            raise
        self._monitor = asyncio.get_running_loop().create_task(self._watch_memory())

    def _pool(self, kind: BrowserKind) -> _KindPool:
        pool = self._kinds.get(kind)
        if pool is None:
            pool = self._kinds[kind] = _KindPool(kind)
        return pool

    # -- leasing ----------------------------------------------------------------

    async def lease(self, kind: BrowserKind, *, proxy_server: str | None = None) -> Page:
        """A prepared page alone in its context; release it with :meth:`release`.

        Takes a warm page when there is one (no Chromium round trip); a proxied
        page, or one asked for while the warm set is empty, is made on the spot.
        """
        if self._closing:
            raise BrowserGone("the server is shutting down")
        pool = self._pool(kind)
        page: Page | None = None
        if proxy_server is None:
            while pool.warm:
                candidate = pool.warm.popleft()
                if candidate.browser.alive and not candidate.cdp.closed:
                    page = candidate
                    break
                self._spawn(self._drop(candidate))
        if page is None:
            page = await self._new_page(pool, proxy_server=proxy_server)
        self._schedule_refill(pool)
        return page

    async def release(self, page: Page) -> None:
        """Dispose the page's context; stop its browser if it was retired and is now idle."""
        await self._drop(page)

    async def _drop(self, page: Page) -> None:
        await page.dispose()
        await self._stop_if_done(page.browser)

    async def _stop_if_done(self, browser: Browser) -> None:
        pool = self._kinds.get(browser.kind)
        if pool is not None and browser in pool.retiring and not browser.pages:
            pool.retiring.discard(browser)
            await browser.close()

    async def _start_egress(self) -> None:
        if self.egress is None:
            return
        if self._egress_starting is None:
            self._egress_starting = asyncio.get_running_loop().create_task(self.egress.start())
        await asyncio.shield(self._egress_starting)

    async def _new_page(self, pool: _KindPool, *, proxy_server: str | None = None) -> Page:
        browser = await self._browser(pool)
        # Counted before the round trip, so concurrent makers cannot overshoot the limit.
        browser.pages_opened += 1
        if browser.pages_opened >= self.config.max_sessions_per_browser:
            self._retire(pool, browser, f"{browser.pages_opened} sessions")
        guard = self.egress if proxy_server is None else None
        if guard is not None:
            await self._start_egress()
            proxy_server = guard.proxy_server
        # Chromium sends loopback (and link-local) traffic past any proxy unless told not to.
        bypass = "<-loopback>" if proxy_server else None
        try:
            page = await browser.new_page(proxy_server=proxy_server, proxy_bypass_list=bypass)
            page.egress = guard
        except InndxError:
            await self._stop_if_done(browser)
            raise
        except Exception as exc:  # a protocol error while creating: the browser is unwell
            await self._stop_if_done(browser)
            raise BrowserGone(f"could not open a page: {exc}") from exc
        try:
            await self._prepare(page)
        except BaseException as exc:
            await self._drop(page)
            if isinstance(exc, Exception) and not isinstance(exc, InndxError):
                raise BrowserGone(f"could not prepare a page: {exc}") from exc
            raise
        return page

    # -- browsers ---------------------------------------------------------------

    async def _browser(self, pool: _KindPool) -> Browser:
        """A live browser taking new pages, launching one if the kind is short of them."""
        if len(pool.browsers) < self.config.browsers_per_kind:
            launching = self._launch_soon(pool)
            if not pool.browsers:  # nothing to use meanwhile
                await asyncio.shield(launching)
        if not pool.browsers:
            raise LaunchError(f"no {pool.kind} browser could be started")
        # Spread pages over the browsers of a kind, one after the other.
        pool.next_browser = (pool.next_browser + 1) % len(pool.browsers)
        return pool.browsers[pool.next_browser]

    def _launch_soon(self, pool: _KindPool) -> asyncio.Task[Browser]:
        if pool.launching is None:
            task = asyncio.get_running_loop().create_task(self._launch(pool))
            pool.launching = task

            def done(task: asyncio.Task[Browser]) -> None:
                pool.launching = None
                error = None if task.cancelled() else task.exception()
                if error is not None and not self._closing:
                    log.warning("could not start a %s browser: %s", pool.kind, error)

            task.add_done_callback(done)
        return pool.launching

    async def _launch(self, pool: _KindPool) -> Browser:
        # The task, not its waiters, adopts the browser: a waiter that gives up
        # must not leave an unowned Chromium behind.
        config = self.config
        browser = await Browser.launch(
            pool.kind,
            binary=config.binaries.get(pool.kind),
            timeout=config.launch_timeout,
            page_memory_limit=config.max_page_memory,
        )
        if self._closing:
            await browser.close()
            raise BrowserGone("the server is shutting down")
        pool.browsers.append(browser)
        browser.connection.lost.add_done_callback(lambda _: self._on_lost(pool, browser))
        return browser

    def _on_lost(self, pool: _KindPool, browser: Browser) -> None:
        """The browser's connection ended: on purpose, or because the process died."""
        if self._closing or (browser not in pool.browsers and browser not in pool.retiring):
            return  # closed by the pool itself
        log.warning("browser pid=%d is gone; replacing it", browser.process.pid)
        if browser in pool.browsers:
            pool.browsers.remove(browser)
        pool.retiring.discard(browser)
        self.restarts += 1
        dead = [page for page in pool.warm if page.browser is browser]
        pool.warm = deque(page for page in pool.warm if page.browser is not browser)
        for page in dead:
            self._spawn(page.dispose())  # no round trip: the connection is gone
        # Reap the process tree and its profile; its sessions learn of it from
        # their own CDP sessions and release their pages (a no-op now).
        self._spawn(browser.close())
        self._launch_soon(pool)
        self._schedule_refill(pool)

    def _retire(self, pool: _KindPool, browser: Browser, reason: str) -> None:
        if browser not in pool.browsers:
            return
        log.info("retiring browser pid=%d (%s)", browser.process.pid, reason)
        pool.browsers.remove(browser)
        pool.retiring.add(browser)
        self.retired += 1
        if not browser.pages:
            self._spawn(self._stop_if_done(browser))
        # Start the replacement now, while the retiring browser's warm pages
        # still serve the next sessions.
        if not self._closing:
            self._launch_soon(pool)
            self._schedule_refill(pool)

    async def _watch_memory(self) -> None:
        # Reading a process tree's memory costs tens of milliseconds: never on
        # the lease path, and in a thread so the event loop keeps serving.
        while not self._closing:
            await asyncio.sleep(self.config.memory_check_interval)
            for pool in list(self._kinds.values()):
                for browser in list(pool.browsers):
                    try:
                        used = await asyncio.to_thread(browser.process.memory_bytes)
                    except Exception:  # a check that fails must not end the checking
                        log.exception("could not read the memory of pid=%d", browser.process.pid)
                        continue
                    if used > self.config.max_browser_memory and browser.alive:
                        self._retire(pool, browser, f"memory {used // 2**20} MB")

    # -- the warm set -------------------------------------------------------------

    def _schedule_refill(self, pool: _KindPool) -> None:
        if self._closing or pool.refill_timer is not None:
            return
        if pool.refilling is not None and not pool.refilling.done():
            return  # the running refill goes on until the set is full

        def start() -> None:
            pool.refill_timer = None
            if not self._closing and (pool.refilling is None or pool.refilling.done()):
                pool.refilling = asyncio.get_running_loop().create_task(self._refill(pool))

        # A moment's delay lets the open frame's answer reach the client before
        # Chromium starts on the next context, which on a small machine competes
        # with it for CPU (measured: open frame p50 2.6 ms without, 0.5 ms with).
        pool.refill_timer = asyncio.get_running_loop().call_later(REFILL_DELAY, start)

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

    # -- inspection and shutdown ----------------------------------------------------

    def stats(self) -> PoolStats:
        pools = self._kinds.values()
        return PoolStats(
            browsers=sum(len(p.browsers) for p in pools),
            warm=sum(len(p.warm) for p in pools),
            pages=sum(len(b.pages) for p in pools for b in (*p.browsers, *p.retiring)),
            restarts=self.restarts,
            retired=self.retired,
            retiring=sum(len(p.retiring) for p in pools),
        )

    def ready(self) -> bool:
        """True when every eager kind has a live browser."""
        return all(
            any(b.alive for b in self._pool(kind).browsers) for kind in self.config.eager_kinds
        )

    def browsers(self) -> list[Browser]:
        """Every browser the pool runs, retiring ones included."""
        return [b for p in self._kinds.values() for b in (*p.browsers, *p.retiring)]

    async def close(self) -> None:
        """Stop every browser; no Chromium process is left afterwards."""
        self._closing = True
        tasks: list[asyncio.Task[None]] = [t for t in (self._monitor,) if t is not None]
        for pool in self._kinds.values():
            if pool.refill_timer is not None:
                pool.refill_timer.cancel()
                pool.refill_timer = None
            if pool.refilling is not None:
                tasks.append(pool.refilling)
        for task in tasks:
            task.cancel()
        # A launch is not cancelled half-way (it would orphan the process): it
        # finishes, sees the pool closing and stops its own browser.
        launches = [p.launching for p in self._kinds.values() if p.launching is not None]
        await asyncio.gather(*tasks, *launches, *self._background, return_exceptions=True)
        browsers = self.browsers()
        for pool in self._kinds.values():
            pool.browsers.clear()
            pool.retiring.clear()
            pool.warm.clear()
        await asyncio.gather(*(b.close() for b in browsers), return_exceptions=True)
        if self.egress is not None:
            await self.egress.close()

    async def __aenter__(self) -> BrowserPool:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
