"""Every action through the WebSocket, on real Chromium against the local site."""

from __future__ import annotations

import asyncio
import base64
import json

import aiohttp
import pytest

from .conftest import connect, running_server


async def test_goto_answers_with_every_field(server: str, site: str) -> None:
    async with connect(server) as client:
        reply = await client.call({"action": "goto", "url": site + "/"})
    assert reply["action"] == "goto"
    assert reply["url"] == site + "/"
    assert reply["status_code"] == 200
    assert reply["content_type"] == "text/html"
    assert ["Content-Type", "text/html; charset=utf-8"] in reply["headers"]
    assert b"Hello, inndx" in base64.b64decode(reply["body"])
    assert reply["redirects"] == []
    assert reply["cookies"] == []
    assert set(reply) == {
        "action",
        "url",
        "status_code",
        "headers",
        "cookies",
        "body",
        "redirects",
        "content_type",
    }


async def test_goto_404_is_an_answer(server: str, site: str) -> None:
    async with connect(server) as client:
        reply = await client.call({"action": "goto", "url": site + "/status/404"})
    assert reply["action"] == "goto"
    assert reply["status_code"] == 404


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "chrome://version",
        "javascript:alert(1)",
        "view-source:http://x/",
        "devtools://x",
        "ftp://x/",
        "/relative",
    ],
)
async def test_goto_refuses_other_schemes_and_page_is_untouched(
    server: str, site: str, url: str
) -> None:
    async with connect(server) as client:
        await client.call({"action": "goto", "url": site + "/"})
        reply = await client.call({"action": "goto", "url": url, "id": 7})
        assert reply["type"] == "error"
        assert reply["code"] == 400
        assert reply["id"] == 7
        assert "url" in reply["message"]
        still = await client.call({"action": "evaluate", "script": "location.href"})
        assert still["result"] == site + "/"


async def test_goto_unreachable_port_is_502_with_net_error(server: str) -> None:
    async with connect(server, {"max_retries": 0}) as client:
        reply = await client.call({"action": "goto", "url": "http://127.0.0.1:9/"})
    assert reply["type"] == "error"
    assert reply["code"] == 502
    assert "net::ERR_" in reply["message"]


async def test_goto_method_body_headers_cookies_referrer(server: str, site: str) -> None:
    body = base64.b64encode(b"a=1&b=2").decode()
    async with connect(server) as client:
        reply = await client.call(
            {
                "action": "goto",
                "url": site + "/echo",
                "method": "POST",
                "body": body,
                "headers": [
                    ["X-Custom", "yes"],
                    ["Content-Type", "application/x-www-form-urlencoded"],
                ],
                "cookies": [{"name": "sid", "value": "s3cret"}],
                "referrer": site + "/from",
                "user_agent": "my-agent/1.0",
            }
        )
    page = base64.b64decode(reply["body"]).decode()
    assert reply["status_code"] == 200
    assert "<p id='method'>POST</p>" in page
    assert "a=1&amp;b=2" in page or "a=1&b=2" in page
    assert "x-custom: yes" in page.lower()
    assert "sid=s3cret" in page
    assert f"referer: {site}/from" in page.lower()
    assert "user-agent: my-agent/1.0" in page.lower()


async def test_goto_invalid_base64_body_is_400(server: str, site: str) -> None:
    async with connect(server) as client:
        reply = await client.call(
            {"action": "goto", "url": site + "/echo", "method": "POST", "body": "***"}
        )
    assert reply["code"] == 400
    assert "body" in reply["message"]


async def test_click_fill_content_evaluate_screenshot(server: str, site: str) -> None:
    async with connect(server) as client:
        await client.call({"action": "goto", "url": site + "/e2e/form"})
        assert await client.call({"action": "fill", "selector": "#name", "value": "Ada"}) == {
            "action": "filled"
        }
        assert await client.call({"action": "click", "selector": "#go"}) == {"action": "clicked"}
        evaluated = await client.call(
            {"action": "evaluate", "script": "document.querySelector('#out').textContent"}
        )
        assert evaluated == {"action": "evaluated", "result": "hello Ada"}
        content = await client.call({"action": "content"})
        html = base64.b64decode(content["content"]).decode()
        assert html.startswith("<!DOCTYPE html>")
        assert "hello Ada" in html
        shot = await client.call({"action": "screenshot"})
        assert base64.b64decode(shot["screenshot"])[:8] == b"\x89PNG\r\n\x1a\n"


async def test_error_codes_keep_the_session_usable(server: str, site: str) -> None:
    async with connect(server, {"timeout": "1s"}) as client:
        await client.call({"action": "goto", "url": site + "/e2e/form"})
        cases = [
            ({"action": "click", "selector": "#missing"}, 404),
            ({"action": "click", "selector": "#hidden"}, 409),
            ({"action": "click", "selector": "div["}, 400),
            ({"action": "evaluate", "script": "throw new Error('boom')"}, 422),
            ({"action": "evaluate", "script": "while (true) {}"}, 408),
            ({"action": "jump"}, 400),
            ({"action": "click"}, 400),
            ({"action": "goto", "url": site + "/", "extra": 1}, 400),
        ]
        for number, (frame, code) in enumerate(cases):
            reply = await client.call({**frame, "id": number})
            assert reply["type"] == "error", reply
            assert reply["code"] == code, reply
            assert reply["id"] == number
            assert reply["message"]
        alive = await client.call({"action": "evaluate", "script": "6 * 7"})
        assert alive == {"action": "evaluated", "result": 42}


async def test_malformed_frames_are_400_and_session_goes_on(server: str) -> None:
    async with connect(server) as client:
        for raw in [
            "",
            "{",
            "[]",
            "null",
            "42",
            '{"action": 5}',
            '{"id": 3}',
            '{"action":"content","id":{}}',
        ]:
            await client.send(raw)
            reply = await client.recv()
            assert (reply["type"], reply["code"]) == ("error", 400), (raw, reply)
        await client.ws.send_bytes(b"\xff\x00")
        reply = await client.recv()
        assert reply["code"] == 400
        assert "binary" in reply["message"]
        assert (await client.call({"action": "evaluate", "script": "1"}))["result"] == 1


async def test_pipelined_frames_answer_in_order_with_ids(server: str, site: str) -> None:
    async with connect(server, {"timeout": "2s"}) as client:
        frames = [
            {"action": "goto", "url": site + "/", "id": "a"},
            {"action": "evaluate", "script": "document.title", "id": "b"},
            {"action": "click", "selector": "#nope", "id": "c"},
            {"action": "evaluate", "script": "2 + 2", "id": 4},
            {"action": "content", "id": "e"},
        ]
        async with asyncio.timeout(20):
            for frame in frames:
                await client.send(frame)
            replies = [await client.recv() for _ in frames]
    assert [r["id"] for r in replies] == ["a", "b", "c", 4, "e"]
    assert replies[1]["result"] == "index"
    assert replies[3]["result"] == 4


async def test_frames_without_id_carry_no_id(server: str) -> None:
    async with connect(server) as client:
        reply = await client.call({"action": "evaluate", "script": "'x'"})
    assert reply == {"action": "evaluated", "result": "x"}


async def test_sessions_do_not_share_cookies(server: str, site: str) -> None:
    async with connect(server) as first, connect(server) as second:
        await first.call({"action": "goto", "url": site + "/e2e/set-cookie"})
        mine = await first.call({"action": "evaluate", "script": "document.cookie"})
        await second.call({"action": "goto", "url": site + "/"})
        theirs = await second.call({"action": "evaluate", "script": "document.cookie"})
    assert "flavour=oat" in mine["result"]
    assert theirs["result"] == ""


async def test_close_answers_closed_then_closes_1000(server: str) -> None:
    async with connect(server) as client:
        assert await client.call({"action": "close", "id": 1}) == {"action": "closed", "id": 1}
        assert await client.closed() == 1000


async def test_oversized_frame_is_413_and_session_goes_on() -> None:
    async with running_server(max_frame_bytes=4096) as served, connect(served.url) as client:
        big = json.dumps({"action": "evaluate", "script": "'" + "x" * 5000 + "'"})
        await client.send(big)
        reply = await client.recv()
        assert reply["type"] == "error"
        assert reply["code"] == 413
        assert (await client.call({"action": "evaluate", "script": "1"}))["result"] == 1


async def test_too_many_queued_frames_is_429() -> None:
    async with running_server(max_queued_frames=2) as served, connect(served.url) as client:
        await client.send(
            {"action": "evaluate", "script": "new Promise(r => setTimeout(r, 500))", "id": 0}
        )
        for n in range(1, 6):
            await client.send({"action": "evaluate", "script": "1", "id": n})
        replies = [await client.recv() for _ in range(6)]
    refused = [r for r in replies if r.get("code") == 429]
    assert refused, replies
    assert all(r["type"] == "error" and "id" in r for r in refused)
    answered = [r for r in replies if r.get("action") == "evaluated"]
    assert len(answered) + len(refused) == 6


async def test_abrupt_disconnects_leave_no_context() -> None:
    async with running_server(warm_pages=1) as served:
        await asyncio.sleep(0.3)  # let the warm set fill
        baseline = await served.contexts()
        async with aiohttp.ClientSession() as http:
            for _ in range(5):
                ws = await http.ws_connect(served.url, headers={"X-Tenant-Id": "acme"})
                await ws.send_str("{}")
                await ws.receive(timeout=10)
                await ws.send_str(
                    json.dumps(
                        {"action": "evaluate", "script": "new Promise(r => setTimeout(r, 200))"}
                    )
                )
                await ws.close()  # gone without a close frame
        for _ in range(50):  # the server notices each disconnect and disposes the context
            if await served.contexts() <= baseline:
                break
            await asyncio.sleep(0.1)
        assert await served.contexts() <= baseline
