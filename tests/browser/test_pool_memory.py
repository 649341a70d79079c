"""The pool's memory check runs off the event loop, and it still retires a browser."""

from __future__ import annotations

import asyncio
import threading

import pytest

from inndx_cdp.browser.pool import BrowserPool, PoolConfig
from inndx_cdp.browser.process import BrowserProcess
from inndx_cdp.session.setup import prepare_page


async def test_a_browser_over_its_memory_limit_is_retired_off_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    measured_in: list[int] = []
    real_memory = BrowserProcess.memory_bytes
    over: set[int] = set()  # pids that read as over the limit

    def memory_bytes(process: BrowserProcess) -> int:
        measured_in.append(threading.get_ident())
        used = real_memory(process)  # the real read, so its cost is real too
        return 2**40 if process.pid in over else used

    monkeypatch.setattr(BrowserProcess, "memory_bytes", memory_bytes)
    config = PoolConfig(binaries={}, warm_pages=0, memory_check_interval=0.05)
    async with BrowserPool(config, prepare_page) as pool:
        page = await pool.lease("standard")
        first = page.browser
        over.add(first.process.pid)
        for _ in range(400):
            if pool.stats().retired >= 1:
                break
            await asyncio.sleep(0.05)
        assert pool.stats().retired >= 1, "the browser was not retired"
        assert measured_in
        assert all(ident != threading.get_ident() for ident in measured_in)
        # Retired, it keeps the session it has until that session ends.
        assert first.alive
        assert pool.stats().retired == 1  # the replacement stays under the limit
        await pool.release(page)
