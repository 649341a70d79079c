"""The frame models: defaults from the reference page, validation rules, schemas."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from inndx_cdp.errors import BadFrame, InndxError, NoMatch, SessionExpired
from inndx_cdp.protocol import (
    ACTIONS,
    ActionFrame,
    BlockMiddleware,
    ClickedReply,
    ClickFrame,
    ClientOptions,
    ClosedReply,
    CloseFrame,
    ContentFrame,
    ContentReply,
    Cookie,
    ErrorFrame,
    EvaluatedReply,
    EvaluateFrame,
    FilledReply,
    FillFrame,
    GotoFrame,
    GotoReply,
    OpenFrame,
    OpenReply,
    Redirect,
    RequestHeadersMiddleware,
    ResponseHeadersMiddleware,
    ScreenshotFrame,
    ScreenshotReply,
    Viewport,
    frame_schemas,
)

ACTION = TypeAdapter(ActionFrame)


def _open(**fields: Any) -> OpenFrame:
    return OpenFrame.model_validate_json(json.dumps(fields))


def _action(**fields: Any) -> Any:
    return ACTION.validate_json(json.dumps(fields))


# --- defaults: the reference page ------------------------------------------------


def test_open_frame_defaults() -> None:
    frame = _open()
    assert frame.client == ClientOptions()
    assert frame.client.kind == "standard"
    assert frame.client.viewport == Viewport(width=1280, height=720)
    assert frame.client.locale is None
    assert frame.client.timezone is None
    assert frame.client.javascript is True
    assert frame.middleware == []
    assert frame.proxies == []
    assert frame.timeout == 30.0
    assert frame.max_redirects == 10
    assert frame.max_retries == 3
    assert OpenFrame() == frame
    assert set(OpenFrame.model_fields) == {
        "client",
        "middleware",
        "proxies",
        "timeout",
        "max_redirects",
        "max_retries",
    }


def test_open_frame_dump_spells_the_timeout() -> None:
    dumped = json.loads(OpenFrame().model_dump_json())
    assert dumped["timeout"] == "30s"
    assert dumped["client"]["kind"] == "standard"


def test_goto_defaults() -> None:
    frame = _action(action="goto", url="https://example.com")
    assert isinstance(frame, GotoFrame)
    assert frame.url == "https://example.com"
    assert frame.method == "GET"
    assert frame.referrer is None
    assert frame.user_agent == "inndx"
    assert frame.headers == []
    assert frame.cookies == []
    assert frame.body is None
    assert frame.body_bytes is None
    assert frame.id is None


def test_default_lists_are_not_shared() -> None:
    first = _action(action="goto", url="a")
    second = _action(action="goto", url="b")
    assert first.headers == second.headers == []
    assert first.headers is not second.headers


def test_screenshot_defaults() -> None:
    frame = _action(action="screenshot")
    assert isinstance(frame, ScreenshotFrame)
    assert (frame.full_page, frame.selector, frame.format, frame.quality) == (
        False,
        None,
        "png",
        None,
    )


@pytest.mark.parametrize(
    ("fields", "model"),
    [
        ({"action": "goto", "url": "about:blank"}, GotoFrame),
        ({"action": "click", "selector": "#go"}, ClickFrame),
        ({"action": "fill", "selector": "input", "value": ""}, FillFrame),
        ({"action": "content"}, ContentFrame),
        ({"action": "evaluate", "script": "1 + 1"}, EvaluateFrame),
        ({"action": "screenshot"}, ScreenshotFrame),
        ({"action": "close"}, CloseFrame),
    ],
)
def test_each_action_selects_its_model(fields: dict[str, Any], model: type[Any]) -> None:
    frame = _action(**fields)
    assert type(frame) is model
    assert frame.action == fields["action"]


def test_actions_constant_follows_the_union() -> None:
    assert ACTIONS == ("goto", "click", "fill", "content", "evaluate", "screenshot", "close")


# --- client -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["standard", "chrome"])
def test_client_as_a_string(kind: str) -> None:
    assert _open(client=kind).client == ClientOptions(kind=kind)  # type: ignore[arg-type]


def test_client_as_an_object() -> None:
    frame = _open(
        client={
            "kind": "chrome",
            "viewport": {"width": 390, "height": 844},
            "locale": "pt-BR",
            "timezone": "America/Sao_Paulo",
            "javascript": False,
        }
    )
    assert frame.client == ClientOptions(
        kind="chrome",
        viewport=Viewport(width=390, height=844),
        locale="pt-BR",
        timezone="America/Sao_Paulo",
        javascript=False,
    )


def test_client_object_without_kind_is_standard() -> None:
    assert _open(client={"javascript": False}).client.kind == "standard"


def test_partial_viewport_keeps_the_other_default() -> None:
    assert _open(client={"viewport": {"width": 800}}).client.viewport == Viewport(
        width=800, height=720
    )


@pytest.mark.parametrize("locale", ["en", "en-US", "pt-BR", "zh-Hant-TW", "es-419", "de-DE-1996"])
def test_locales_accepted(locale: str) -> None:
    assert _open(client={"locale": locale}).client.locale == locale


@pytest.mark.parametrize("locale", ["", "e", "en_US", "english", "en-US\n", "12-AB", "en-" * 20])
def test_locales_rejected(locale: str) -> None:
    with pytest.raises(ValidationError, match="BCP 47"):
        _open(client={"locale": locale})


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires"])
def test_timezones_accepted(tz: str) -> None:
    assert _open(client={"timezone": tz}).client.timezone == tz


@pytest.mark.parametrize(
    "tz", ["", "Mars/Olympus_Mons", "europe/paris", "Europe/Paris\n", "+02:00"]
)
def test_timezones_rejected(tz: str) -> None:
    with pytest.raises(ValidationError, match="IANA"):
        _open(client={"timezone": tz})


@pytest.mark.parametrize(("width", "height"), [(0, 720), (1280, -1), (16385, 720), (1, 16385)])
def test_viewport_bounds(width: int, height: int) -> None:
    with pytest.raises(ValidationError):
        _open(client={"viewport": {"width": width, "height": height}})


def test_viewport_limits_are_inclusive() -> None:
    assert _open(client={"viewport": {"width": 16384, "height": 1}}).client.viewport == Viewport(
        width=16384, height=1
    )


# --- middleware ---------------------------------------------------------------------


def test_middleware_of_each_kind() -> None:
    frame = _open(
        middleware=[
            {"kind": "block", "resource_types": ["Image", "Font"], "url_patterns": ["*.png"]},
            {"kind": "request_headers", "set": [["X-A", "1"]], "remove": ["Cookie"]},
            {"kind": "response_headers", "remove": ["content-security-policy"]},
        ]
    )
    block, request, response = frame.middleware
    assert block == BlockMiddleware(
        kind="block", resource_types=["Image", "Font"], url_patterns=["*.png"]
    )
    assert isinstance(request, RequestHeadersMiddleware)
    assert request.set == [("X-A", "1")]
    assert request.remove == ["Cookie"]
    assert request.url_patterns == []
    assert isinstance(response, ResponseHeadersMiddleware)
    assert response.remove == ["content-security-policy"]


@pytest.mark.parametrize(
    "entry",
    [
        {"kind": "block"},
        {"kind": "block", "resource_types": [], "url_patterns": []},
        {"kind": "request_headers"},
        {"kind": "response_headers", "url_patterns": ["*"]},
        {"kind": "block", "resource_types": ["image"]},
        {"kind": "block", "url_patterns": [""]},
        {"kind": "block", "url_patterns": ["http://a b/"]},
        {"kind": "request_headers", "set": [["Bad Name", "v"]]},
        {"kind": "request_headers", "set": [["X-A", "line\r\nbreak"]]},
        {"kind": "request_headers", "set": [["X-A"]]},
        {"kind": "request_headers", "remove": ["X-A\n"]},
        {"kind": "response_headers", "remove": [""]},
        {"kind": "block", "resource_types": ["Image"], "extra": 1},
    ],
)
def test_bad_middleware_rejected(entry: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _open(middleware=[entry])


# --- goto and the other actions ---------------------------------------------------


def test_goto_with_everything() -> None:
    frame = _action(
        action="goto",
        id="n1",
        url="https://example.com/form",
        method="POST",
        referrer="https://example.com/",
        user_agent="firefox",
        headers=[["Content-Type", "application/json"], ["X-Empty", ""]],
        cookies=[{"name": "sid", "value": "1", "domain": "example.com", "same_site": "Lax"}],
        body="eyJhIjogMX0=",
    )
    assert frame.id == "n1"
    assert frame.method == "POST"
    assert frame.headers == [("Content-Type", "application/json"), ("X-Empty", "")]
    assert frame.cookies == [Cookie(name="sid", value="1", domain="example.com", same_site="Lax")]
    assert frame.body_bytes == b'{"a": 1}'


@pytest.mark.parametrize(
    "method", ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT"]
)
def test_every_method_accepted(method: str) -> None:
    assert _action(action="goto", url="x", method=method).method == method


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "", "not a url"])
def test_goto_url_scheme_is_left_to_the_session(url: str) -> None:
    assert _action(action="goto", url=url).url == url


@pytest.mark.parametrize("body", ["", "aGk=", "aGVsbG8=", "YWJj", "+/+/"])
def test_base64_bodies_accepted(body: str) -> None:
    import base64

    assert _action(action="goto", url="x", body=body).body_bytes == base64.b64decode(body)


@pytest.mark.parametrize("body", ["aGk", "a", "aGk=\n", "aGVs bG8=", "aGk==", "a-_b", "====", "é"])
def test_bad_base64_bodies_rejected(body: str) -> None:
    with pytest.raises(ValidationError) as info:
        _action(action="goto", url="x", body=body)
    assert info.value.errors()[0]["loc"] == ("goto", "body")


@pytest.mark.parametrize("user_agent", ["a\nb", "a\rb", "a\x00b"])
def test_user_agent_cannot_break_the_header(user_agent: str) -> None:
    with pytest.raises(ValidationError):
        _action(action="goto", url="x", user_agent=user_agent)


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "click", "selector": ""},
        {"action": "fill", "selector": "", "value": "x"},
        {"action": "fill", "selector": "a"},
        {"action": "evaluate"},
        {"action": "goto"},
        {"action": "screenshot", "format": "gif"},
        {"action": "screenshot", "quality": 80},
        {"action": "screenshot", "format": "png", "quality": 80},
        {"action": "screenshot", "format": "jpeg", "quality": 101},
        {"action": "screenshot", "format": "webp", "quality": -1},
        {"action": "screenshot", "full_page": True, "selector": "#a"},
        {"action": "screenshot", "selector": ""},
        {"action": "content", "id": 1.5},
        {"action": "content", "id": True},
        {"action": "content", "id": None, "extra": 1},
    ],
)
def test_bad_action_frames_rejected(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _action(**fields)


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_quality_with_lossy_formats(fmt: str) -> None:
    assert _action(action="screenshot", format=fmt, quality=0).quality == 0
    assert _action(action="screenshot", format=fmt, quality=100).quality == 100


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"max_redirects": "10"}, "max_redirects"),
        ({"max_retries": 1.0}, "max_retries"),
        ({"client": {"javascript": 1}}, "javascript"),
        ({"proxies": "p1"}, "proxies"),
    ],
)
def test_requests_are_strict(fields: dict[str, Any], bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        _open(**fields)
    assert bad in info.value.errors()[0]["loc"]


@pytest.mark.parametrize("frame_id", ["a", "", 0, -1, 2**63 - 1, -(2**63)])
def test_frame_ids_accepted(frame_id: str | int) -> None:
    assert _action(action="close", id=frame_id).id == frame_id


@pytest.mark.parametrize("frame_id", [2**63, -(2**63) - 1, True, 1.0, [1], {"a": 1}])
def test_frame_ids_rejected_with_one_error(frame_id: object) -> None:
    with pytest.raises(ValidationError) as info:
        _action(action="close", id=frame_id)
    assert [error["type"] for error in info.value.errors()] == ["frame_id"]


def test_request_frames_are_frozen() -> None:
    frame = _action(action="click", selector="a")
    with pytest.raises(ValidationError):
        frame.selector = "b"


# --- cookies and redirects ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-01-01T00:00:00Z", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2030-01-01t00:00:00z", datetime(2030, 1, 1, tzinfo=UTC)),
        (
            "2030-01-01T02:00:00+02:00",
            datetime(2030, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2030-01-01T00:00:00.123456789Z", datetime(2030, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
    ],
)
def test_cookie_expires_parses_rfc3339(text: str, expected: datetime) -> None:
    cookie = Cookie.model_validate_json(json.dumps({"name": "a", "value": "b", "expires": text}))
    assert cookie.expires == expected
    assert cookie.expires_epoch == expected.timestamp()


@pytest.mark.parametrize(
    "text",
    [
        "2030-01-01",
        "2030-01-01T00:00:00",
        "2030-01-01 00:00:00Z",
        "2030-02-30T00:00:00Z",
        "2030-01-01T25:00:00Z",
        "Wed, 01 Jan 2030 00:00:00 GMT",
        "2030-01-01T00:00:00Z\n",
        "",
    ],
)
def test_cookie_expires_rejects_non_rfc3339(text: str) -> None:
    with pytest.raises(ValidationError, match="date-time"):
        Cookie.model_validate_json(json.dumps({"name": "a", "value": "b", "expires": text}))


def test_cookie_rejects_naive_datetime() -> None:
    with pytest.raises(ValidationError, match="UTC offset"):
        Cookie(name="a", value="b", expires=datetime(2030, 1, 1))


def test_cookie_dumps_only_known_attributes_and_utc_expiry() -> None:
    cookie = Cookie(
        name="a",
        value="b",
        expires=datetime(2030, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        http_only=True,
    )
    assert json.loads(cookie.model_dump_json()) == {
        "name": "a",
        "value": "b",
        "expires": "2030-01-01T00:00:00Z",
        "http_only": True,
    }
    assert json.loads(Cookie(name="s", value="").model_dump_json()) == {"name": "s", "value": ""}


@pytest.mark.parametrize("same_site", ["lax", "none", "", "Any"])
def test_cookie_same_site_is_exact(same_site: str) -> None:
    with pytest.raises(ValidationError):
        Cookie.model_validate_json(json.dumps({"name": "a", "value": "b", "same_site": same_site}))


def test_redirect_fields() -> None:
    hop = Redirect(url="http://a/", location="https://a/", side="server", type="permanent")
    assert json.loads(hop.model_dump_json()) == {
        "url": "http://a/",
        "location": "https://a/",
        "side": "server",
        "type": "permanent",
    }
    with pytest.raises(ValidationError):
        Redirect(url="a", location="b", side="browser", type="permanent")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        Redirect(url="a", location="b", side="client", type="forever")  # type: ignore[arg-type]


# --- replies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "tag"),
    [
        (GotoReply(url="u", status_code=200), "goto"),
        (ClickedReply(), "clicked"),
        (FilledReply(), "filled"),
        (ContentReply(content="PGh0bWw+"), "content"),
        (EvaluatedReply(result=None), "evaluated"),
        (ScreenshotReply(screenshot=None), "screenshot"),
        (ClosedReply(), "closed"),
    ],
)
def test_reply_tags(reply: Any, tag: str) -> None:
    assert reply.action == tag
    assert reply.id is None


def test_goto_reply_defaults() -> None:
    reply = GotoReply(url="https://example.com/", status_code=404)
    assert reply.headers == []
    assert reply.cookies == []
    assert reply.body is None
    assert reply.redirects == []
    assert reply.content_type is None


def test_replies_accept_python_sequences() -> None:
    # Replies are built by the server: tuples are fine where the wire has arrays.
    reply = GotoReply(url="u", status_code=200, headers=(("a", "1"),))  # type: ignore[arg-type]
    assert reply.headers == [("a", "1")]


def test_replies_are_closed() -> None:
    with pytest.raises(ValidationError):
        ClickedReply(extra=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        ErrorFrame(type="warning", message="m", code=1)  # type: ignore[arg-type]


def test_error_frame_from_error() -> None:
    assert ErrorFrame.from_error(NoMatch("nothing matched #a")) == ErrorFrame(
        type="error", message="nothing matched #a", code=404
    )
    assert ErrorFrame.from_error(SessionExpired("idle")).type == "fatal"
    assert ErrorFrame.from_error(BadFrame("bad", frame_id=7)).id == 7
    handshake = ErrorFrame.from_error(BadFrame("bad"), fatal=True)
    assert (handshake.type, handshake.code, handshake.id) == ("fatal", 400, None)
    assert ErrorFrame.from_error(BadFrame("bad", frame_id=7), id="x").id == "x"


def test_errors_carry_an_optional_frame_id() -> None:
    assert InndxError("x").frame_id is None
    assert NoMatch("x", frame_id="q").frame_id == "q"
    assert BadFrame("x", frame_id=3).message == "x"


def test_open_reply() -> None:
    assert OpenReply(session_id="0b9e").session_id == "0b9e"


# --- schemas ----------------------------------------------------------------------


def _check(schema: dict[str, Any], frame: dict[str, Any]) -> None:
    """The smallest structural check: required present, nothing unknown."""
    assert set(schema.get("required", [])) <= set(frame)
    if schema.get("additionalProperties") is False:
        assert set(frame) <= set(schema["properties"])


def test_schema_names() -> None:
    assert set(frame_schemas()) == {
        "OpenFrame",
        "ActionFrame",
        "OpenReply",
        "GotoReply",
        "ClickedReply",
        "FilledReply",
        "ContentReply",
        "EvaluatedReply",
        "ScreenshotReply",
        "ClosedReply",
        "ErrorFrame",
    }


def test_open_frame_schema_has_the_reference_defaults() -> None:
    schema = frame_schemas()["OpenFrame"]
    assert schema["additionalProperties"] is False
    assert "required" not in schema
    defaults = {name: prop.get("default") for name, prop in schema["properties"].items()}
    assert defaults == {
        "client": "standard",
        "middleware": [],
        "proxies": [],
        "timeout": "30s",
        "max_redirects": 10,
        "max_retries": 3,
    }
    _check(schema, {"proxies": [], "timeout": "30s"})


def test_action_schema_is_a_union_tagged_on_action() -> None:
    schema = frame_schemas()["ActionFrame"]
    assert schema["discriminator"]["propertyName"] == "action"
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == set(ACTIONS)
    goto = schema["$defs"]["GotoFrame"]
    assert goto["required"] == ["action", "url"]
    assert goto["properties"]["method"]["default"] == "GET"
    assert goto["properties"]["user_agent"]["default"] == "inndx"
    assert goto["properties"]["headers"]["default"] == []
    _check(goto, {"action": "goto", "url": "https://example.com", "id": 1})
    _check(schema["$defs"]["EvaluateFrame"], {"action": "evaluate", "script": "1"})


def test_reply_schemas_require_what_is_always_written() -> None:
    schemas = frame_schemas()
    goto = schemas["GotoReply"]
    assert set(goto["required"]) == {
        "action",
        "url",
        "status_code",
        "headers",
        "cookies",
        "body",
        "redirects",
        "content_type",
    }
    assert "id" in goto["properties"]
    reply = json.loads(GotoReply(url="u", status_code=200).model_dump_json())
    _check(goto, reply)
    error = schemas["ErrorFrame"]
    assert set(error["required"]) == {"type", "message", "code"}
    assert schemas["OpenReply"]["properties"]["session_id"]["format"] == "uuid"
    assert schemas["ScreenshotReply"]["required"] == ["action", "screenshot"]
    cookie = goto["$defs"]["Cookie"]
    assert cookie["required"] == ["name", "value"]
    assert cookie["properties"]["expires"]["anyOf"][0]["format"] == "date-time"
