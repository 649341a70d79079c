"""``inndx-cdp schema`` validates the frames a real server really sends (and the ones it takes)."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import aiohttp
import pytest
from jsonschema import Draft202012Validator, ValidationError

from inndx_cdp.cli import main

from .conftest import connect

ANSWER_SCHEMAS = {
    "goto": "GotoReply",
    "clicked": "ClickedReply",
    "filled": "FilledReply",
    "content": "ContentReply",
    "evaluated": "EvaluatedReply",
    "screenshot": "ScreenshotReply",
    "closed": "ClosedReply",
}


@pytest.fixture(scope="module")
def schemas() -> dict[str, Draft202012Validator]:
    """The command's output, each schema checked and turned into a validator."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    printed: dict[str, Any] = json.loads(out.getvalue())
    validators = {}
    for name, schema in printed.items():
        Draft202012Validator.check_schema(schema)
        validators[name] = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    return validators


def schema_for(frame: dict[str, Any]) -> str:
    if "session_id" in frame:
        return "OpenReply"
    if "type" in frame:
        return "ErrorFrame"
    return ANSWER_SCHEMAS[frame["action"]]


async def test_every_frame_the_server_sends_validates(
    schemas: dict[str, Draft202012Validator], server: str, site: str
) -> None:
    sent: list[dict[str, Any]] = []
    received: list[dict[str, Any]] = []
    open_frame = {"client": {"kind": "standard", "viewport": {"width": 640}}, "timeout": "2s"}
    actions: list[dict[str, Any]] = [
        {"action": "goto", "url": site + "/client/loop?stop=2", "id": 1},
        {"action": "goto", "url": site + "/e2e/form", "id": "form"},
        {"action": "fill", "selector": "#name", "value": "Ada"},
        {"action": "click", "selector": "#go", "id": 3},
        {"action": "content"},
        {"action": "evaluate", "script": "({a: [1, 2.5, null], b: 'x', c: true})"},
        {"action": "evaluate", "script": "undefined"},
        {"action": "evaluate", "script": "NaN"},
        {"action": "screenshot", "format": "jpeg", "quality": 40},
        {"action": "click", "selector": "#missing", "id": 9},
        {"action": "evaluate", "script": "throw new Error('x')"},
        {"action": "teleport"},
        {"action": "close", "id": "bye"},
    ]
    async with connect(server, open_frame) as client:
        received.append({"session_id": client.session_id})
        sent.append(open_frame)
        for frame in actions:
            sent.append(frame)
            received.append(await client.call(frame))
    # A fatal error frame (during the handshake) and a refusal before the upgrade.
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(server, headers={"X-Tenant-Id": "acme"}) as ws:
            await ws.send_str(json.dumps({"timeout": "forever"}))
            received.append(json.loads((await ws.receive(timeout=15)).data))
        async with http.get(server, headers={"X-Tenant-Id": "bad tenant"}) as refused:
            received.append(await refused.json())

    kinds = {schema_for(frame) for frame in received}
    assert kinds == {"OpenReply", "ErrorFrame", *ANSWER_SCHEMAS.values()}
    assert any(frame.get("type") == "fatal" for frame in received)
    goto = received[1]
    assert goto["redirects"]
    assert goto["cookies"]
    for frame in received:
        schemas[schema_for(frame)].validate(frame)
    # What the client sent validates too, except the frame that was meant to be wrong.
    schemas["OpenFrame"].validate(sent[0])
    for frame in sent[1:]:
        if frame["action"] != "teleport":
            schemas["ActionFrame"].validate(frame)
    with pytest.raises(ValidationError):
        schemas["ActionFrame"].validate({"action": "teleport"})


def test_the_schemas_reject_what_the_server_never_sends(
    schemas: dict[str, Draft202012Validator],
) -> None:
    goto = {
        "action": "goto",
        "url": "http://127.0.0.1/",
        "status_code": 200,
        "headers": [["Content-Type", "text/html"]],
        "cookies": [],
        "body": None,
        "redirects": [],
        "content_type": None,
    }
    schemas["GotoReply"].validate(goto)
    for broken in (
        {**goto, "status_code": "200"},
        {**goto, "headers": [["only-a-name"]]},
        {**goto, "extra": 1},
        {key: value for key, value in goto.items() if key != "redirects"},
        {**goto, "cookies": [{"name": "a", "value": "b", "same_site": "Sometimes"}]},
    ):
        with pytest.raises(ValidationError):
            schemas["GotoReply"].validate(broken)
    with pytest.raises(ValidationError):
        schemas["ErrorFrame"].validate({"type": "warning", "message": "m", "code": 400})
    with pytest.raises(ValidationError):
        schemas["OpenReply"].validate({"session_id": "not-a-uuid"})
