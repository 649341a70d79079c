"""goto answers compared with a plain HTTP client on the same URLs (real Chromium)."""

from __future__ import annotations

import hashlib
import json

import pytest

from inndx_cdp.browser.browser import Page
from inndx_cdp.errors import TooManyRedirects

from .. import site as site_module
from .goto_helpers import assert_same_exchange, js, run_goto
from .plain_http import fetch


@pytest.mark.parametrize(
    "path",
    [
        "/goto/page",
        "/goto/headers",
        "/goto/gzip",
        "/goto/br",
        "/goto/image.png",
        "/goto/latin1",
        "/goto/sjis",
        "/status/404",
        "/status/500",
        "/goto/odd-status",
    ],
)
async def test_goto_matches_a_plain_client(page: Page, site: str, path: str) -> None:
    answer = await run_goto(page, site + path)
    plain = await fetch(site + path)
    assert_same_exchange(answer, plain)


async def test_binary_body_is_the_image_bytes(page: Page, site: str) -> None:
    answer = await run_goto(page, site + "/goto/image.png")
    assert answer.body == site_module.GOTO_PNG
    assert answer.content_type == "image/png"


async def test_charset_bodies_are_the_bytes_sent_not_a_re_encoding(page: Page, site: str) -> None:
    latin = await run_goto(page, site + "/goto/latin1")
    assert latin.body == site_module.GOTO_LATIN1
    assert await js(page, "document.querySelector('#t').textContent") == "Café crème © ½ ÿ €Ÿ"
    sjis = await run_goto(page, site + "/goto/sjis")
    assert sjis.body == site_module.GOTO_SJIS


async def test_compressed_bodies_are_decoded(page: Page, site: str) -> None:
    for path in ("/goto/gzip", "/goto/br"):
        answer = await run_goto(page, site + path)
        assert ["Content-Encoding", path.rsplit("/", 1)[1]] in answer.headers
        assert answer.body == site_module.GOTO_TEXT


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
async def test_every_server_redirect_code(page: Page, site: str, code: int) -> None:
    url = f"{site}/goto/redirect/{code}?to=/goto/landing"
    answer = await run_goto(page, url)
    plain = await fetch(url)
    assert_same_exchange(answer, plain)
    assert answer.redirects == [
        {
            "url": url,
            "location": site + "/goto/landing",
            "side": "server",
            "type": "permanent" if code in (301, 308) else "temporary",
        }
    ]


@pytest.mark.parametrize(("code", "kept"), [(307, True), (308, True), (303, False), (302, False)])
async def test_redirects_keep_or_drop_method_and_body_like_a_plain_client(
    page: Page, site: str, code: int, kept: bool
) -> None:
    url = f"{site}/goto/redirect/{code}?to=/goto/method"
    payload = b"name=value&x=" + bytes(range(32, 127))
    answer = await run_goto(page, url, method="POST", body=payload)
    plain = await fetch(url, method="POST", body=payload)
    assert_same_exchange(answer, plain)
    expected = (
        f"POST {len(payload)} {hashlib.sha256(payload).hexdigest()}"
        if kept
        else f"GET 0 {hashlib.sha256(b'').hexdigest()}"
    )
    assert answer.body == expected.encode()


async def test_redirect_hops_that_set_cookies(page: Page, site: str) -> None:
    url = site + "/goto/cookie-hops"
    answer = await run_goto(page, url)
    plain = await fetch(url)
    assert_same_exchange(answer, plain)
    names = [cookie["name"] for cookie in answer.cookies]
    assert names == ["first", "lax", "dated", "last", "gone", "strict"]
    by_name = {cookie["name"]: cookie for cookie in answer.cookies}
    assert by_name["first"]["http_only"] is True
    assert by_name["lax"]["same_site"] == "Lax"
    assert by_name["lax"]["path"] == "/goto"
    assert by_name["dated"]["expires"] == "2037-10-21T07:28:00Z"
    assert by_name["last"]["expires"] is None
    assert by_name["last"]["path"] == "/goto/cookie-hops"
    assert by_name["strict"]["secure"] is True
    # The browser's jar got them too, all but the expired one (a Secure cookie
    # is accepted from 127.0.0.1, which browsers treat as a secure origin).
    jar = await page.cdp.send("Network.getCookies", {"urls": [site + "/goto/cookie-hops/3"]})
    assert {c["name"] for c in jar["cookies"]} == {"first", "lax", "dated", "last", "strict"}


async def test_header_lines_keep_order_repeats_and_every_set_cookie(page: Page, site: str) -> None:
    answer = await run_goto(page, site + "/goto/headers")
    names = [name for name, _ in answer.headers]
    assert names[:8] == [
        "X-Zeta",
        "Content-Type",
        "X-Multi",
        "X-Alpha",
        "X-Multi",
        "Set-Cookie",
        "Set-Cookie",
        "Cache-Control",
    ]
    assert ["X-Alpha", "a,  b"] in answer.headers
    assert [c["name"] for c in answer.cookies] == ["a", "b"]


async def test_chain_at_the_limit_passes(page: Page, site: str) -> None:
    url = site + "/goto/chain/10"
    answer = await run_goto(page, url, max_redirects=10)
    plain = await fetch(url)
    assert_same_exchange(answer, plain)
    assert len(answer.redirects) == 10


async def test_chain_past_the_limit_is_310_and_the_page_is_usable(page: Page, site: str) -> None:
    with pytest.raises(TooManyRedirects) as caught:
        await run_goto(page, site + "/goto/chain/11", max_redirects=10)
    assert caught.value.code == 310
    answer = await run_goto(page, site + "/goto/page")
    assert answer.status_code == 200
    assert await js(page, "document.querySelector('#where').textContent") == "page"


async def test_max_redirects_zero_refuses_any_redirect(page: Page, site: str) -> None:
    with pytest.raises(TooManyRedirects):
        await run_goto(page, site + "/goto/chain/1", max_redirects=0)
    answer = await run_goto(page, site + "/goto/chain/0", max_redirects=0)
    assert answer.status_code == 200


async def test_head_has_no_body(page: Page, site: str) -> None:
    answer = await run_goto(page, site + "/goto/page", method="HEAD")
    plain = await fetch(site + "/goto/page", method="HEAD")
    assert_same_exchange(answer, plain)
    assert answer.body is None


async def test_204_has_no_body_and_leaves_the_page(page: Page, site: str) -> None:
    await run_goto(page, site + "/goto/page")
    answer = await run_goto(page, site + "/goto/no-content")
    plain = await fetch(site + "/goto/no-content")
    assert_same_exchange(answer, plain)
    assert answer.body is None
    assert await js(page, "location.pathname") == "/goto/page"


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"])
async def test_every_browser_method(page: Page, site: str, method: str) -> None:
    payload = None if method == "GET" else f"payload of {method}".encode()
    answer = await run_goto(page, site + "/goto/method", method=method, body=payload)
    plain = await fetch(site + "/goto/method", method=method, body=payload)
    assert_same_exchange(answer, plain)
    assert answer.body is not None
    assert answer.body.startswith(method.encode() + b" ")


async def test_large_body_is_whole(page: Page, site: str) -> None:
    size = 5_000_000
    answer = await run_goto(page, f"{site}/goto/large?size={size}")
    assert answer.body == site_module.goto_large_body(size)


async def test_extra_headers_reach_every_redirect_hop(page: Page, site: str) -> None:
    url = site + "/goto/redirect/302?to=/goto/echo"
    answer = await run_goto(page, url, headers=[("X-Custom", "yes"), ("Accept", "text/x-mine")])
    assert answer.body is not None
    seen = {name.lower(): value for name, value in json.loads(answer.body)["headers"]}
    assert seen["x-custom"] == "yes"
    assert seen["accept"] == "text/x-mine"


async def test_307_keeps_method_body_and_headers(page: Page, site: str) -> None:
    url = site + "/goto/redirect/307?to=/goto/echo"
    answer = await run_goto(
        page,
        url,
        method="PUT",
        body=b'{"a": 1}',
        headers=[("Content-Type", "application/json"), ("X-Custom", "yes")],
    )
    assert answer.body is not None
    seen = json.loads(answer.body)
    headers = {name.lower(): value for name, value in seen["headers"]}
    assert (seen["method"], seen["body"]) == ("PUT", '{"a": 1}')
    assert headers["content-type"] == "application/json"
    assert headers["x-custom"] == "yes"


async def test_about_blank_and_data_urls(page: Page, site: str) -> None:
    await run_goto(page, site + "/goto/page")
    blank = await run_goto(page, "about:blank")
    assert (blank.url, blank.status_code, blank.body) == ("about:blank", 200, None)
    assert await js(page, "location.href") == "about:blank"
    data = await run_goto(page, "data:text/html,<p id='where'>inline</p>")
    assert data.status_code == 200
    assert data.body == b"<p id='where'>inline</p>"
    assert data.content_type == "text/html"
    assert await js(page, "document.querySelector('#where').textContent") == "inline"


async def test_cookies_sent_with_the_goto_reach_the_server(page: Page, site: str) -> None:
    answer = await run_goto(
        page,
        site + "/goto/echo",
        cookies=[{"name": "a", "value": "1"}, {"name": "b", "value": "2", "path": "/goto"}],
    )
    assert answer.body is not None
    seen = {name.lower(): value for name, value in json.loads(answer.body)["headers"]}
    assert sorted(seen["cookie"].split("; ")) == ["a=1", "b=2"]
