"""Shared fixtures: the local site, one real browser per run, a fresh page per test.

The browser is shared to keep the suite fast; every test gets its own browser
context, disposed afterwards. At the end of the run no Chromium process and no
profile folder may be left behind.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import psutil
import pytest
from aiohttp import web

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.session.setup import prepare_page

from . import site as site_module

# Every browser this run starts keeps its profile under this folder, and every
# Chromium process names its profile on its command line: that is how the leak
# check tells this run's processes from anyone else's.
RUN_TMP = tempfile.mkdtemp(prefix="inndx-cdp-tests-")
tempfile.tempdir = RUN_TMP


def our_chromium_processes() -> list[psutil.Process]:
    """Live (non-zombie) processes started for this run's browsers."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if any(RUN_TMP in arg for arg in proc.info["cmdline"] or ()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def profile_folders() -> list[str]:
    return glob.glob(os.path.join(RUN_TMP, "inndx-cdp-profile-*"))


@pytest.fixture(scope="session", autouse=True)
def no_leaks() -> Iterator[None]:
    """Fail the run if it leaves a Chromium process or a profile folder behind."""
    yield
    _, alive = psutil.wait_procs(our_chromium_processes(), timeout=3)
    leftover_profiles = profile_folders()
    assert not alive, f"Chromium processes outlived the tests: {[p.pid for p in alive]}"
    assert not leftover_profiles, f"profile folders left behind: {leftover_profiles}"
    shutil.rmtree(RUN_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
async def site() -> AsyncIterator[str]:
    """Base URL of the local test site, e.g. ``http://127.0.0.1:40123``."""
    runner = web.AppRunner(site_module.make_app(), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless-shell browser shared by the whole run."""
    shared = await Browser.launch("standard")
    yield shared
    await shared.close()


@asynccontextmanager
async def prepared_page(browser: Browser) -> AsyncIterator[Page]:
    """A prepared page in a fresh context, disposed on the way out."""
    fresh = await browser.new_page()
    try:
        await prepare_page(fresh)
        yield fresh
    finally:
        await fresh.dispose()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A prepared page in a fresh context, disposed after the test."""
    async with prepared_page(browser) as fresh:
        yield fresh
