"""A memory limit per page: renderer processes past it are killed.

Chromium puts no ceiling on what one page may allocate (typed arrays live
outside the JavaScript heap limit), so a hostile page could take all the
machine's memory and every session with it. Each session has its own browser
context, and renderer processes are never shared between contexts, so
killing a renderer only crashes the page (or frame) of the session that
overran: that session ends with the renderer-crashed error, the browser and
the other sessions go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psutil

from .process import BrowserProcess

__all__ = ["MemoryWatchdog"]

log = logging.getLogger("inndx_cdp.browser")

CHECK_EVERY = 1.0


class MemoryWatchdog:
    """Checks the browser's renderer processes every second; kills those over ``limit`` bytes."""

    def __init__(self, process: BrowserProcess, limit: int, *, every: float = CHECK_EVERY) -> None:
        self.process = process
        self.limit = limit
        self.every = every
        self.killed = 0
        self._renderer: dict[int, bool] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while self.process.running:
            await asyncio.sleep(self.every)
            # Walking /proc costs milliseconds with many processes: not on the loop.
            await asyncio.to_thread(self.check)

    def check(self) -> list[int]:
        """Kill the renderers over the limit now; returns their pids."""
        killed = []
        alive = set()
        for proc in self.process.tree()[1:]:
            alive.add(proc.pid)
            try:
                if not self._is_renderer(proc):
                    continue
                used = proc.memory_info().rss
                if used <= self.limit:
                    continue
                proc.kill()
            except psutil.Error:
                continue
            killed.append(proc.pid)
            self.killed += 1
            log.warning(
                "killed renderer pid=%d of browser pid=%d: %d MB is over the page limit of %d MB",
                proc.pid,
                self.process.pid,
                used // 2**20,
                self.limit // 2**20,
            )
        for pid in set(self._renderer) - alive:
            del self._renderer[pid]
        return killed

    def _is_renderer(self, proc: psutil.Process) -> bool:
        known = self._renderer.get(proc.pid)
        if known is None:
            known = self._renderer[proc.pid] = "--type=renderer" in proc.cmdline()
        return known
