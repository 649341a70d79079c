"""TRACE and CONNECT through the server's own client, loaded into the page; method rules."""

from __future__ import annotations

import hashlib
import json
import socket

import pytest

from inndx_cdp.browser.browser import Page
from inndx_cdp.cdp.connection import CdpError
from inndx_cdp.errors import BadFrame, NavigationFailed, TooManyRedirects
from inndx_cdp.session.read import content

from .goto_helpers import assert_same_exchange, js, run_goto
from .plain_http import fetch


async def test_trace_matches_a_plain_client_and_lands_in_the_page(page: Page, site: str) -> None:
    url = site + "/goto/method?q=1"
    answer = await run_goto(page, url, method="TRACE")
    plain = await fetch(url, method="TRACE")
    assert_same_exchange(answer, plain)
    expected = f"TRACE 0 {hashlib.sha256(b'').hexdigest()}"
    assert answer.body == expected.encode()
    assert answer.content_type == "text/plain"
    # The answer is the page now: evaluate and content see it.
    assert await js(page, "location.href") == url
    assert await js(page, "document.body.textContent") == expected
    assert expected.encode() in await content(page)


async def test_trace_carries_the_sessions_cookies_agent_and_headers(page: Page, site: str) -> None:
    answer = await run_goto(
        page,
        site + "/goto/echo",
        method="TRACE",
        user_agent="chrome",
        headers=[("X-Custom", "yes"), ("Cookie", "ignored=1")],
        cookies=[{"name": "sid", "value": "s3cret"}],
        referrer=site + "/from",
    )
    assert answer.body is not None
    seen = json.loads(answer.body)
    headers = {name.lower(): value for name, value in seen["headers"]}
    assert seen["method"] == "TRACE"
    assert headers["cookie"] == "sid=s3cret"
    assert headers["x-custom"] == "yes"
    assert headers["referer"] == site + "/from"
    browser_ua = await js(page, "navigator.userAgent")
    assert headers["user-agent"] == browser_ua
    assert "Headless" not in browser_ua
    assert headers["sec-ch-ua"].count('v="') == 3


async def test_trace_follows_redirects_and_keeps_their_cookies(page: Page, site: str) -> None:
    start = site + "/goto/redirect/307?to=/goto/echo&cookie=hop=1"
    answer = await run_goto(page, start, method="TRACE")
    plain = await fetch(start, method="TRACE")
    assert answer.redirects == plain.redirects
    assert answer.redirects == [
        {"url": start, "location": site + "/goto/echo", "side": "server", "type": "temporary"}
    ]
    assert [(c["name"], c["value"], c["http_only"]) for c in answer.cookies] == [("hop", "1", True)]
    assert answer.body is not None
    seen = json.loads(answer.body)
    assert seen["method"] == "TRACE"
    # The cookie the first hop set went into the session's jar, and so to the second hop.
    assert dict((k.lower(), v) for k, v in seen["headers"])["cookie"] == "hop=1"
    jar = await page.cdp.send("Network.getCookies", {"urls": [site + "/"]})
    assert [(c["name"], c["httpOnly"]) for c in jar["cookies"]] == [("hop", True)]


async def test_trace_redirect_limit_is_310(page: Page, site: str) -> None:
    start = site + "/goto/redirect/308?to=/goto/redirect/308%3Fto%3D/goto/method"
    with pytest.raises(TooManyRedirects):
        await run_goto(page, start, method="TRACE", max_redirects=1)
    answer = await run_goto(page, start, method="TRACE", max_redirects=2)
    assert len(answer.redirects) == 2


async def test_connect_answers_and_lands_in_the_page(page: Page, site: str) -> None:
    url = site + "/goto/page"
    refused = await run_goto(page, url, method="CONNECT")
    assert_same_exchange(refused, await fetch(url, method="CONNECT"))
    assert refused.status_code == 405
    assert refused.body is not None
    assert refused.body.startswith(b"CONNECT to 127.0.0.1")
    assert await js(page, "document.body.textContent") == refused.body.decode()
    tunnel_header = {"X-Connect-Status": "200"}
    tunnel = await run_goto(page, url, method="CONNECT", headers=list(tunnel_header.items()))
    assert_same_exchange(tunnel, await fetch(url, method="CONNECT", headers=tunnel_header))
    assert tunnel.status_code == 200
    assert tunnel.body is None  # a successful CONNECT is a tunnel, not a body


async def test_trace_with_an_odd_status_is_answered_and_shown(page: Page, site: str) -> None:
    url = site + "/goto/odd-status"
    answer = await run_goto(page, url, method="TRACE")
    assert_same_exchange(answer, await fetch(url, method="TRACE"))
    assert answer.status_code == 599
    assert await js(page, "document.body.textContent") == "odd status"


async def test_trace_to_a_closed_port_is_502(page: Page) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NavigationFailed) as caught:
        await run_goto(page, f"http://127.0.0.1:{port}/", method="TRACE", max_retries=1)
    assert "net::ERR_CONNECTION_REFUSED" in caught.value.message


@pytest.mark.parametrize("url", ["about:blank", "data:text/html,<p>x</p>"])
async def test_methods_other_than_get_need_http(page: Page, url: str) -> None:
    with pytest.raises(BadFrame) as caught:
        await run_goto(page, url, method="TRACE")
    assert "method" in caught.value.message


async def test_a_plain_goto_after_trace_is_not_intercepted(page: Page, site: str) -> None:
    await run_goto(page, site + "/goto/method", method="TRACE")
    answer = await run_goto(page, site + "/goto/method")
    assert answer.body is not None
    assert answer.body.startswith(b"GET ")
    with pytest.raises(CdpError, match="not enabled"):
        await page.cdp.send("Fetch.continueRequest", {"requestId": "nothing"})


@pytest.mark.parametrize("method", ["GET", "TRACE"])
async def test_a_redirect_to_another_scheme_is_refused(page: Page, site: str, method: str) -> None:
    with pytest.raises(NavigationFailed) as caught:
        await run_goto(page, site + "/goto/redirect/302?to=file:///etc/passwd", method=method)
    assert "net::ERR_UNSAFE_REDIRECT" in caught.value.message
    answer = await run_goto(page, site + "/goto/page")
    assert answer.status_code == 200
