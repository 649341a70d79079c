"""The local page every driver works on, served on 127.0.0.1 by the harness itself.

One small but real document: a heading, a text field, a button whose click
handler writes into the page, and a list, so content and screenshots have
something to carry (about 4 KB of HTML).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

__all__ = ["PAGE_TITLE", "LocalSite", "page_html"]

PAGE_TITLE = "inndx-cdp benchmark"
ITEMS = 60


def page_html() -> str:
    """The benchmark page's HTML."""
    items = "".join(
        f"<li>item {i}: the quick brown fox jumps over the lazy dog</li>" for i in range(ITEMS)
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{PAGE_TITLE}</title>"
        "<style>body{font-family:sans-serif;margin:2em}li{color:#345}</style></head><body>"
        "<h1>Benchmark page</h1>"
        "<input id='name' value=''>"
        "<button id='go' onclick=\"document.querySelector('#out').textContent="
        "'hello ' + document.querySelector('#name').value\">go</button>"
        "<p id='out'></p>"
        f"<ul>{items}</ul></body></html>"
    )


async def _page(request: web.Request) -> web.Response:
    return web.Response(
        text=page_html(), content_type="text/html", headers={"Cache-Control": "no-store"}
    )


@dataclass
class LocalSite:
    """The page served on a free port of 127.0.0.1 while the context is open."""

    runner: web.AppRunner | None = None
    url: str = ""

    async def __aenter__(self) -> LocalSite:
        app = web.Application()
        app.router.add_get("/page", _page)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/page"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
