"""The local web site the tests drive the browser against (served on 127.0.0.1).

Each route is small and named for what it shows. Add routes in the section of
the feature they serve.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import struct
import zlib
from collections.abc import Awaitable, Callable

import brotli
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

routes = web.RouteTableDef()


def html(body: str, *, title: str = "test", head: str = "", status: int = 200) -> web.Response:
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body>{body}</body></html>"
    )
    return web.Response(text=page, content_type="text/html", status=status)


# --- basics --------------------------------------------------------------------


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    return html("<h1>hello</h1><p id='greeting'>Hello, inndx</p>", title="index")


@routes.route("*", "/echo")
async def echo(request: web.Request) -> web.Response:
    """Shows the request as the site saw it (method, headers, cookies, body)."""
    body = await request.text()
    rows = "".join(f"<li data-name='{k.lower()}'>{k}: {v}</li>" for k, v in request.headers.items())
    return html(f"<p id='method'>{request.method}</p><ul>{rows}</ul><pre id='body'>{body}</pre>")


@routes.get("/slow")
async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("s", "5")))
    return html("<p>slow</p>")


@routes.get("/status/{code}")
async def status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return html(f"<p>status {code}</p>", status=code)


# --- server end-to-end pages ---------------------------------------------------


@routes.get("/e2e/form")
async def e2e_form(request: web.Request) -> web.Response:
    return html(
        """
        <input id="name"><button id="go" onclick="
            const name = document.querySelector('#name').value;
            document.querySelector('#out').textContent = 'hello ' + name;
        ">go</button>
        <p id="out"></p>
        <button id="hidden" style="display:none">hidden</button>
        """
    )


@routes.get("/e2e/set-cookie")
async def e2e_set_cookie(request: web.Request) -> web.Response:
    response = html("<p>cookie set</p>")
    response.set_cookie("flavour", "oat", path="/")
    return response


# --- interaction pages ---------------------------------------------------------
# Pages for click, fill, evaluate, content and screenshot (tests/session/).
# Each page records what it saw in `window.seen` so a test can read it back.

_SEEN = "<script>window.seen = [];</script>"


@routes.get("/ix/button")
async def ix_button(request: web.Request) -> web.Response:
    return html(
        _SEEN
        + """
        <button id="btn" style="width:120px;height:40px" onclick="
            seen.push('click:' + event.isTrusted);
            document.querySelector('#out').textContent = 'clicked';
        ">press</button>
        <p id="out">idle</p>
        <div style="height:3000px"></div>
        <button id="far" onclick="seen.push('far:' + event.isTrusted)">far below</button>
        """
    )


@routes.get("/ix/link")
async def ix_link(request: web.Request) -> web.Response:
    return html(
        """
        <a id="go" href="/ix/landing">go</a>
        <a id="hash" href="#part">hash</a>
        <a id="nothing" href="/ix/no-content">204</a>
        <button id="script"
            onclick="setTimeout(() => { location.href = '/ix/landing?via=script' })">script</button>
        <p id="part">part</p>
        """
    )


@routes.get("/ix/landing")
async def ix_landing(request: web.Request) -> web.Response:
    # Late enough that a click returning before the load would be noticed.
    await asyncio.sleep(0.2)
    return html("<p id='landed'>landed</p><img src='/ix/slow-image'>", title="landing")


@routes.get("/ix/slow-image")
async def ix_slow_image(request: web.Request) -> web.Response:
    await asyncio.sleep(0.3)
    return web.Response(body=_PIXEL, content_type="image/gif")


_PIXEL = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)


@routes.get("/ix/no-content")
async def ix_no_content(request: web.Request) -> web.Response:
    return web.Response(status=204)


@routes.get("/ix/never")
async def ix_never(request: web.Request) -> web.Response:
    # Hangs until the browser gives up on the request (closing the socket),
    # so the site can shut down without waiting for it.
    for _ in range(600):
        if request.transport is None or request.transport.is_closing():
            break
        await asyncio.sleep(0.05)
    return html("<p>too late</p>")


@routes.get("/ix/late")
async def ix_late(request: web.Request) -> web.Response:
    return html(
        _SEEN
        + """
        <script>
        setTimeout(() => {
            const button = document.createElement('button');
            button.id = 'late';
            button.textContent = 'late';
            button.onclick = () => seen.push('late');
            document.body.append(button);
        }, 300);
        </script>
        """
    )


@routes.get("/ix/states")
async def ix_states(request: web.Request) -> web.Response:
    return html(
        _SEEN
        + """
        <button id="hidden" style="display:none">hidden</button>
        <button id="invisible" style="visibility:hidden">invisible</button>
        <button id="disabled" disabled onclick="seen.push('disabled')">disabled</button>
        <button id="covered" style="position:absolute;left:10px;top:200px;width:100px;height:40px"
            onclick="seen.push('covered')">covered</button>
        <div id="overlay" style="position:absolute;left:0;top:150px;width:300px;height:200px;
            background:rgba(0,0,0,.2)"></div>
        <button id="navigate" onclick="location.href = '/ix/never'">never</button>
        """
    )


@routes.get("/ix/form")
async def ix_form(request: web.Request) -> web.Response:
    return html(
        _SEEN
        + """
        <input id="text" value="old text">
        <input id="email" type="email">
        <textarea id="area">old area</textarea>
        <div id="editable" contenteditable="true">old <b>rich</b> text</div>
        <select id="fruit">
            <option value="a">Apple</option>
            <option value="b">  Banana   split </option>
            <option value="c" disabled>Cherry</option>
        </select>
        <input id="date" type="date">
        <input id="time" type="time">
        <input id="number" type="number">
        <input id="range" type="range" min="0" max="10">
        <input id="color" type="color">
        <input id="agree" type="checkbox">
        <input id="locked" value="fixed" readonly>
        <p id="para">not a field</p>
        <script>
        for (const el of document.querySelectorAll('input, textarea, select, [contenteditable]')) {
            for (const type of ['input', 'change']) {
                el.addEventListener(type, (e) => seen.push(`${el.id}:${type}:${e.isTrusted}`));
            }
        }
        </script>
        """
    )


@routes.get("/ix/long")
async def ix_long(request: web.Request) -> web.Response:
    return html(
        """
        <div style="height:3000px;background:linear-gradient(#fff,#00f)"></div>
        <div id="box" style="position:absolute;left:40px;top:1500px;width:200px;height:100px;
            background:#f00"></div>
        """,
        head="<style>body{margin:0}</style>",
    )


@routes.get("/ix/unicode")
async def ix_unicode(request: web.Request) -> web.Response:
    return html("<p id='text'>Grüße, 世界 — ünïcödé ✓</p>")


# --- goto pages ----------------------------------------------------------------
# Pages for goto (tests/session/test_goto_*.py). Bodies never depend on the
# request's headers, so a goto and a plain HTTP client get the same bytes.

GOTO_HITS: dict[str, int] = {}  # requests that reached /goto/flaky/{key} and /goto/busy/{key}
GOTO_SEEN: dict[str, list[dict[str, str]]] = {}  # request headers /goto/large saw, by ?key=


def _png(width: int, height: int) -> bytes:
    """A real (tiny, striped) PNG, built by hand so the site needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + bytes((x * 7 + y * 13) % 256 for x in range(width * 3)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


GOTO_PNG = _png(37, 23)
GOTO_LATIN1 = (
    "<!DOCTYPE html><html><head><title>latin</title></head>"
    "<body><p id='t'>Caf\xe9 cr\xe8me \xa9 \xbd \xff \x80\x9f</p></body></html>"
).encode("latin-1")
GOTO_SJIS = (
    "<!DOCTYPE html><html><head><meta charset='shift_jis'><title>sjis</title></head>"
    "<body><p id='t'>日本語のテキスト、カタカナ</p></body></html>"
).encode("shift_jis")
GOTO_TEXT = b"".join(b"line %05d of a compressible text body\n" % i for i in range(2000))


def goto_large_body(size: int) -> bytes:
    """Deterministic, incompressible-looking text of ``size`` bytes."""
    block = hashlib.sha256(b"inndx").hexdigest().encode() * 64  # 4096 bytes
    whole, rest = divmod(size, len(block))
    return block * whole + block[:rest]


@routes.get("/goto/page")
async def goto_page(request: web.Request) -> web.Response:
    return html("<p id='where'>page</p>", title="page")


@routes.get("/goto/landing")
async def goto_landing(request: web.Request) -> web.Response:
    return html("<p id='where'>landing</p>", title="landing")


@routes.route("*", "/goto/redirect/{code}")
async def goto_redirect(request: web.Request) -> web.Response:
    """``code`` to ``?to=`` (default the method page); each hop may set ``?cookie=``."""
    await request.read()
    response = web.Response(status=int(request.match_info["code"]))
    response.headers["Location"] = request.query.get("to", "/goto/method")
    if "cookie" in request.query:
        name, _, value = request.query["cookie"].partition("=")
        response.set_cookie(name, value, path="/", httponly=True, samesite="Lax")
    return response


@routes.get("/goto/chain/{n}")
async def goto_chain(request: web.Request) -> web.Response:
    """A chain of ``n`` server redirects (302) ending on a page."""
    n = int(request.match_info["n"])
    if n <= 0:
        return html("<p id='where'>end of chain</p>")
    raise web.HTTPFound(f"/goto/chain/{n - 1}")


@routes.get("/goto/cookie-hops")
async def goto_cookie_hops(request: web.Request) -> web.Response:
    """Three responses, each setting cookies with different attributes."""
    response = web.Response(status=302, headers={"Location": "/goto/cookie-hops/2"})
    response.headers.add("Set-Cookie", "first=1; Path=/; HttpOnly")
    response.headers.add("Set-Cookie", "lax=l; Path=/goto; SameSite=Lax; Max-Age=3600")
    return response


@routes.get("/goto/cookie-hops/2")
async def goto_cookie_hops_2(request: web.Request) -> web.Response:
    response = web.Response(status=301, headers={"Location": "/goto/cookie-hops/3"})
    response.headers.add(
        "Set-Cookie", "dated=d; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Domain=127.0.0.1; Path=/"
    )
    return response


@routes.get("/goto/cookie-hops/3")
async def goto_cookie_hops_3(request: web.Request) -> web.Response:
    response = html("<p id='where'>cookies set</p>")
    response.headers.add("Set-Cookie", "last=z; SameSite=Strict")
    response.headers.add("Set-Cookie", "gone=x; Max-Age=0; Path=/")
    response.headers.add("Set-Cookie", "strict=s; Path=/goto/cookie-hops; SameSite=None; Secure")
    return response


@routes.get("/goto/headers")
async def goto_headers(request: web.Request) -> web.Response:
    """Headers in a deliberate order, with repeats and odd spacing."""
    response = web.Response(body=b"<p>headers</p>")
    response.headers.add("X-Zeta", "last letter")
    response.headers.add("Content-Type", "text/html; charset=utf-8")
    response.headers.add("X-Multi", "one")
    response.headers.add("X-Alpha", "a,  b")
    response.headers.add("X-Multi", "two")
    response.headers.add("Set-Cookie", "a=1; Path=/")
    response.headers.add("Set-Cookie", "b=2; Path=/")
    response.headers.add("Cache-Control", "no-store")
    return response


@routes.get("/goto/client/meta")
async def goto_client_meta(request: web.Request) -> web.Response:
    return html("<p>meta</p>", head="<meta http-equiv='refresh' content='0; url=/goto/landing'>")


@routes.get("/goto/client/meta-slow")
async def goto_client_meta_slow(request: web.Request) -> web.Response:
    # A refresh this far off is the page's own business, not part of the goto.
    return html("<p id='where'>stay</p>", head="<meta http-equiv='refresh' content='30; url=/'>")


@routes.get("/goto/client/header")
async def goto_client_header(request: web.Request) -> web.Response:
    response = html("<p>refresh header</p>")
    response.headers["Refresh"] = "0; url=/goto/landing"
    return response


@routes.get("/goto/client/script")
async def goto_client_script(request: web.Request) -> web.Response:
    return html("<p>script</p>", head="<script>location.replace('/goto/landing')</script>")


@routes.get("/goto/client/onload")
async def goto_client_onload(request: web.Request) -> web.Response:
    return html(
        "<p>onload</p>",
        head="<script>onload = () => setTimeout(() => { location.href = '/goto/landing' })"
        "</script>",
    )


@routes.get("/goto/client/meta-chain/{n}")
async def goto_client_meta_chain(request: web.Request) -> web.Response:
    """``n`` meta refreshes in a row, ending on a page."""
    n = int(request.match_info["n"])
    if n <= 0:
        return html("<p id='where'>end of refreshes</p>")
    refresh = f"<meta http-equiv='refresh' content='0; url=/goto/client/meta-chain/{n - 1}'>"
    return html(f"<p>refresh {n}</p>", head=refresh)


@routes.get("/goto/client/then-server")
async def goto_client_then_server(request: web.Request) -> web.Response:
    """A client redirect to a server redirect: both kinds in one chain."""
    return html(
        "<p>mixed</p>",
        head="<script>location.href = '/goto/redirect/301?to=/goto/landing'</script>",
    )


@routes.get("/goto/gzip")
async def goto_gzip(request: web.Request) -> web.Response:
    return web.Response(
        body=gzip.compress(GOTO_TEXT),
        headers={"Content-Type": "text/plain; charset=utf-8", "Content-Encoding": "gzip"},
    )


@routes.get("/goto/br")
async def goto_br(request: web.Request) -> web.Response:
    return web.Response(
        body=brotli.compress(GOTO_TEXT),
        headers={"Content-Type": "text/plain; charset=utf-8", "Content-Encoding": "br"},
    )


@routes.get("/goto/image.png")
async def goto_image(request: web.Request) -> web.Response:
    return web.Response(body=GOTO_PNG, content_type="image/png")


@routes.get("/goto/latin1")
async def goto_latin1(request: web.Request) -> web.Response:
    return web.Response(body=GOTO_LATIN1, headers={"Content-Type": "text/html; charset=ISO-8859-1"})


@routes.get("/goto/sjis")
async def goto_sjis(request: web.Request) -> web.Response:
    # The charset is only in the document's <meta>, not in the header.
    return web.Response(body=GOTO_SJIS, headers={"Content-Type": "text/html"})


@routes.route("*", "/goto/large")
async def goto_large(request: web.Request) -> web.StreamResponse:
    """``?size=`` bytes of text, sent in chunks (no Content-Length); counts ``?key=``."""
    await request.read()
    if "key" in request.query:
        GOTO_HITS[request.query["key"]] = GOTO_HITS.get(request.query["key"], 0) + 1
        GOTO_SEEN.setdefault(request.query["key"], []).append(dict(request.headers))
    body = goto_large_body(int(request.query.get("size", "1000000")))
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    for start in range(0, len(body), 256 * 1024):
        await response.write(body[start : start + 256 * 1024])
    await response.write_eof()
    return response


@routes.get("/goto/large-latin1")
async def goto_large_latin1(request: web.Request) -> web.Response:
    """``?size=`` bytes of ISO-8859-1 text, most of them not ASCII; counts ``?key=``."""
    if "key" in request.query:
        GOTO_HITS[request.query["key"]] = GOTO_HITS.get(request.query["key"], 0) + 1
    return web.Response(
        body=goto_large_latin1_body(int(request.query.get("size", "1000000"))),
        headers={"Content-Type": "text/plain; charset=ISO-8859-1"},
    )


def goto_large_latin1_body(size: int) -> bytes:
    block = "Ça été très déjà vu, naïve façade ± ¼ µ ÿ\n".encode("latin-1")
    return (block * (size // len(block) + 1))[:size]


@routes.get("/goto/no-content")
async def goto_no_content(request: web.Request) -> web.Response:
    return web.Response(status=204, headers={"X-Empty": "yes"})


@routes.route("*", "/goto/method")
async def goto_method(request: web.Request) -> web.Response:
    """The method and a digest of the body, nothing that depends on headers."""
    body = await request.read()
    digest = hashlib.sha256(body).hexdigest()
    text = f"{request.method} {len(body)} {digest}"
    return web.Response(text=text, headers={"X-Method": request.method})


@routes.route("*", "/goto/odd-status")
async def goto_odd_status(request: web.Request) -> web.Response:
    """A status code no standard names, with a phrase of its own."""
    return web.Response(status=599, reason="Odd Phrase", text="odd status")


@routes.route("*", "/goto/echo")
async def goto_echo(request: web.Request) -> web.Response:
    """The request as JSON (method, headers in order, body), for request-side checks."""
    body = await request.read()
    seen = {
        "method": request.method,
        "headers": [[name, value] for name, value in request.headers.items()],
        "body": body.decode("utf-8", "replace"),
    }
    return web.json_response(seen)


@routes.get("/goto/flaky/{key}")
async def goto_flaky(request: web.Request) -> web.Response:
    """503 for the first ``?fail=`` (default 2) requests of ``key``, then 200."""
    key = request.match_info["key"]
    GOTO_HITS[key] = GOTO_HITS.get(key, 0) + 1
    if GOTO_HITS[key] <= int(request.query.get("fail", "2")):
        return html("<p>busy</p>", status=503)
    return html(f"<p id='where'>ok after {GOTO_HITS[key]}</p>")


@routes.get("/goto/busy/{key}")
async def goto_busy(request: web.Request) -> web.Response:
    """429 with ``Retry-After: ?after=`` the first time, then 200."""
    key = request.match_info["key"]
    GOTO_HITS[key] = GOTO_HITS.get(key, 0) + 1
    if GOTO_HITS[key] == 1:
        response = html("<p>slow down</p>", status=429)
        response.headers["Retry-After"] = request.query.get("after", "1")
        return response
    return html("<p id='where'>served</p>")


@routes.route("*", "/goto/hang")
async def goto_hang(request: web.Request) -> web.Response:
    """Never answers while the client waits (ends when the browser gives up)."""
    for _ in range(600):
        if request.transport is None or request.transport.is_closing():
            break
        await asyncio.sleep(0.05)
    return html("<p>too late</p>")


@web.middleware
async def connect_method(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CONNECT names an authority, not a path: answer it before routing."""
    if request.method == "CONNECT":
        status = int(request.headers.get("X-Connect-Status", "405"))
        return web.Response(text=f"CONNECT to {request.host}", status=status)
    return await handler(request)


# --- client and middleware pages ---------------------------------------------
# What the site received is kept in REQUESTS, so a test can prove a request
# never reached it (or which headers it carried). URLs carry a unique `token`.

REQUESTS: list[dict[str, object]] = []


def requests_for(token: str) -> list[dict[str, object]]:
    """Every request the site received whose query carries ``token``."""
    return [seen for seen in REQUESTS if seen["token"] == token]


@web.middleware
async def record_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/cm/"):
        REQUESTS.append(
            {
                "path": request.path,
                "token": request.query.get("token"),
                "headers": {k.lower(): v for k, v in request.headers.items()},
            }
        )
        response = await handler(request)
        if "via" in request.headers:
            # Through a proxy: one request per connection, so a proxy that only
            # looks at the first request of a connection sees (and logs) each.
            response.force_close()
        return response
    return await handler(request)


@routes.get("/cm/headers")
async def cm_headers(request: web.Request) -> web.Response:
    """The request headers as JSON (names in lower case)."""
    return web.json_response({k.lower(): v for k, v in request.headers.items()})


@routes.get("/cm/page")
async def cm_page(request: web.Request) -> web.Response:
    """A page with one of each subresource; `window.done` settles when the fetch did."""
    token = request.query.get("token", "")
    q = f"?token={token}"
    return html(
        f"""
        <img id="img" src="/cm/pixel.gif{q}">
        <p id="styled">styled</p>
        <script src="/cm/script.js{q}"></script>
        <script>
        window.done = fetch('/cm/headers{q}&from=fetch')
            .then(r => r.json()).then(j => (window.fetched = j), e => (window.fetched = String(e)));
        </script>
        """,
        head=f"<link rel='stylesheet' href='/cm/style.css{q}'>",
    )


@routes.get("/cm/pixel.gif")
async def cm_pixel(request: web.Request) -> web.Response:
    return web.Response(body=_PIXEL, content_type="image/gif")


@routes.get("/cm/script.js")
async def cm_script(request: web.Request) -> web.Response:
    return web.Response(text="window.scriptRan = true;", content_type="text/javascript")


@routes.get("/cm/style.css")
async def cm_style(request: web.Request) -> web.Response:
    return web.Response(text="#styled { color: rgb(1, 2, 3); }", content_type="text/css")


_INLINE = "<script>window.inlineRan = true; document.title = 'inline ran';</script>"


@routes.get("/cm/csp")
async def cm_csp(request: web.Request) -> web.Response:
    """An inline script its own Content-Security-Policy forbids."""
    response = html(_INLINE + "<p id='x'>csp</p>", title="csp")
    response.headers["Content-Security-Policy"] = "script-src 'none'"
    response.headers["X-Site"] = "kept"
    response.set_cookie("first", "1", path="/")
    response.set_cookie("second", "2", path="/")
    if request.query.get("gzip"):
        response.enable_compression(web.ContentCoding.gzip)
    return response


@routes.get("/cm/js")
async def cm_js(request: web.Request) -> web.Response:
    return html(
        "<p id='p'>static</p><noscript><p id='ns'>no script</p></noscript>"
        "<script>document.getElementById('p').textContent = 'script ran';</script>"
    )


# --- client library -------------------------------------------------------------


@routes.get("/client/loop")
async def client_loop(request: web.Request) -> web.Response:
    """Redirects to itself, setting a cookie each hop, until ``n`` reaches ``stop`` (never
    without one: a goto stops at max_redirects)."""
    n = int(request.query.get("n", "0"))
    stop = int(request.query.get("stop", "-1"))
    if n == stop:
        return html(f"<p>arrived after {n} hops</p>")
    response = web.HTTPFound(f"/client/loop?n={n + 1}&stop={stop}")
    response.set_cookie(f"hop{n}", "yes", max_age=3600, httponly=True, samesite="Lax")
    raise response


def make_app() -> web.Application:
    app = web.Application(middlewares=[record_requests, connect_method])
    app.add_routes(routes)
    return app
