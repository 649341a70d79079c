"""decode_open, decode_action, encode and check_open_limits: the wire contract."""

from __future__ import annotations

import json
from typing import Any

import pytest

from inndx_cdp.errors import BadFrame
from inndx_cdp.protocol import (
    ClickedReply,
    ClosedReply,
    ContentReply,
    Cookie,
    ErrorFrame,
    EvaluatedReply,
    EvaluateFrame,
    FilledReply,
    GotoFrame,
    GotoReply,
    OpenFrame,
    OpenReply,
    Redirect,
    ScreenshotReply,
    check_open_limits,
    decode_action,
    decode_open,
    encode,
)
from inndx_cdp.protocol import codec as codec_module

# What a client-facing message must never contain.
_LEAKS = ("pydantic", "errors.pydantic.dev", "http://", "https://", "Input should", "type=", "\n")


def _bad_action(data: str | bytes) -> BadFrame:
    with pytest.raises(BadFrame) as info:
        decode_action(data)
    _assert_clean(info.value)
    return info.value


def _bad_open(data: str | bytes) -> BadFrame:
    with pytest.raises(BadFrame) as info:
        decode_open(data)
    _assert_clean(info.value)
    assert info.value.frame_id is None  # an open frame has no id to echo
    return info.value


def _assert_clean(error: BadFrame) -> None:
    assert error.code == 400
    assert error.message == str(error)
    for leak in _LEAKS:
        assert leak not in error.message, (leak, error.message)


# --- decoding good frames -------------------------------------------------------------


@pytest.mark.parametrize("as_bytes", [False, True])
def test_decode_action_from_text_or_bytes(as_bytes: bool) -> None:
    text = '{"action": "evaluate", "script": "document.title", "id": "e1"}'
    frame = decode_action(text.encode() if as_bytes else text)
    assert frame == EvaluateFrame(action="evaluate", script="document.title", id="e1")


def test_decode_open_full_frame() -> None:
    frame = decode_open(
        json.dumps(
            {
                "client": {"kind": "chrome", "viewport": {"width": 800, "height": 600}},
                "middleware": [{"kind": "block", "resource_types": ["Image"]}],
                "proxies": ["eu-1"],
                "timeout": "1m30s",
                "max_redirects": 0,
                "max_retries": 0,
            }
        ).encode()
    )
    assert frame.client.kind == "chrome"
    assert frame.timeout == 90.0
    assert (frame.max_redirects, frame.max_retries) == (0, 0)
    assert frame.proxies == ["eu-1"]


def test_decode_open_reference_example() -> None:
    frame = decode_open('{ "proxies": [], "timeout": "30s" }')
    assert frame == OpenFrame()


def test_non_ascii_text_survives() -> None:
    frame = decode_action('{"action":"fill","selector":"#q","value":"café 日本 \\ud83d\\ude00"}')
    assert frame.value == "café 日本 😀"  # type: ignore[union-attr]


def test_duplicate_keys_last_wins() -> None:
    # Same as json.loads: the last occurrence of a key is the one used.
    frame = decode_action('{"action":"click","selector":"a","selector":"b"}')
    assert frame.selector == "b"  # type: ignore[union-attr]


# --- decoding bad action frames ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment", "frame_id"),
    [
        # Not JSON, not text, not an object.
        ("", "frame is not valid JSON: ", None),
        ("{", "frame is not valid JSON: ", None),
        ('{"action": "close"} trailing', "frame is not valid JSON: trailing characters", None),
        ("{'action': 'close'}", "frame is not valid JSON: ", None),
        (b"\xff\xfe\x00garbage", "frame is not valid UTF-8", None),
        (b'{"action":"close","id":"\xc3\x28"}', "frame is not valid UTF-8", None),
        ('{"action":"close","id":"\ud800"}', "frame is not valid UTF-8", None),
        ("[]", "frame must be a JSON object, not an array", None),
        ('"close"', "frame must be a JSON object, not a string", None),
        ("42", "frame must be a JSON object, not a number", None),
        ("null", "frame must be a JSON object, not null", None),
        # The tag.
        ("{}", "missing field 'action'", None),
        ('{"id": 9, "url": "x"}', "missing field 'action'", 9),
        (
            '{"action": "scroll", "id": "s"}',
            "unknown action 'scroll' (accepted: goto, click, ",
            "s",
        ),
        ('{"action": 3}', "unknown action 3 (accepted: goto, click, fill, content, evaluate", None),
        ('{"action": null}', "unknown action null", None),
        # Fields.
        ('{"action": "goto", "id": 1}', "missing field 'url' in goto frame", 1),
        ('{"action": "goto", "url": "x", "foo": 1}', "unknown field 'foo' in goto frame", None),
        ('{"action": "close", "foo": 1}', "(accepted: action, id)", None),
        (
            '{"action": "goto", "url": 5, "id": "g"}',
            "field 'url' in goto frame: must be a string",
            "g",
        ),
        (
            '{"action": "goto", "url": "x", "method": "get"}',
            "field 'method' in goto frame: must be",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "body": "abc"}',
            "field 'body' in goto frame: must be valid base64",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "headers": [["a b", "1"]]}',
            "field 'headers[0][0]' in goto frame: invalid header name",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "headers": [["a", "1\\r\\n"]]}',
            "field 'headers[0][1]' in goto frame: invalid header value",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "headers": [["a"]]}',
            "field 'headers[0]' in goto frame: must be a [name, value] pair",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "headers": [["a", "b", "c"]]}',
            "field 'headers[0]' in goto frame: must be a [name, value] pair",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "headers": {"a": "b"}}',
            "field 'headers' in goto frame: must be an array, not an object",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "cookies": [{"name": "a"}]}',
            "missing field 'cookies[0].value' in goto frame",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "cookies": [{"name": "a", "value": "b", "x": 1}]}',
            "unknown field 'cookies[0].x' in goto frame (accepted: name, value, domain",
            None,
        ),
        (
            '{"action": "goto", "url": "x", "cookies": [{"name": "a", "value": "b", "expires": '
            '"soon"}]}',
            "field 'cookies[0].expires' in goto frame: not an RFC 3339 date-time",
            None,
        ),
        (
            '{"action": "click", "selector": ""}',
            "field 'selector' in click frame: must not be empty",
            None,
        ),
        (
            '{"action": "fill", "selector": "a", "value": 5}',
            "field 'value' in fill frame: must be a string, not a number",
            None,
        ),
        (
            '{"action": "evaluate", "script": ["1"]}',
            "field 'script' in evaluate frame: must be a string, not an array",
            None,
        ),
        (
            '{"action": "screenshot", "quality": 50}',
            "field 'quality' in screenshot frame: quality is only allowed with format jpeg or webp",
            None,
        ),
        (
            '{"action": "screenshot", "format": "jpeg", "quality": 101}',
            "field 'quality' in screenshot frame: must be <= 100, not 101",
            None,
        ),
        (
            '{"action": "screenshot", "full_page": "yes"}',
            "field 'full_page' in screenshot frame: must be a boolean, not a string",
            None,
        ),
        (
            '{"action": "screenshot", "full_page": true, "selector": "a"}',
            "screenshot frame: full_page and selector cannot be used together",
            None,
        ),
        # Ids that cannot be echoed.
        (
            '{"action": "close", "id": true}',
            "field 'id' in close frame: must be a string or a 64-bit integer",
            None,
        ),
        (
            '{"action": "close", "id": 1.5}',
            "field 'id' in close frame: must be a string or a 64-bit integer",
            None,
        ),
        ('{"action": "close", "id": 99999999999999999999999}', "field 'id' in close frame", None),
        ('{"action": "close", "id": {"a": 1}}', "field 'id' in close frame", None),
    ],
)
def test_bad_action_frames(data: str | bytes, fragment: str, frame_id: str | int | None) -> None:
    error = _bad_action(data)
    assert fragment in error.message
    assert error.frame_id == frame_id


def test_several_problems_are_counted() -> None:
    error = _bad_action('{"action": "goto", "foo": 1, "bar": 2, "id": "m"}')
    assert error.message.startswith("missing field 'url' in goto frame")
    assert error.message.endswith("(and 2 more problems)")
    assert error.frame_id == "m"


def test_long_values_are_cut_in_messages() -> None:
    error = _bad_action(json.dumps({"action": "goto", "url": "x", "method": "P" * 5000}))
    assert len(error.message) < 400
    assert "..." in error.message


def test_deep_nesting_is_a_bad_frame() -> None:
    deep = '{"action": "goto", "id": 4, "url": "x", "foo": ' + "[" * 5000 + "]" * 5000 + "}"
    error = _bad_action(deep)
    assert "frame is not valid JSON: recursion limit exceeded" in error.message


def test_recursion_error_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding:
        def validate_json(self, data: object) -> object:
            raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(codec_module, "_ACTION_ADAPTER", Exploding())
    error = _bad_action('{"action": "close", "id": "r"}')
    assert error.message == "frame is nested too deeply"
    assert error.frame_id == "r"


def test_huge_numbers() -> None:
    error = _bad_action('{"action": "close", "id": ' + "9" * 5000 + "}")
    assert "frame is not valid JSON: number out of range" in error.message
    error = _bad_action('{"action": "screenshot", "format": "jpeg", "quality": 1e400}')
    assert "field 'quality' in screenshot frame: must be an integer" in error.message


def test_bad_frame_is_a_value_error_without_a_cause() -> None:
    error = _bad_action("{}")
    assert isinstance(error, ValueError)
    # Suppressed, so logging the error does not drag the whole input along.
    assert error.__cause__ is None
    assert error.__suppress_context__


# --- decoding bad open frames ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("", "frame is not valid JSON"),
        (b"\x80", "frame is not valid UTF-8"),
        ("[]", "open frame must be a JSON object, not an array"),
        (
            '{"action": "goto", "url": "x"}',
            "unknown field 'action' in open frame: the first frame must be the open frame "
            "(accepted: client, middleware, proxies, timeout, max_redirects, max_retries)",
        ),
        ('{"id": 1}', "unknown field 'id' in open frame (accepted: client, middleware"),
        (
            '{"timeout": "5d"}',
            "field 'timeout' in open frame: duration '5d' has an unknown unit 'd' (accepted: h, "
            "m, s, ms, us, ns)",
        ),
        ('{"timeout": "abc"}', "field 'timeout' in open frame: duration 'abc' is not valid"),
        ('{"timeout": 0}', "field 'timeout' in open frame: duration must be greater than zero"),
        ('{"timeout": "-1s"}', "field 'timeout' in open frame: duration '-1s' is negative"),
        (
            '{"timeout": true}',
            "field 'timeout' in open frame: duration must be a string or a number, not a boolean",
        ),
        ('{"timeout": null}', "field 'timeout' in open frame: duration must be a string"),
        ('{"timeout": 1e400}', "field 'timeout' in open frame: duration must be a finite number"),
        ('{"max_redirects": -1}', "field 'max_redirects' in open frame: must be >= 0, not -1"),
        (
            '{"max_retries": "3"}',
            "field 'max_retries' in open frame: must be an integer, not a string",
        ),
        (
            '{"max_retries": 1.5}',
            "field 'max_retries' in open frame: must be an integer, not a number",
        ),
        (
            '{"max_retries": 100000000000000000000000000000}',
            "field 'max_retries' in open frame: must be <= 2147483647, "
            "not 100000000000000000000000000000",
        ),
        (
            '{"max_retries": 1' + "0" * 60 + "}",
            "field 'max_retries' in open frame: must be <= 2147483647, not a huge number",
        ),
        (
            '{"client": "firefox"}',
            "field 'client.kind' in open frame: unknown client kind 'firefox' (accepted: "
            "standard, chrome)",
        ),
        ('{"client": {"kind": "edge"}}', "unknown client kind 'edge' (accepted: standard, chrome)"),
        (
            '{"client": 5}',
            "field 'client' in open frame: must be a client kind (standard, chrome) or an object",
        ),
        (
            '{"client": {"kind": "chrome", "stealth": true}}',
            "unknown field 'client.stealth' in open frame (accepted: kind, viewport, locale, "
            "timezone, javascript)",
        ),
        (
            '{"client": {"viewport": {"width": 0}}}',
            "field 'client.viewport.width' in open frame: must be >= 1, not 0",
        ),
        (
            '{"client": {"viewport": {"w": 1}}}',
            "unknown field 'client.viewport.w' in open frame (accepted: width, height)",
        ),
        (
            '{"client": {"locale": "en_US"}}',
            "field 'client.locale' in open frame: not a BCP 47 language tag",
        ),
        (
            '{"client": {"timezone": "Moon/Base"}}',
            "field 'client.timezone' in open frame: not a known IANA time zone",
        ),
        (
            '{"client": {"javascript": "no"}}',
            "field 'client.javascript' in open frame: must be a boolean, not a string",
        ),
        ('{"middleware": {}}', "field 'middleware' in open frame: must be an array, not an object"),
        ('{"middleware": [{}]}', "missing field 'middleware[0].kind' in open frame"),
        (
            '{"middleware": [{"kind": "rewrite"}]}',
            "field 'middleware[0].kind' in open frame: unknown kind 'rewrite' (accepted: block, "
            "request_headers, response_headers)",
        ),
        (
            '{"middleware": [{"kind": "block", "resource_types": ["Image"], "when": 1}]}',
            "unknown field 'middleware[0].when' in open frame (accepted: kind, resource_types, "
            "url_patterns)",
        ),
        (
            '{"middleware": [{"kind": "request_headers", "add": []}]}',
            "unknown field 'middleware[0].add' in open frame (accepted: kind, set, remove, "
            "url_patterns)",
        ),
        (
            '{"middleware": [{"kind": "block"}]}',
            "field 'middleware[0]' in open frame: block middleware needs resource_types or "
            "url_patterns",
        ),
        (
            '{"middleware": [{"kind": "response_headers"}]}',
            "field 'middleware[0]' in open frame: header middleware needs set or remove",
        ),
        (
            '{"middleware": [{"kind": "block", "resource_types": ["image"]}]}',
            "field 'middleware[0].resource_types[0]' in open frame: must be 'Document', ",
        ),
        (
            '{"middleware": [{"kind": "block", "url_patterns": ["a b"]}]}',
            "field 'middleware[0].url_patterns[0]' in open frame: URL pattern must not contain "
            "whitespace",
        ),
        (
            '{"middleware": [{"kind": "block", "url_patterns": [""]}]}',
            "field 'middleware[0].url_patterns[0]' in open frame: must not be empty",
        ),
        (
            '{"middleware": [{"kind": "response_headers", "set": [["X-A", "1"], ["Bad:", "2"]]}]}',
            "field 'middleware[0].set[1][0]' in open frame: invalid header name",
        ),
        (
            '{"middleware": [{"kind": "request_headers", "remove": ["X\\nY"]}]}',
            "field 'middleware[0].remove[0]' in open frame: invalid header name",
        ),
        ('{"proxies": "eu-1"}', "field 'proxies' in open frame: must be an array, not a string"),
        ('{"proxies": [""]}', "field 'proxies[0]' in open frame: must not be empty"),
        ('{"proxies": [1]}', "field 'proxies[0]' in open frame: must be a string, not a number"),
    ],
)
def test_bad_open_frames(data: str | bytes, fragment: str) -> None:
    assert fragment in _bad_open(data).message


def test_open_frame_deep_nesting() -> None:
    error = _bad_open('{"client": ' + "[" * 3000 + "]" * 3000 + "}")
    assert "recursion limit exceeded" in error.message


# --- check_open_limits ---------------------------------------------------------------


_LIMITS: dict[str, Any] = {"max_timeout": 600.0, "max_redirects": 20, "max_retries": 5}


def test_limits_accept_the_ceilings_themselves() -> None:
    frame = decode_open('{"timeout": "10m", "max_redirects": 20, "max_retries": 5}')
    check_open_limits(frame, **_LIMITS)
    check_open_limits(OpenFrame(), **_LIMITS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"timeout": "10m1ms"}', "field 'timeout' in open frame: 10m1ms is over the limit of 10m"),
        ('{"timeout": 3600}', "field 'timeout' in open frame: 1h is over the limit of 10m"),
        (
            '{"max_redirects": 21}',
            "field 'max_redirects' in open frame: 21 is over the limit of 20",
        ),
        ('{"max_retries": 6}', "field 'max_retries' in open frame: 6 is over the limit of 5"),
    ],
)
def test_limits_name_the_field(data: str, message: str) -> None:
    with pytest.raises(BadFrame) as info:
        check_open_limits(decode_open(data), **_LIMITS)
    assert info.value.message == message
    assert info.value.frame_id is None


# --- encode -------------------------------------------------------------------------


def test_encode_keeps_nulls_and_drops_a_missing_id() -> None:
    assert json.loads(encode(GotoReply(url="https://a/", status_code=204))) == {
        "action": "goto",
        "url": "https://a/",
        "status_code": 204,
        "headers": [],
        "cookies": [],
        "body": None,
        "redirects": [],
        "content_type": None,
    }
    text = encode(ScreenshotReply(screenshot=None))
    assert text == '{"action":"screenshot","screenshot":null}'
    assert encode(EvaluatedReply(result=None)) == '{"action":"evaluated","result":null}'


@pytest.mark.parametrize("frame_id", ["req-1", "", 0, 42, -7, 2**63 - 1])
def test_encode_echoes_an_id(frame_id: str | int) -> None:
    decoded = json.loads(encode(ClickedReply(id=frame_id)))
    assert decoded == {"action": "clicked", "id": frame_id}
    assert type(decoded["id"]) is type(frame_id)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (ClickedReply(), {"action": "clicked"}),
        (FilledReply(id="f"), {"action": "filled", "id": "f"}),
        (
            ContentReply(content="PCFET0NUWVBFIGh0bWw+"),
            {"action": "content", "content": "PCFET0NUWVBFIGh0bWw+"},
        ),
        (
            EvaluatedReply(result={"a": [1, "two", None, True, 1.5]}),
            {"action": "evaluated", "result": {"a": [1, "two", None, True, 1.5]}},
        ),
        (EvaluatedReply(result="NaN", id=3), {"action": "evaluated", "id": 3, "result": "NaN"}),
        (
            ScreenshotReply(screenshot="iVBORw0KGgo="),
            {"action": "screenshot", "screenshot": "iVBORw0KGgo="},
        ),
        (ClosedReply(id=1), {"action": "closed", "id": 1}),
        (
            ErrorFrame(type="error", message="no match", code=404),
            {"type": "error", "message": "no match", "code": 404},
        ),
        (
            ErrorFrame(type="fatal", message="bye", code=503, id="z"),
            {"type": "fatal", "message": "bye", "code": 503, "id": "z"},
        ),
        (
            OpenReply(session_id="5f2b6c1e-8d1e-4f7a-9a4b-0c1d2e3f4a5b"),
            {"session_id": "5f2b6c1e-8d1e-4f7a-9a4b-0c1d2e3f4a5b"},
        ),
    ],
)
def test_encode_each_frame(frame: Any, expected: dict[str, Any]) -> None:
    text = encode(frame)
    assert isinstance(text, str)
    assert json.loads(text) == expected


def test_encode_goto_reply_in_full() -> None:
    reply = GotoReply(
        id="g",
        url="https://example.com/",
        status_code=200,
        headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "text/html")],
        cookies=[Cookie(name="a", value="1", path="/", secure=True, same_site="Lax")],
        body="PGh0bWw+",
        redirects=[
            Redirect(
                url="http://example.com/",
                location="https://example.com/",
                side="server",
                type="permanent",
            )
        ],
        content_type="text/html",
    )
    assert json.loads(encode(reply)) == {
        "action": "goto",
        "id": "g",
        "url": "https://example.com/",
        "status_code": 200,
        "headers": [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"], ["Content-Type", "text/html"]],
        "cookies": [{"name": "a", "value": "1", "path": "/", "secure": True, "same_site": "Lax"}],
        "body": "PGh0bWw+",
        "redirects": [
            {
                "url": "http://example.com/",
                "location": "https://example.com/",
                "side": "server",
                "type": "permanent",
            }
        ],
        "content_type": "text/html",
    }
    assert GotoReply.model_validate_json(encode(reply)) == reply


def test_encode_keeps_non_ascii_as_text() -> None:
    text = encode(EvaluatedReply(result="café"))
    assert "café" in text
    assert json.loads(text)["result"] == "café"


def test_encode_bad_frame_error_round_trip() -> None:
    error = _bad_action('{"action": "nope", "id": 12}')
    assert json.loads(encode(ErrorFrame.from_error(error))) == {
        "type": "error",
        "message": error.message,
        "code": 400,
        "id": 12,
    }


# --- round trips ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {
            "action": "goto",
            "url": "https://example.com",
            "id": "g1",
            "method": "POST",
            "headers": [["X-A", "1"]],
            "body": "aGk=",
            "referrer": "https://r/",
            "cookies": [
                {"name": "a", "value": "b", "expires": "2031-05-06T07:08:09Z", "http_only": True}
            ],
        },
        {"action": "click", "selector": "button.primary", "id": 2},
        {"action": "fill", "selector": "#q", "value": "héllo"},
        {"action": "content"},
        {"action": "evaluate", "script": "async () => 1"},
        {"action": "screenshot", "full_page": True, "format": "webp", "quality": 60},
        {"action": "close", "id": "bye"},
    ],
)
def test_action_frames_round_trip(fields: dict[str, Any]) -> None:
    frame = decode_action(json.dumps(fields))
    again = decode_action(frame.model_dump_json())
    assert again == frame
    dumped = json.loads(frame.model_dump_json())
    assert {key: dumped[key] for key in fields} == fields
    if "id" not in fields:
        assert "id" not in dumped


def test_open_frame_round_trips() -> None:
    frame = decode_open(
        '{"client": {"kind": "chrome", "locale": "fr-FR", "timezone": "Europe/Paris"},'
        ' "middleware": [{"kind": "response_headers", "remove": ["content-security-policy"]}],'
        ' "proxies": ["a", "b"], "timeout": "1h2m3s500ms", "max_redirects": 2, "max_retries": 1}'
    )
    text = frame.model_dump_json()
    assert json.loads(text)["timeout"] == "1h2m3s500ms"
    assert decode_open(text) == frame


def test_goto_frame_body_bytes() -> None:
    frame = decode_action('{"action": "goto", "url": "x", "body": "AAEC/w=="}')
    assert isinstance(frame, GotoFrame)
    assert frame.body_bytes == b"\x00\x01\x02\xff"


def test_encode_bytes_is_the_utf8_of_encode() -> None:
    frame = EvaluatedReply(result={"name": "caf\u00e9 \u2603"}, id=7)
    data = codec_module.encode_bytes(frame)
    assert data == encode(frame).encode()
    assert json.loads(data) == {
        "action": "evaluated",
        "id": 7,
        "result": {"name": "caf\u00e9 \u2603"},
    }


def test_a_lone_surrogate_in_an_answer_becomes_a_replacement_character() -> None:
    # UTF-8 cannot carry "\ud800"; only this failing case pays for the scrub.
    frame = EvaluatedReply(result={"k\ud800": ["a\udfffb", 1]}, id="x")
    data = codec_module.encode_bytes(frame)
    assert json.loads(data)["result"] == {"k\ufffd": ["a\ufffdb", 1]}
    assert encode(frame) == data.decode()
