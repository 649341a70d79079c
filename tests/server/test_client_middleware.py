"""The open frame's client and middleware, end to end through the WebSocket."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator

import psutil
import pytest

from .. import site as site_module
from .conftest import Served, connect, open_refused, running_server


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[Served]:
    """A server for this module; its full Chromium starts with the first chrome session."""
    async with running_server(warm_pages=0) as running:
        yield running


def kinds_running(served: Served) -> dict[str, str]:
    """Client kind -> executable of the live browsers of the server's pool."""
    return {b.kind: psutil.Process(b.process.pid).exe() for b in served.pool.browsers()}


async def test_chrome_kind_runs_on_full_chromium(served: Served, site: str) -> None:
    for client in ("chrome", {"kind": "chrome"}):
        async with connect(served.url, {"client": client}) as session:
            reply = await session.call({"action": "goto", "url": site + "/"})
            assert reply["status_code"] == 200, reply
            agent = await session.call({"action": "evaluate", "script": "navigator.userAgent"})
            assert "inndx-cdp" in agent["result"]
    running = kinds_running(served)
    assert "headless-shell" not in running["chrome"]
    assert "headless-shell" in running["standard"]


@pytest.mark.parametrize("kind", ["standard", "chrome"])
async def test_client_options_through_the_socket(served: Served, site: str, kind: str) -> None:
    client = {
        "kind": kind,
        "viewport": {"width": 640, "height": 480},
        "locale": "fr-FR",
        "timezone": "Pacific/Auckland",
    }
    async with connect(served.url, {"client": client}) as session:
        reply = await session.call({"action": "goto", "url": site + "/cm/headers"})
        assert json.loads(base64.b64decode(reply["body"]))["accept-language"] == "fr-FR"
        probe = await session.call(
            {
                "action": "evaluate",
                "script": "[innerWidth, innerHeight, navigator.language,"
                " Intl.DateTimeFormat().resolvedOptions().timeZone,"
                " new Date(Date.UTC(2024, 0, 15, 12)).getHours()]",
            }
        )
        # Auckland is UTC+13 in (southern) summer.
        assert probe["result"] == [640, 480, "fr-FR", "Pacific/Auckland", 1]


async def test_javascript_off_through_the_socket(served: Served, site: str) -> None:
    async with connect(served.url, {"client": {"kind": "standard", "javascript": False}}) as s:
        reply = await s.call({"action": "goto", "url": site + "/cm/js"})
        assert reply["status_code"] == 200, reply
        text = await s.call(
            {"action": "evaluate", "script": "document.querySelector('#p').textContent"}
        )
        assert text["result"] == "static"


@pytest.mark.parametrize(
    ("open_frame", "needles"),
    [
        ({"client": "firefox"}, ["unknown client kind 'firefox'", "standard, chrome"]),
        ({"client": {"kind": "edge"}}, ["accepted: standard, chrome"]),
        (
            {"client": {"kind": "chrome", "colour": "blue"}},
            ["client.colour", "accepted: kind, viewport, locale, timezone, javascript"],
        ),
        ({"client": {"viewport": {"width": 0}}}, ["client.viewport.width"]),
        ({"client": {"timezone": "Mars/Olympus"}}, ["client.timezone"]),
        (
            {"middleware": [{"kind": "rewrite"}]},
            ["middleware[0].kind", "accepted: block, request_headers, response_headers"],
        ),
        ({"middleware": [{"kind": "block"}]}, ["resource_types or url_patterns"]),
        ({"middleware": [{"kind": "block", "url_patterns": ["*"], "x": 1}]}, ["middleware[0].x"]),
        (
            {"middleware": [{"kind": "request_headers", "set": [["Cookie", "a=1"]]}]},
            ["middleware[0].set", "Cookie"],
        ),
        (
            {"middleware": [{"kind": "request_headers", "remove": ["x-a", "user-agent"]}]},
            ["middleware[0].remove", "User-Agent", "set it to another value"],
        ),
        ({"proxies": ["nowhere"]}, ["unknown proxy id 'nowhere'", "none configured"]),
    ],
)
async def test_bad_client_or_middleware_is_fatal_400(
    served: Served, open_frame: dict[str, object], needles: list[str]
) -> None:
    reply, code = await open_refused(served.url, open_frame)
    assert (reply["type"], reply["code"]) == ("fatal", 400), reply
    for needle in needles:
        assert needle in reply["message"]
    assert code == 1008


async def test_middleware_through_the_socket(served: Served, site: str) -> None:
    token = uuid.uuid4().hex
    middleware = [
        {"kind": "block", "resource_types": ["Image"]},
        {"kind": "request_headers", "set": [["X-From", "middleware"]], "remove": ["Accept"]},
        {"kind": "response_headers", "remove": ["Content-Security-Policy"]},
    ]
    async with connect(served.url, {"middleware": middleware}) as session:
        reply = await session.call({"action": "goto", "url": f"{site}/cm/page?token={token}"})
        assert reply["status_code"] == 200, reply
        await session.call({"action": "evaluate", "script": "window.done"})
        reply = await session.call({"action": "goto", "url": f"{site}/cm/csp?token={token}"})
        assert reply["status_code"] == 200
        ran = await session.call({"action": "evaluate", "script": "window.inlineRan === true"})
        assert ran["result"] is True
    seen = site_module.requests_for(token)
    assert "/cm/pixel.gif" not in [r["path"] for r in seen]
    for request in seen:
        headers = request["headers"]
        assert isinstance(headers, dict)
        assert headers["x-from"] == "middleware"
        assert "accept" not in headers
