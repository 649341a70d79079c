"""Middleware on real Chromium: what the local site received, and what the page saw."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

from inndx_cdp.browser.browser import Page
from inndx_cdp.errors import BadFrame, NavigationFailed
from inndx_cdp.protocol import decode_open
from inndx_cdp.session.goto import GotoRequest, GotoResult, goto
from inndx_cdp.session.interception import Interception, PausedRequest, Rule
from inndx_cdp.session.middleware import configure_interception, glob_matcher

from .. import site as site_module


def token() -> str:
    return uuid.uuid4().hex


async def with_middleware(page: Page, *middleware: dict[str, Any]) -> None:
    frame = decode_open(json.dumps({"middleware": list(middleware)}))
    await configure_interception(page, frame.middleware)


async def visit(page: Page, url: str, **request: Any) -> GotoResult:
    return await goto(
        page, GotoRequest(url=url, **request), timeout=20, max_redirects=5, max_retries=0
    )


async def js(page: Page, expression: str) -> Any:
    reply = await page.cdp.send(
        "Runtime.evaluate",
        {"expression": expression, "returnByValue": True, "awaitPromise": True},
    )
    return reply["result"].get("value")


def paths(tok: str) -> list[str]:
    return [str(seen["path"]) for seen in site_module.requests_for(tok)]


def headers_seen(tok: str, path: str) -> dict[str, str]:
    found = [seen for seen in site_module.requests_for(tok) if seen["path"] == path]
    assert len(found) == 1, found
    headers = found[0]["headers"]
    assert isinstance(headers, dict)
    return headers


# --- block -------------------------------------------------------------------


async def test_block_by_resource_type_never_reaches_the_site(page: Page, site: str) -> None:
    await with_middleware(page, {"kind": "block", "resource_types": ["Image", "Stylesheet"]})
    tok = token()
    result = await visit(page, f"{site}/cm/page?token={tok}")
    assert result.status_code == 200
    await js(page, "window.done")
    seen = paths(tok)
    assert "/cm/pixel.gif" not in seen
    assert "/cm/style.css" not in seen
    # Everything else still loads.
    assert {"/cm/page", "/cm/script.js", "/cm/headers"} <= set(seen)
    assert await js(page, "document.querySelector('#img').naturalWidth") == 0
    assert await js(page, "window.scriptRan") is True
    color = "getComputedStyle(document.querySelector('#styled')).color"
    assert await js(page, color) != "rgb(1, 2, 3)"


async def test_without_block_the_same_page_loads_everything(page: Page, site: str) -> None:
    tok = token()
    await visit(page, f"{site}/cm/page?token={tok}")
    await js(page, "window.done")
    assert {"/cm/pixel.gif", "/cm/style.css"} <= set(paths(tok))
    assert await js(page, "document.querySelector('#img').naturalWidth") == 1


async def test_block_fails_the_request_as_blocked_by_the_client(page: Page, site: str) -> None:
    await with_middleware(page, {"kind": "block", "url_patterns": ["*/cm/pixel.gif*"]})
    failures: list[dict[str, Any]] = []
    page.cdp.on("Network.loadingFailed", failures.append)
    tok = token()
    await visit(page, f"{site}/cm/page?token={tok}")
    await js(page, "window.done")
    assert "/cm/pixel.gif" not in paths(tok)
    assert "/cm/style.css" in paths(tok)
    assert len(failures) == 1
    assert failures[0]["errorText"].startswith("net::ERR_BLOCKED_BY_CLIENT")


async def test_block_glob_and_type_must_both_match(page: Page, site: str) -> None:
    # The script matches the glob but is not an image: it loads.
    await with_middleware(
        page, {"kind": "block", "resource_types": ["Image"], "url_patterns": ["*/cm/*"]}
    )
    tok = token()
    await visit(page, f"{site}/cm/page?token={tok}")
    await js(page, "window.done")
    assert "/cm/pixel.gif" not in paths(tok)
    assert "/cm/script.js" in paths(tok)


async def test_blocked_document_is_a_502_and_the_site_sees_nothing(page: Page, site: str) -> None:
    await with_middleware(page, {"kind": "block", "resource_types": ["Document"]})
    tok = token()
    with pytest.raises(NavigationFailed, match="ERR_BLOCKED_BY_CLIENT"):
        await visit(page, f"{site}/cm/page?token={tok}")
    assert paths(tok) == []


# --- request headers ---------------------------------------------------------


async def test_request_headers_set_and_remove(page: Page, site: str) -> None:
    await with_middleware(
        page,
        {
            "kind": "request_headers",
            "set": [["X-Inndx-Test", "one"], ["Accept-Language", "fr-CA"]],
            "remove": ["Upgrade-Insecure-Requests", "X-Never-Sent"],
        },
    )
    tok = token()
    await visit(page, f"{site}/cm/page?token={tok}")
    await js(page, "window.done")
    for path in ("/cm/page", "/cm/script.js", "/cm/headers"):
        headers = headers_seen(tok, path)
        assert headers["x-inndx-test"] == "one", path
        assert headers["accept-language"] == "fr-CA", path
    assert "upgrade-insecure-requests" not in headers_seen(tok, "/cm/page")


async def test_without_middleware_the_browser_sends_its_own_headers(page: Page, site: str) -> None:
    # The control for the test above: the header removed there is really sent.
    tok = token()
    await visit(page, f"{site}/cm/page?token={tok}")
    headers = headers_seen(tok, "/cm/page")
    assert headers["upgrade-insecure-requests"] == "1"
    assert "x-inndx-test" not in headers


async def test_request_headers_only_on_matching_urls(page: Page, site: str) -> None:
    await with_middleware(
        page,
        {
            "kind": "request_headers",
            "set": [["X-Only", "here"]],
            "url_patterns": ["*/cm/headers?*"],
        },
    )
    tok = token()
    await visit(page, f"{site}/cm/page?token={tok}")
    fetched = await js(page, "window.done")
    assert fetched["x-only"] == "here"
    assert "x-only" not in headers_seen(tok, "/cm/page")
    assert "x-only" not in headers_seen(tok, "/cm/script.js")


async def test_middleware_applies_in_order(page: Page, site: str) -> None:
    await with_middleware(
        page,
        {"kind": "request_headers", "set": [["X-Order", "first"], ["X-Kept", "yes"]]},
        {"kind": "request_headers", "set": [["X-Order", "second"]]},
        {"kind": "block", "url_patterns": ["*/cm/script.js*"]},
        {"kind": "request_headers", "remove": ["X-Kept"], "url_patterns": ["*/cm/headers*"]},
    )
    tok = token()
    await visit(page, f"{site}/cm/page?token={tok}")
    fetched = await js(page, "window.done")
    page_headers = headers_seen(tok, "/cm/page")
    assert page_headers["x-order"] == "second"
    assert page_headers["x-kept"] == "yes"
    assert fetched["x-order"] == "second"
    assert "x-kept" not in fetched
    assert "/cm/script.js" not in paths(tok)


async def test_goto_headers_win_over_middleware_and_method_still_applies(
    page: Page, site: str
) -> None:
    await with_middleware(
        page, {"kind": "request_headers", "set": [["X-Both", "middleware"], ["X-Mw", "1"]]}
    )
    result = await visit(
        page,
        f"{site}/echo",
        method="PUT",
        body=b"payload",
        headers=[("X-Both", "goto")],
    )
    body = (result.body or b"").decode()
    assert "<p id='method'>PUT</p>" in body
    assert "X-Both: goto" in body
    assert "X-Mw: 1" in body
    assert "payload" in body
    # The goto's own rule is gone afterwards; the middleware's stays.
    manager = Interception.of(page)
    assert manager.enabled
    again = await visit(page, f"{site}/echo")
    assert "X-Both: middleware" in (again.body or b"").decode()


async def test_cookie_header_cannot_be_rewritten(page: Page) -> None:
    frame = decode_open('{"middleware": [{"kind": "request_headers", "remove": ["cookie"]}]}')
    with pytest.raises(BadFrame, match=r"middleware\[0\]\.remove.*Cookie"):
        await configure_interception(page, frame.middleware)
    assert not Interception.of(page).enabled


# --- response headers --------------------------------------------------------


async def test_csp_blocks_the_inline_script_without_middleware(page: Page, site: str) -> None:
    await visit(page, f"{site}/cm/csp")
    assert await js(page, "window.inlineRan === true") is False


@pytest.mark.parametrize("gzip", [False, True])
async def test_dropping_csp_lets_the_inline_script_run(page: Page, site: str, gzip: bool) -> None:
    await with_middleware(
        page,
        {
            "kind": "response_headers",
            "remove": ["content-security-policy"],
            "set": [["X-Added", "by middleware"]],
            "url_patterns": ["*/cm/csp*"],
        },
    )
    result = await visit(page, f"{site}/cm/csp" + ("?gzip=1" if gzip else ""))
    assert result.status_code == 200
    assert await js(page, "window.inlineRan === true") is True
    assert await js(page, "document.querySelector('#x').textContent") == "csp"
    # The page saw the rewritten set: the added header, the site's own, both cookies.
    seen = await js(
        page,
        "fetch(location.href).then(r => [r.headers.get('x-added'), r.headers.get('x-site'),"
        " r.headers.get('content-security-policy')])",
    )
    assert seen == ["by middleware", "kept", None]
    cookies = await page.cdp.send("Network.getCookies", {"urls": [site + "/"]})
    assert {c["name"] for c in cookies["cookies"]} >= {"first", "second"}
    # The goto answer reports the response as the site sent it.
    assert ["Content-Security-Policy", "script-src 'none'"] in result.headers


async def test_request_and_response_middleware_together(page: Page, site: str) -> None:
    await with_middleware(
        page,
        {"kind": "request_headers", "set": [["X-Together", "yes"]]},
        {"kind": "response_headers", "remove": ["content-security-policy"]},
    )
    tok = token()
    await visit(page, f"{site}/cm/csp?token={tok}")
    assert headers_seen(tok, "/cm/csp")["x-together"] == "yes"
    assert await js(page, "window.inlineRan === true") is True


# --- the interception manager -----------------------------------------------


async def test_no_middleware_sends_no_fetch_command(page: Page, site: str) -> None:
    sent: list[str] = []
    original = page.cdp.send

    async def spy(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        sent.append(method)
        return await original(method, params)

    page.cdp.send = spy  # type: ignore[method-assign]
    await configure_interception(page, [])
    await visit(page, f"{site}/cm/page?token={token()}")
    assert sent, "the spy saw nothing"
    assert not [m for m in sent if m.startswith("Fetch.")]
    assert "Network.setCacheDisabled" not in sent


async def test_fetch_is_disabled_when_the_last_rule_goes(page: Page, site: str) -> None:
    manager = Interception.of(page)
    seen: list[str] = []
    rule = Rule("Request", ({"urlPattern": "*"},), lambda paused: seen.append(paused.url))
    async with manager.using(rule):
        assert manager.enabled
        await visit(page, f"{site}/")
    assert not manager.enabled
    assert seen == [f"{site}/"]
    await visit(page, f"{site}/ix/unicode")
    assert seen == [f"{site}/"]


async def test_a_failing_handler_still_lets_the_request_through(page: Page, site: str) -> None:
    def broken(paused: PausedRequest) -> None:
        paused.set_header("X-Half", "done")
        raise RuntimeError("handler bug")

    manager = Interception.of(page)
    async with manager.using(Rule("Request", ({"urlPattern": "*"},), broken)):
        result = await asyncio.wait_for(visit(page, f"{site}/cm/headers"), 20)
    assert result.status_code == 200


async def test_a_refused_answer_falls_back_to_continuing(
    page: Page, site: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Chromium refuses a header value with a line break; the request must not hang.
    def bad(paused: PausedRequest) -> None:
        paused.set_header("X-Bad", "a\r\nb")

    manager = Interception.of(page)
    async with manager.using(Rule("Request", ({"urlPattern": "*"},), bad)):
        result = await asyncio.wait_for(visit(page, f"{site}/cm/headers"), 20)
    assert result.status_code == 200
    assert "x-bad" not in json.loads(result.body or b"{}")
    assert "continuing the request unchanged" in caplog.text


@pytest.mark.parametrize(
    ("patterns", "url", "expected"),
    [
        ([], "http://a/b", True),
        (["*"], "http://a/b", True),
        (["*.png"], "http://a/b.png", True),
        (["*.png"], "http://a/b.png?x=1", False),
        (["http://a/*?x=*"], "http://a/b?x=1", True),
        (["http://a/*?x=*"], "http://a/bax=1", False),
        (["*/img/*", "*.css"], "http://a/s.css", True),
        (["http://a/[b]"], "http://a/[b]", True),
        (["http://a/[b]"], "http://a/b", False),
    ],
)
def test_glob_matches_the_whole_url_with_star_only(
    patterns: list[str], url: str, expected: bool
) -> None:
    assert glob_matcher(patterns)(url) is expected
