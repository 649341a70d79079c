"""Windows opened by pages: closed as soon as they appear.

A session drives exactly one page. Anything the page opens on its own
(``window.open``, ``target=_blank`` links and forms) can never be driven by
the client, yet each window costs the browser process memory: a page that
opens them in a loop would take the whole browser, and every other session on
it, down. So every page target that appears in a session's context besides
the session's own page is closed at once. A page that opens them in a burst
(a ``for (;;) window.open()`` loop, which terminating the script does not
reliably stop) ends its session: its context is then disposed, which kills
the renderer running the loop.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..cdp.connection import CdpError, CdpSession
from ..errors import InndxError, PageCrashed

if TYPE_CHECKING:
    from .browser import Page

__all__ = ["BURST", "BURST_SECONDS", "PopupGuard"]

log = logging.getLogger("inndx_cdp.browser")

# More windows than this within BURST_SECONDS end the session: no page opens
# twenty windows in two seconds for a reader's benefit.
BURST = 20
BURST_SECONDS = 2.0


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
        self.closed += 1
        self._spawn(self._root.send("Target.closeTarget", {"targetId": info["targetId"]}))
        now = asyncio.get_running_loop().time()
        recent: collections.deque[float] = page.state.setdefault(
            "popups", collections.deque(maxlen=BURST)
        )
        recent.append(now)
        if len(recent) == BURST and now - recent[0] <= BURST_SECONDS and not page.cdp.closed:
            message = f"the page opened {BURST} windows within {BURST_SECONDS:g}s and was stopped"
            log.info("page %s: %s", page.target_id, message)
            # The session ends with this error; its context is disposed on the way out.
            page.cdp.end(PageCrashed(message))

    def _spawn(self, call: Any) -> None:
        async def run() -> None:
            with contextlib.suppress(CdpError, InndxError):
                await call

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
