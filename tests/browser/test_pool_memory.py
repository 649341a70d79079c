"""The pool's memory check: off the event loop, and it still retires a browser."""

from __future__ import annotations

import asyncio
import threading

import pytest

from inndx_cdp.browser import pool as pool_module
from inndx_cdp.browser.pool import BrowserPool, PoolConfig
from inndx_cdp.browser.process import BrowserProcess
from inndx_cdp.session.setup import prepare_page


async def test_a_browser_over_its_memory_limit_is_retired_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured_in: list[int] = []
    real_memory = BrowserProcess.memory_bytes

    def memory_bytes(process: BrowserProcess) -> int:
        measured_in.append(threading.get_ident())
        return real_memory(process)

    monkeypatch.setattr(BrowserProcess, "memory_bytes", memory_bytes)
    monkeypatch.setattr(pool_module, "MEMORY_CHECK_EVERY", 3)
    config = PoolConfig(binaries={}, warm_pages=0, max_browser_memory=1)
    async with BrowserPool(config, prepare_page) as pool:
        pages = [await pool.lease("standard") for _ in range(3)]
        first = pages[0].browser
        # The third lease started the check in a worker thread.
        for _ in range(200):
            if pool.stats().browsers == 0:
                break
            await asyncio.sleep(0.05)
        assert pool.stats().browsers == 0, "the browser was not retired"
        assert measured_in
        assert all(ident != threading.get_ident() for ident in measured_in)
        # Retired: the next session goes to a new browser; the old one keeps its sessions.
        fresh = await pool.lease("standard")
        assert fresh.browser is not first
        assert first.alive
        for page in [*pages, fresh]:
            await pool.release(page)
        # Its last session gone, the retired browser stops.
        assert not first.alive
