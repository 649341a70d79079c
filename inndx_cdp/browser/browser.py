"""A running browser: its process, its CDP connection, its contexts and pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from ..cdp.connection import CdpConnection, CdpError, CdpSession
from ..errors import BrowserGone, InndxError, LaunchError
from .egress import EgressGuard
from .flags import BrowserKind
from .popups import PopupGuard
from .process import BrowserProcess, find_binary
from .proxies import Proxy
from .watchdog import MemoryWatchdog

__all__ = ["Browser", "Page"]

log = logging.getLogger("inndx_cdp.browser")

DISPOSE_TIMEOUT = 5.0


@dataclass(eq=False)
class Page:
    """One page target alone in its own browser context.

    Disposing the context closes the page and drops its cookies, storage,
    cache and processes.
    """

    browser: Browser
    context_id: str
    target_id: str
    cdp: CdpSession
    # The configured proxy the page's context goes through, if any.
    proxy: Proxy | None = None
    # The guard this page's traffic goes through, when an egress policy applies.
    egress: EgressGuard | None = None
    state: dict[str, Any] = field(default_factory=dict)
    disposed: bool = False

    async def dispose(self) -> None:
        """Dispose the context; safe to call more than once and after the browser died."""
        if self.disposed:
            return
        self.disposed = True
        self.browser.pages.discard(self)
        self.browser.contexts.pop(self.context_id, None)
        if self.browser.connection.is_lost:
            return
        with contextlib.suppress(InndxError, CdpError, TimeoutError):
            await asyncio.wait_for(
                self.browser.connection.browser.send(
                    "Target.disposeBrowserContext", {"browserContextId": self.context_id}
                ),
                DISPOSE_TIMEOUT,
            )


class Browser:
    """One Chromium process shared by the pages of many sessions."""

    def __init__(
        self,
        kind: BrowserKind,
        process: BrowserProcess,
        connection: CdpConnection,
        version: dict[str, Any],
    ) -> None:
        self.kind = kind
        self.process = process
        self.connection = connection
        self.product: str = version.get("product", "")
        self.user_agent: str = version.get("userAgent", "")
        self.pages: set[Page] = set()
        # Contexts made on this browser so far (the pool retires it after a number).
        self.pages_opened = 0
        # Each page is alone in its context: context id -> page.
        self.contexts: dict[str, Page] = {}
        self.popups = PopupGuard(connection.browser, self.contexts.get)
        self.memory: MemoryWatchdog | None = None
        self._watch = asyncio.get_running_loop().create_task(self._watch_process())

    @classmethod
    async def launch(
        cls,
        kind: BrowserKind,
        *,
        binary: str | None = None,
        extra_flags: tuple[str, ...] = (),
        timeout: float = 30.0,
        page_memory_limit: int | None = None,
    ) -> Browser:
        """Start a browser and wait until it answers over the pipe.

        ``page_memory_limit`` (bytes) kills any renderer process that grows past it.
        """
        path = find_binary(kind, binary)
        process = await BrowserProcess.start(path, kind, extra_flags=extra_flags)
        connection: CdpConnection | None = None
        try:
            connection = await CdpConnection.over_pipe(process.read_fd, process.write_fd)
            version = await asyncio.wait_for(connection.browser.send("Browser.getVersion"), timeout)
        except BaseException as exc:  # cancelled half-way too: the process must not outlive us
            if connection is not None:
                connection.close()
            await process.stop(grace=0.5)
            if not isinstance(exc, InndxError | CdpError | TimeoutError | OSError):
                raise
            tail = " | ".join(list(process.stderr_tail)[-5:]) or "no output"
            raise LaunchError(f"{path} did not start: {exc} (stderr: {tail})") from exc
        log.info("browser pid=%d ready: %s", process.pid, version.get("product"))
        browser = cls(kind, process, connection, version)
        try:
            await asyncio.wait_for(browser.popups.start(), timeout)
        except (InndxError, CdpError, TimeoutError) as exc:
            await browser.close()
            raise LaunchError(f"{path} did not start: {exc}") from exc
        if page_memory_limit is not None:
            browser.memory = MemoryWatchdog(process, page_memory_limit)
            browser.memory.start()
        return browser

    @property
    def alive(self) -> bool:
        return not self.connection.is_lost and self.process.running

    async def new_page(
        self,
        *,
        proxy_server: str | None = None,
        proxy_bypass_list: str | None = None,
    ) -> Page:
        """A new context holding one ``about:blank`` page, attached in flatten mode."""
        root = self.connection.browser
        params: dict[str, Any] = {"disposeOnDetach": True}
        if proxy_server:
            params["proxyServer"] = proxy_server
            if proxy_bypass_list is not None:
                params["proxyBypassList"] = proxy_bypass_list
        context_id = (await root.send("Target.createBrowserContext", params))["browserContextId"]
        try:
            target, _ = await asyncio.gather(
                root.send(
                    "Target.createTarget", {"url": "about:blank", "browserContextId": context_id}
                ),
                # Files a page downloads would land on the server's disk, shared by everyone.
                root.send(
                    "Browser.setDownloadBehavior",
                    {"behavior": "deny", "browserContextId": context_id},
                ),
            )
            attached = await root.send(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await root.send("Target.disposeBrowserContext", {"browserContextId": context_id})
            raise
        page = Page(
            self, context_id, target["targetId"], self.connection.session(attached["sessionId"])
        )
        self.pages.add(page)
        self.contexts[context_id] = page
        return page

    async def _watch_process(self) -> None:
        # A SIGKILLed browser must fail its sessions' calls at once, not when
        # some pipe finally reports EOF.
        await self.process.process.wait()
        if not self.connection.is_lost:
            log.warning(
                "browser pid=%d exited with %s", self.process.pid, self.process.process.returncode
            )
        self.connection.close()

    async def close(self) -> None:
        """Close the pipe (Chromium exits on its own), then make sure the tree is gone."""
        if self.memory is not None:
            await self.memory.stop()
        self.connection.close()
        await self.process.stop()
        self._watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._watch

    def check_alive(self) -> None:
        if not self.alive:
            raise BrowserGone("the browser process is gone")
