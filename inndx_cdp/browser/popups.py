"""Windows opened by pages: closed as soon as they appear.

A session drives exactly one page. Anything the page opens on its own
(``window.open``, ``target=_blank`` links and forms) can never be driven by
the client, yet each window costs the browser process memory: a page that
opens them in a loop would take the whole browser, and every other session on
it, down. So every page target that appears in a session's context besides
the session's own page is closed at once; a page that keeps opening windows
also has its running script terminated each time, which stops a
``for (;;) window.open()`` loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..cdp.connection import CdpError, CdpSession
from ..errors import InndxError

if TYPE_CHECKING:
    from .browser import Page

__all__ = ["STOP_SCRIPTS_AFTER", "PopupGuard"]

log = logging.getLogger("inndx_cdp.browser")

# Windows one page may open before its scripts are stopped on every further one.
STOP_SCRIPTS_AFTER = 20


class PopupGuard:
    """Watches page targets of one browser and closes the ones sessions did not create."""

    def __init__(self, root: CdpSession, owner_of: Callable[[str], Page | None]) -> None:
        self._root = root
        self._owner_of = owner_of
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed = 0

    async def start(self) -> None:
        """Subscribe to page targets being created, in every context."""
        self._root.on("Target.targetCreated", self._on_created)
        await self._root.send(
            "Target.setDiscoverTargets", {"discover": True, "filter": [{"type": "page"}]}
        )

    def _on_created(self, params: dict[str, Any]) -> None:
        info = params.get("targetInfo") or {}
        if info.get("type") != "page":
            return
        # Our own page is created before its context is registered, so the
        # first page of a context never matches.
        page = self._owner_of(info.get("browserContextId", ""))
        if page is None or info.get("targetId") == page.target_id:
            return
        opened = page.state["popups"] = page.state.get("popups", 0) + 1
        self.closed += 1
        self._spawn(self._root.send("Target.closeTarget", {"targetId": info["targetId"]}))
        if opened == STOP_SCRIPTS_AFTER:
            log.info("page %s opened %d windows; stopping its scripts", page.target_id, opened)
        if opened >= STOP_SCRIPTS_AFTER:
            self._spawn(page.cdp.send("Runtime.terminateExecution"))

    def _spawn(self, call: Any) -> None:
        async def run() -> None:
            with contextlib.suppress(CdpError, InndxError):
                await call

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
