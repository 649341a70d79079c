"""A web site for the security tests, served on two loopback addresses.

The same application listens on 127.0.0.1 (allowed) and 127.0.0.2 (the
address the tests deny), on one port. Every request to ``/hit/...`` is
recorded with the address it arrived on, so a test can prove that nothing
reached a denied address, and that the allowed control requests did arrive.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

routes = web.RouteTableDef()


@dataclass(frozen=True, slots=True)
class Hit:
    key: str
    address: str  # the local address the request arrived on
    headers: tuple[tuple[str, str], ...]
    url: str


@dataclass
class Record:
    """What the site has seen."""

    hits: list[Hit] = field(default_factory=list)
    cache_loads: dict[str, int] = field(default_factory=dict)
    seen_headers: list[tuple[tuple[str, str], ...]] = field(default_factory=list)

    def seen(self, address: str | None = None) -> list[str]:
        """The keys of the hits, those that arrived on ``address`` if given."""
        return [h.key for h in self.hits if address is None or h.address == address]


RECORD = web.AppKey("record", Record)


@web.middleware
async def remember_headers(request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
    request.app[RECORD].seen_headers.append(tuple(request.headers.items()))
    return await handler(request)


def html(body: str, *, head: str = "", status: int = 200) -> web.Response:
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    )
    return web.Response(text=page, content_type="text/html", status=status)


def _record(request: web.Request, key: str) -> None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    address = sockname[0] if sockname else "?"
    request.app[RECORD].hits.append(
        Hit(key, address, tuple(request.headers.items()), str(request.url))
    )


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return html("<p id='ok'>ok</p>")


@routes.route("*", "/hit/{key}")
async def hit(request: web.Request) -> web.Response:
    _record(request, request.match_info["key"])
    # A fresh connection for every request: each one goes through the
    # guard's name resolution again (the DNS rebinding test relies on it).
    return web.Response(
        text="hit",
        headers={"Access-Control-Allow-Origin": "*", "Connection": "close"},
    )


@routes.get("/ws/{key}")
async def ws(request: web.Request) -> web.WebSocketResponse:
    _record(request, request.match_info["key"])
    socket = web.WebSocketResponse()
    await socket.prepare(request)
    await socket.send_str("hello")
    async for message in socket:
        if message.type != WSMsgType.TEXT:
            break
    return socket


@routes.get("/redirect")
async def redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["to"])


@routes.get("/subresources")
async def subresources(request: web.Request) -> web.Response:
    """Loads ``/hit/<key>-<kind>`` from ``base`` in every way a page can."""
    base, key = request.query["base"], request.query["key"]
    ws_base = base.replace("http://", "ws://")
    return html(
        f"""
        <img src="{base}/hit/{key}-img">
        <iframe src="{base}/hit/{key}-iframe"></iframe>
        <script src="{base}/hit/{key}-script"></script>
        <link rel="stylesheet" href="{base}/hit/{key}-css">
        <div style="background-image:url({base}/hit/{key}-background);width:9px;height:9px"></div>
        <script>
        fetch("{base}/hit/{key}-fetch").catch(() => {{}});
        const xhr = new XMLHttpRequest();
        xhr.open("GET", "{base}/hit/{key}-xhr");
        xhr.send();
        navigator.sendBeacon("{base}/hit/{key}-beacon", "x");
        try {{ new WebSocket("{ws_base}/ws/{key}-websocket"); }} catch (e) {{}}
        new Worker(URL.createObjectURL(new Blob(
            ['fetch("{base}/hit/{key}-worker").catch(() => {{}})'],
            {{type: "text/javascript"}})));
        </script>
        """
    )


SUBRESOURCE_KINDS = (
    "img",
    "iframe",
    "script",
    "css",
    "background",
    "fetch",
    "xhr",
    "beacon",
    "websocket",
    "worker",
)


@routes.get("/set-cookie")
async def set_cookie(request: web.Request) -> web.Response:
    response = html("<p>set</p>")
    response.set_cookie(request.query["name"], request.query["value"], path="/")
    return response


@routes.get("/cookies")
async def cookies(request: web.Request) -> web.Response:
    return html(f"<pre id='cookies'>{request.headers.get('Cookie', '')}</pre>")


@routes.get("/cached/{key}")
async def cached(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    loads = request.app[RECORD].cache_loads
    loads[key] = loads.get(key, 0) + 1
    return web.Response(
        body=_PIXEL, content_type="image/gif", headers={"Cache-Control": "public, max-age=3600"}
    )


@routes.get("/uses-cache/{key}")
async def uses_cache(request: web.Request) -> web.Response:
    key = request.match_info["key"]
    return html(f"<img id='img' src='/cached/{key}'>")


_PIXEL = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)

AUTH_USER, AUTH_PASSWORD = "alice", "wonderland"


@routes.get("/auth")
async def auth(request: web.Request) -> web.Response:
    expected = "Basic " + base64.b64encode(f"{AUTH_USER}:{AUTH_PASSWORD}".encode()).decode()
    if request.headers.get("Authorization") != expected:
        return web.Response(
            text="<p id='who'>nobody</p>",
            status=401,
            content_type="text/html",
            headers={"WWW-Authenticate": 'Basic realm="hostile"'},
        )
    return html(f"<p id='who'>{AUTH_USER}</p>")


@routes.get("/download")
async def download(request: web.Request) -> web.Response:
    return web.Response(
        body=request.query["mark"].encode() * 64,
        content_type="application/octet-stream",
        headers={"Content-Disposition": "attachment; filename=inndx-evil.bin"},
    )


@routes.get("/download-links")
async def download_links(request: web.Request) -> web.Response:
    mark = request.query["mark"]
    data = base64.b64encode(mark.encode()).decode()
    return html(
        f"""
        <a id="file" href="/download?mark={mark}">file</a>
        <a id="data" href="data:application/octet-stream;base64,{data}"
            download="inndx-data.bin">data</a>
        <a id="blob" download="inndx-blob.bin">blob</a>
        <script>
        document.querySelector('#blob').href =
            URL.createObjectURL(new Blob(["{mark}"]));
        </script>
        """
    )


@routes.get("/big")
async def big(request: web.Request) -> web.Response:
    # A large body that costs the browser little: one long comment.
    size = int(request.query["kb"]) * 1024
    return web.Response(
        body=b"<!DOCTYPE html><p id='big'>big</p><!--" + b"a" * size + b"-->",
        content_type="text/html",
    )


@routes.get("/tall")
async def tall(request: web.Request) -> web.Response:
    return html(
        "<div style='height:10000000px;background:#fff'>endless</div>",
        head="<style>body{margin:0}</style>",
    )


@routes.get("/hog")
async def hog(request: web.Request) -> web.Response:
    # Grows by 64 MB every 20 ms, touching every page so it really is used;
    # stops at the cap so that a test without the limit fails instead of
    # eating the machine.
    cap = int(request.query.get("cap_mb", "1536"))
    return html(
        f"""
        <p id="hog">hog</p>
        <script>
        window.kept = [];
        const grow = () => {{
            if (kept.length * 64 >= {cap}) return;
            kept.push(new Uint8Array(64 * 1024 * 1024).fill(7));
            setTimeout(grow, 20);
        }};
        setTimeout(grow, 0);
        </script>
        """
    )


@routes.get("/popups")
async def popups(request: web.Request) -> web.Response:
    return html(
        """
        <p id="popups">popups</p>
        <script>
        window.opened = 0;
        setTimeout(() => { for (;;) { window.open("about:blank"); opened++; } }, 0);
        </script>
        """
    )


@routes.get("/opens-windows")
async def opens_windows(request: web.Request) -> web.Response:
    return html(
        """
        <a id="link" href="/" target="_blank">new tab</a>
        <button id="button" onclick="window.open('/')">new window</button>
        """
    )


@routes.get("/spin")
async def spin(request: web.Request) -> web.Response:
    where = request.query.get("when", "after-load")
    loop = "for (;;) {}"
    script = loop if where == "inline" else f"setTimeout(() => {{ {loop} }}, 50)"
    return html(f"<p id='spin'>spin</p><script>{script}</script>")


def make_app() -> web.Application:
    app = web.Application(middlewares=[remember_headers])
    app[RECORD] = Record()
    app.add_routes(routes)
    return app
