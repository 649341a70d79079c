"""Nothing crosses sessions or tenants, and the browser has no door but the pipe.

Each test first shows that the state really exists in the session that made
it (so a shared browser context would leak it), then that another session,
of another tenant, does not see it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import tempfile
from pathlib import Path

import aiohttp
import psutil

from inndx_cdp.browser.browser import Browser

from ..server.conftest import Client, connect
from .conftest import Guarded, Hostile
from .helpers import OPEN, key
from .hostile import AUTH_PASSWORD, AUTH_USER


async def goto(client: Client, url: str) -> dict[str, object]:
    reply = await client.call({"action": "goto", "url": url})
    assert "status_code" in reply, reply
    return reply


async def text(client: Client, selector: str) -> str:
    script = f"document.querySelector({selector!r})?.textContent ?? ''"
    result = (await client.call({"action": "evaluate", "script": script}))["result"]
    return str(result)


async def test_cookies_do_not_cross_sessions(guarded: Guarded, hostile: Hostile) -> None:
    value = key()
    async with (
        connect(guarded.url, OPEN, tenant="tenant-a") as a,
        connect(guarded.url, OPEN, tenant="tenant-b") as b,
        connect(guarded.url, OPEN, tenant="tenant-a") as a2,
    ):
        await goto(a, f"{hostile.allowed}/set-cookie?name=secret&value={value}")
        await goto(a, f"{hostile.allowed}/cookies")
        assert value in await text(a, "#cookies")  # the jar holds it
        for other in (b, a2):  # another tenant, and another session of the same tenant
            await goto(other, f"{hostile.allowed}/cookies")
            assert value not in await text(other, "#cookies")
            cookie = await other.call({"action": "evaluate", "script": "document.cookie"})
            assert value not in str(cookie["result"])


STORE = """async (value) => {
    localStorage.setItem('secret', value);
    sessionStorage.setItem('secret', value);
    await new Promise((resolve, reject) => {
        const open = indexedDB.open('secrets', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('s');
        open.onsuccess = () => {
            const tx = open.result.transaction('s', 'readwrite');
            tx.objectStore('s').put(value, 'secret');
            tx.oncomplete = () => { open.result.close(); resolve(); };
            tx.onerror = reject;
        };
        open.onerror = reject;
    });
    const cache = await caches.open('secrets');
    await cache.put('/secret', new Response(value));
    return 'stored';
}"""

READ = """async () => {
    const found = [localStorage.getItem('secret'), sessionStorage.getItem('secret')];
    found.push(await new Promise(resolve => {
        const open = indexedDB.open('secrets', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('s');
        open.onsuccess = () => {
            const get = open.result.transaction('s').objectStore('s').get('secret');
            get.onsuccess = () => { open.result.close(); resolve(get.result ?? null); };
            get.onerror = () => resolve(null);
        };
        open.onerror = () => resolve(null);
    }));
    const cached = await (await caches.open('secrets')).match('/secret');
    found.push(cached ? await cached.text() : null);
    return found;
}"""


async def test_storage_does_not_cross_sessions(guarded: Guarded, hostile: Hostile) -> None:
    """localStorage, sessionStorage, IndexedDB and the Cache API."""
    value = key()
    async with (
        connect(guarded.url, OPEN, tenant="tenant-a") as a,
        connect(guarded.url, OPEN, tenant="tenant-b") as b,
    ):
        await goto(a, f"{hostile.allowed}/")
        stored = await a.call({"action": "evaluate", "script": f"({STORE})({value!r})"})
        assert stored["result"] == "stored", stored
        await goto(a, f"{hostile.allowed}/?again")
        assert (await a.call({"action": "evaluate", "script": READ}))["result"] == [value] * 4
        await goto(b, f"{hostile.allowed}/")
        assert (await b.call({"action": "evaluate", "script": READ}))["result"] == [None] * 4


async def test_http_cache_does_not_cross_sessions(guarded: Guarded, hostile: Hostile) -> None:
    k = key()
    page = f"{hostile.allowed}/uses-cache/{k}"
    loaded = "document.querySelector('#img').complete"
    async with (
        connect(guarded.url, OPEN, tenant="tenant-a") as a,
        connect(guarded.url, OPEN, tenant="tenant-b") as b,
    ):
        for _ in range(2):
            await goto(a, page)
            assert (await a.call({"action": "evaluate", "script": loaded}))["result"] is True
        assert hostile.record.cache_loads[k] == 1  # the second visit came from A's cache
        await goto(b, page)
        assert (await b.call({"action": "evaluate", "script": loaded}))["result"] is True
        assert hostile.record.cache_loads[k] == 2  # B had to ask the site


async def test_http_authentication_does_not_cross_sessions(
    guarded: Guarded, hostile: Hostile
) -> None:
    host = hostile.allowed.removeprefix("http://")
    async with (
        connect(guarded.url, OPEN, tenant="tenant-a") as a,
        connect(guarded.url, OPEN, tenant="tenant-b") as b,
    ):
        reply = await goto(a, f"http://{AUTH_USER}:{AUTH_PASSWORD}@{host}/auth")
        assert reply["status_code"] == 200
        # A's browser remembers the credentials for the realm ...
        assert (await goto(a, f"{hostile.allowed}/auth"))["status_code"] == 200
        assert await text(a, "#who") == AUTH_USER
        # ... B's does not.
        assert (await goto(b, f"{hostile.allowed}/auth"))["status_code"] == 401
        assert await text(b, "#who") == "nobody"


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

WHAT_A_PAGE_SEES = """JSON.stringify({
    url: location.href, name: window.name, cookie: document.cookie,
    referrer: document.referrer, agent: navigator.userAgent,
    storage: Object.entries(localStorage), title: document.title,
    html: document.documentElement.outerHTML,
})"""


async def test_a_tenant_cannot_learn_another_tenants_session_ids(
    guarded: Guarded, hostile: Hostile
) -> None:
    seen_before = len(hostile.record.seen_headers)
    async with (
        connect(guarded.url, OPEN, tenant="tenant-a") as a1,
        connect(guarded.url, OPEN, tenant="tenant-a") as a2,
    ):
        ids = {a1.session_id, a2.session_id}
        assert all(UUID.fullmatch(str(i)) for i in ids)  # random (version 4), not guessable
        for client in (a1, a2):
            await goto(client, f"{hostile.allowed}/subresources?base={hostile.allowed}&key=ids")
        seen: list[str] = []
        async with connect(guarded.url, {"timeout": "1s"}, tenant="tenant-b") as b:
            seen.append(str(b.session_id))
            await goto(b, f"{hostile.allowed}/")
            seen.append(str(await b.call({"action": "evaluate", "script": WHAT_A_PAGE_SEES})))
            seen.append(str(await b.call({"action": "goto", "url": "file:///etc/passwd"})))
            seen.append(str(await b.call({"action": "click", "selector": "#nothing"})))
        http_base = guarded.url.split("/v1/")[0].replace("ws://", "http://")
        async with aiohttp.ClientSession() as http:
            for path in (
                "/healthz",
                "/readyz",
                "/metrics",
                "/v1/sessions",
                f"/v1/sessions/{a1.session_id}",
            ):
                async with http.get(http_base + path, headers={"X-Tenant-Id": "tenant-b"}) as r:
                    seen.append(f"{r.status} {await r.text()}")
    # Nor do the sites the sessions visit: no id in any request they received.
    await asyncio.sleep(0.2)
    seen.extend(str(headers) for headers in hostile.record.seen_headers[seen_before:])
    everything = "\n".join(seen)
    for session_id in ids:
        assert str(session_id) not in everything


def assert_only_the_pipe(browser: Browser) -> None:
    tree = browser.process.tree()
    assert len(tree) > 1  # the browser and its helpers
    command = tree[0].cmdline()
    assert "--remote-debugging-pipe" in command
    assert not [arg for arg in command if arg.startswith("--remote-debugging-port")]
    for proc in tree:
        try:
            sockets = proc.net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        # A listening TCP socket, or a bound UDP one, is a door into the browser.
        doors = [s for s in sockets if s.status == psutil.CONN_LISTEN or not s.raddr]
        assert not doors, (proc.pid, proc.cmdline()[:2], doors)


async def test_the_server_browsers_listen_on_no_port(guarded: Guarded, hostile: Hostile) -> None:
    """Only the pipe reaches the browser: no debugging port, nothing listening at all."""
    async with connect(guarded.url, OPEN) as client:
        await goto(client, f"{hostile.allowed}/subresources?base={hostile.allowed}&key=ports")
        browsers = guarded.served.pool.browsers()
        assert browsers
        for browser in browsers:
            assert_only_the_pipe(browser)


async def test_the_full_build_listens_on_no_port() -> None:
    browser = await Browser.launch("chrome")
    try:
        page = await browser.new_page()
        assert_only_the_pipe(browser)
        await page.dispose()
    finally:
        await browser.close()


def _files_holding(folders: list[Path], marker: bytes, *, deep: bool = True) -> list[Path]:
    found = []
    for folder in folders:
        walk = os.walk(folder) if deep else [(str(folder), [], os.listdir(folder))]
        for root, _dirs, files in walk:
            for name in files:
                path = Path(root, name)
                if name.startswith("inndx-") and name.endswith((".bin", ".crdownload")):
                    found.append(path)
                    continue
                try:
                    small = path.is_file() and path.stat().st_size < 4_000_000
                    if small and marker in path.read_bytes():
                        found.append(path)
                except OSError:
                    continue
    return found


async def test_downloads_are_refused(guarded: Guarded, hostile: Hostile) -> None:
    """An attachment, a data: download and a blob: download: no file reaches any disk."""
    mark = f"inndx-download-{key()}"
    # Every profile of the run lives under the run's temporary folder.
    deep = [Path(tempfile.gettempdir()), Path.home() / "Downloads"]
    deep = [f for f in deep if f.exists()]
    async with connect(guarded.url, OPEN) as client:
        reply = await client.call(
            {"action": "goto", "url": f"{hostile.allowed}/download?mark={mark}"}
        )
        assert "status_code" in reply or reply.get("code") == 502, reply
        await goto(client, f"{hostile.allowed}/download-links?mark={mark}")
        for link in ("#file", "#data", "#blob"):
            assert (await client.call({"action": "click", "selector": link}))["action"] == "clicked"
        await asyncio.sleep(1.5)  # a download would have been written by now
        assert (await client.call({"action": "evaluate", "script": "1 + 1"}))["result"] == 2
    for marker in (mark.encode(), base64.b64encode(mark.encode())):
        assert not _files_holding(deep, marker)
        assert not _files_holding([Path.cwd()], marker, deep=False)
