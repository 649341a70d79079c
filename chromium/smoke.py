#!/usr/bin/env python3
"""Start the image built by chromium/rootfs.py and check it from the outside.

    sudo .venv/bin/python chromium/smoke.py /var/tmp/inndx-rootfs [--read-only]

Checks, in order: the server gets ready on 0.0.0.0 and answers on 127.0.0.1;
a session (through inndx_cdp.client) loads a page from a local site, runs
script and takes a screenshot; PID 1 is tini; the server and the browser run
as the image's non-root user without ``--no-sandbox``; every renderer is
sandboxed (seccomp filter on, its own user and PID namespaces, no
capabilities); ``/metrics`` counts the actions; and SIGTERM drains the open
session (fatal 503), stops the browser and ends the process tree with status 0.

Run it with the virtualenv that has inndx-cdp installed (for the client), as
root (rootfs.py run needs it).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp
import psutil
from aiohttp import web

from inndx_cdp.client import connect
from inndx_cdp.errors import BrowserGone

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def check(ok: bool, what: str) -> None:
    print(f"  {'ok ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        raise SystemExit(1)


def status_fields(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def command_line(process: psutil.Process) -> str:
    # Chromium rewrites its process title into one string: compare on the joined line.
    return " ".join(process.cmdline())


def namespace(pid: int, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{kind}")


async def site() -> tuple[web.AppRunner, str]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(
            text="<!DOCTYPE html><title>smoke</title><p id=p>inside the image</p>",
            content_type="text/html",
        )

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


async def smoke(folder: Path, read_only: bool) -> None:
    image = json.loads((folder / "image.json").read_text())
    uid = int(image["user"].split(":")[0])
    port = free_port()
    command = [sys.executable, str(HERE / "rootfs.py"), "run", str(folder), "--port", str(port)]
    if read_only:
        command.append("--read-only")
    print(f"starting: {' '.join(command)}", flush=True)
    started = time.monotonic()
    runner = await asyncio.create_subprocess_exec(*command, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    site_runner, site_url = await site()
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(base + "/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                check(False, "the server got ready within 30 s")
        print(f"ready after {time.monotonic() - started:.1f} s", flush=True)
        listening = [
            c.laddr
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port
        ]
        check(any(addr.ip == "0.0.0.0" for addr in listening), f"listens on 0.0.0.0:{port}")

        tree = psutil.Process(runner.pid).children(recursive=True)
        tini = next(p for p in tree if p.name() == "tini")
        check(status_fields(tini.pid)["NSpid"].split()[-1] == "1", "tini is PID 1")
        server = next(
            p for p in tree if p.cmdline()[1:3] == ["/opt/inndx-cdp/bin/inndx-cdp", "serve"]
        )
        check(server.uids().real == uid, f"the server runs as uid {uid}")

        ws = f"ws://127.0.0.1:{port}/v1/sessions/ws"
        session = await connect(ws, tenant="smoke")
        page = await session.goto(site_url)
        check(page.status_code == 200, "goto a local page: 200")
        text = await session.evaluate("document.querySelector('#p').textContent")
        check(text.result == "inside the image", "evaluate reads the page")
        shot = await session.screenshot()
        png = base64.b64decode(shot.screenshot or "")
        check(png[:8] == b"\x89PNG\r\n\x1a\n", f"screenshot: a {len(png)} byte PNG")

        tree = psutil.Process(runner.pid).children(recursive=True)
        # The browser is the server's child; its helpers are the browser's descendants.
        browsers = [p for p in server.children() if "--remote-debugging-pipe" in command_line(p)]
        check(len(browsers) == 1, "one browser process")
        browser = browsers[0]
        check("--no-sandbox" not in command_line(browser), "the browser has no --no-sandbox")
        check(browser.uids().real == uid, f"the browser runs as uid {uid}")
        helpers = browser.children(recursive=True)
        renderers = [p for p in helpers if "--type=renderer" in command_line(p)]
        check(bool(renderers), f"{len(renderers)} renderer processes")
        for renderer in renderers:
            fields = status_fields(renderer.pid)
            check(fields["Seccomp"] == "2", f"renderer {renderer.pid}: seccomp filter on")
            check(
                namespace(renderer.pid, "user") != namespace(browser.pid, "user"),
                f"renderer {renderer.pid}: its own user namespace",
            )
            check(
                namespace(renderer.pid, "pid") != namespace(browser.pid, "pid"),
                f"renderer {renderer.pid}: its own PID namespace",
            )
            check(int(fields["CapEff"], 16) == 0, f"renderer {renderer.pid}: no capabilities")

        async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as response:
            metrics = await response.text()
        check('inndx_cdp_actions_total{action="goto",outcome="ok"} 1.0' in metrics, "/metrics")
        check(
            'inndx_cdp_sessions_open{kind="standard",tenant="smoke"} 1.0' in metrics,
            "/metrics sees the open session",
        )

        everything = [psutil.Process(runner.pid), *tree]
        os.kill(tini.pid, signal.SIGTERM)
        for _ in range(300):
            if session.closed:
                break
            await asyncio.sleep(0.1)
        try:
            await session.evaluate("1")
            check(False, "SIGTERM ends the open session")
        except BrowserGone as exc:
            check("shutting down" in exc.message, "SIGTERM drains the session: fatal 503")
        await session.aclose()
        code = await asyncio.wait_for(runner.wait(), 30)
        check(code == 0, "the server exited with status 0")
        _, alive = psutil.wait_procs(everything, timeout=5)
        check(not alive, "no process of the image is left")
    finally:
        if runner.returncode is None:
            runner.terminate()  # rootfs.py passes it to the image's PID 1
            try:
                await asyncio.wait_for(runner.wait(), 30)
            except TimeoutError:
                os.killpg(runner.pid, signal.SIGKILL)
                await runner.wait()
        await site_runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", type=Path, help="the folder given to rootfs.py build")
    parser.add_argument("--read-only", action="store_true", help="run with a read-only root")
    args = parser.parse_args()
    asyncio.run(smoke(args.dir.resolve(), args.read_only))
    print("smoke test passed", flush=True)


if __name__ == "__main__":
    main()
