"""Frame fuzzing: random and mutated frames at the decoder and at a live session.

Every frame must get exactly one answer: an action's answer, or an error
frame with a documented code; the session must still work afterwards and the
server must never fall over. The number of examples is small by default (a
CI run); ``INNDX_CDP_FUZZ_EXAMPLES=20000`` runs that many decoder examples and
a tenth as many live sessions (each sends up to six frames).

Nothing leaves the machine: the live server's egress policy denies every
address but 127.0.0.1 and its guard resolves no names.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from inndx_cdp.errors import BadFrame
from inndx_cdp.protocol import CloseFrame, decode_action, decode_open

from ..server.conftest import Client, Served, running_server
from .conftest import Hostile
from .helpers import everything_but_loopback, no_names

EXAMPLES = int(os.environ.get("INNDX_CDP_FUZZ_EXAMPLES") or 0)
DECODER_EXAMPLES = EXAMPLES or 300
LIVE_EXAMPLES = EXAMPLES // 10 or 40

# Codes an error frame may carry after the handshake (README, "Error codes").
DOCUMENTED = {400, 404, 408, 409, 413, 422, 429, 310, 502}
ANSWERS = {"goto", "clicked", "filled", "content", "evaluated", "screenshot"}
FRAME_LIMIT = 64 * 1024

FUZZ_SETTINGS = settings(
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- strategies ------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

ACTIONS = [
    "goto",
    "click",
    "fill",
    "content",
    "evaluate",
    "screenshot",
    "close",
    "",
    "GOTO",
    "open",
]
URLS = [
    "{site}/",
    "{site}/redirect?to={site}/",
    "about:blank",
    "data:text/html,<p id=x>x</p>",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "chrome://version",
    "http://127.0.0.1:1/",
    "http://[::1",
    "http://a b/",
    "",
]
SELECTORS = ["#missing", "p", "body", "<<", "a[href", "#x", "*", "::before", "input" * 50]
SCRIPTS = [
    "1 + 1",
    "throw new Error('x')",
    "throw 'x'.repeat(100000)",
    "({a: [1, {b: null}]})",
    "undefined",
    "NaN",
    "'\\ud800'",
    "for (;;) {}",
    "new Promise(() => {})",
    "() => document.title",
    "async () => { await 0; return 7 }",
    "document.body.innerHTML = 'x'.repeat(5000)",
    "Symbol()",
    "10n ** 100n",
    "x y z",
    "location.href",
]
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.integers() | st.text(max_size=10) | json_values,
    "url": st.sampled_from(URLS) | st.text(max_size=30),
    "method": st.sampled_from(["GET", "POST", "HEAD", "TRACE", "CONNECT", "", "G E T"])
    | json_values,
    "body": st.sampled_from(["aGVsbG8=", "not base64!", ""]) | json_values,
    "headers": st.lists(st.lists(st.text(max_size=10), max_size=3), max_size=3) | json_values,
    "cookies": st.lists(
        st.dictionaries(st.sampled_from(["name", "value", "domain", "expires"]), scalars),
        max_size=2,
    )
    | json_values,
    "user_agent": st.sampled_from(["chrome", "firefox", "random", ""]) | json_values,
    "selector": st.sampled_from(SELECTORS) | st.text(max_size=20) | json_values,
    "value": st.text(max_size=20) | json_values,
    "script": st.sampled_from(SCRIPTS) | st.text(max_size=30) | json_values,
    "full_page": st.booleans() | json_values,
    "format": st.sampled_from(["png", "jpeg", "webp", "gif"]) | json_values,
    "quality": st.integers(min_value=-5, max_value=105) | json_values,
    "referrer": st.sampled_from(URLS) | json_values,
    "timeout": st.sampled_from(["1s", "0", "-1s", "1h"]) | json_values,
}

frame_objects = st.fixed_dictionaries(
    {"action": st.sampled_from(ACTIONS) | json_values},
    optional={name: values for name, values in FIELD_VALUES.items()} | {"extra": json_values},
)


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """One byte-level edit of a frame's JSON text, the kind a broken client makes."""
    how = draw(st.sampled_from(["truncate", "insert", "delete", "duplicate-key", "wrap", "case"]))
    where = draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)))
    if how == "truncate":
        return text[:where]
    if how == "insert":
        return text[:where] + draw(st.characters(codec="utf-8")) + text[where:]
    if how == "delete":
        return text[:where] + text[where + 1 :]
    if how == "duplicate-key" and text.startswith("{") and len(text) > 2:
        return '{"action": "content", ' + text[1:]
    if how == "wrap":
        return f"[{text}]"
    return text.swapcase()


SPECIAL = [
    "",
    " ",
    "null",
    "[]",
    "{}",
    "\ufeff{}",
    '{"action": "evaluate", "script": "1"}\u0000',
    '{"action": 1e999999}',
    '{"action": "screenshot", "quality": ' + "9" * 5000 + "}",
    '{"action": "evaluate", "script": "1", "id": ' + "1" * 5000 + "}",
    '{"action": "evaluate", "script": "1", "id": 1e400}',
    '{"action": "evaluate", "script": "1", "id": -0.0}',
    '{"action": "evaluate", "script": "\\ud800"}',
    '{"action": "evaluate", "action": "content"}',
    '{"action": "click", "selector": "' + "a" * 100_000 + '"}',
    '{"action": "evaluate", "script": "' + "x" * (2 * FRAME_LIMIT) + '"}',
    "[" * 100_000 + "]" * 100_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"action": "goto", "url": "' + "\\u0000" * 1000 + '"}',
]


@st.composite
def frame_texts(draw: st.DrawFn, site: str = "http://127.0.0.1:9") -> str:
    kind = draw(st.sampled_from(["object", "mutated", "value", "text", "special"]))
    if kind == "special":
        return draw(st.sampled_from(SPECIAL))
    if kind == "text":
        return draw(st.text(max_size=60))
    if kind == "value":
        return json.dumps(draw(json_values))
    frame = draw(frame_objects)
    if isinstance(frame.get("url"), str):
        frame["url"] = frame["url"].replace("{site}", site)
    text = json.dumps(frame, ensure_ascii=draw(st.booleans()))
    return draw(mutated(text)) if kind == "mutated" else text


# --- the decoder -------------------------------------------------------------------


@settings(FUZZ_SETTINGS, max_examples=DECODER_EXAMPLES)
@given(data=frame_texts() | st.binary(max_size=200))
def test_the_decoder_accepts_or_names_the_problem(data: str | bytes) -> None:
    for decode in (decode_action, decode_open):
        try:
            decode(data)
        except BadFrame as exc:
            error = exc
        else:
            continue
        assert error.code == 400
        # One line or two, never the whole input echoed back.
        assert 0 < len(error.message) <= 2000


# --- a live session ----------------------------------------------------------------


@pytest.fixture(scope="module")
async def fuzz_server() -> AsyncIterator[Served]:
    async with running_server(
        egress_deny=everything_but_loopback(),
        max_frame_bytes=FRAME_LIMIT,
        max_answer_bytes=FRAME_LIMIT * 4,
    ) as served:
        assert served.pool.egress is not None
        served.pool.egress.resolver = no_names
        yield served


def is_close(text: str) -> bool:
    try:
        return isinstance(decode_action(text), CloseFrame)
    except BadFrame:
        return False


def check_answer(reply: dict[str, Any], sent: str | bytes) -> None:
    shown = repr(sent[:200])
    if "type" in reply:
        assert reply["type"] == "error", (reply, shown)
        assert reply["code"] in DOCUMENTED, (reply, shown)
        assert isinstance(reply["message"], str), (reply, shown)
        assert len(reply["message"]) <= 2000, shown
    else:
        assert reply.get("action") in ANSWERS, (reply, shown)


messages = st.lists(
    st.one_of(
        frame_texts(site="{site}"),
        st.binary(max_size=64),
        st.builds(lambda t: t.encode(), frame_texts(site="{site}")),
    ),
    min_size=1,
    max_size=6,
)


@settings(FUZZ_SETTINGS, max_examples=LIVE_EXAMPLES)
@given(batch=messages)
# Found by this test: a page's lone surrogate made the answer unencodable and
# silently stopped the session's worker.
@example(batch=['{"action": "evaluate", "script": "\'\\ud800\'"}'])
@example(batch=['{"action": "evaluate", "script": "throw \'\\udfff\' + \'x\'.repeat(1e6)"}'])
@example(batch=["", b"", "[" * 100_000 + "]" * 100_000, b"\x00\xff"])
async def test_a_live_session_answers_every_frame_and_survives(
    fuzz_server: Served, hostile: Hostile, batch: list[str | bytes]
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(fuzz_server.url, headers={"X-Tenant-Id": "fuzz"}) as ws,
    ):
        client = Client(ws)
        opened = await client.call({"timeout": "500ms", "max_retries": 0, "max_redirects": 2})
        assert "session_id" in opened, opened
        for message in batch:
            if isinstance(message, str):
                message = message.replace("{site}", hostile.allowed)
                if is_close(message):
                    continue
                await ws.send_str(message)
            else:
                await ws.send_bytes(message)
            check_answer(await client.recv(timeout=30), message)
        probe = await client.call({"action": "evaluate", "script": "6 * 7", "id": "probe"}, 30)
        assert probe == {"action": "evaluated", "result": 42, "id": "probe"}


async def test_invalid_utf8_in_a_text_frame_closes_that_socket_only(fuzz_server: Served) -> None:
    """RFC 6455 requires failing the connection (1007); the server and others go on."""
    async with aiohttp.ClientSession() as http:
        bystander = Client(await http.ws_connect(fuzz_server.url, headers={"X-Tenant-Id": "b"}))
        assert "session_id" in await bystander.call({})
        for payload in (b'{"action": "content"}\xff', b"\xc3\x28", b"\xed\xa0\x80"):
            async with http.ws_connect(fuzz_server.url, headers={"X-Tenant-Id": "a"}) as ws:
                client = Client(ws)
                assert "session_id" in await client.call({})
                await ws.send_frame(payload, aiohttp.WSMsgType.TEXT)
                assert await client.closed(timeout=10) == aiohttp.WSCloseCode.INVALID_TEXT
        reply = await bystander.call({"action": "evaluate", "script": "1 + 1"})
        assert reply["result"] == 2
        await bystander.ws.close()
    async with (
        http_client() as http,
        http.get(fuzz_server.url.replace("ws://", "http://").split("/v1/")[0] + "/healthz") as r,
    ):
        assert r.status == 200


def http_client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()
