"""The local web site the tests drive the browser against (served on 127.0.0.1).

Each route is small and named for what it shows. Add routes in the section of
the feature they serve.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

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
    app = web.Application(middlewares=[record_requests])
    app.add_routes(routes)
    return app
