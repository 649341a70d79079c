"""Bytes on the socket to frame models and back.

Decoding validates straight from the JSON text (no intermediate dict) with
adapters built once at import; every failure becomes :class:`BadFrame` with a
one-line message from :mod:`.explain`, carrying the frame's ``id`` when it had
a usable one so the error frame can echo it.
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, from_json

from ..errors import BadFrame
from .actions import ActionFrame
from .base import is_frame_id
from .duration import format_duration
from .explain import describe_value, explain
from .open import OpenFrame, OpenReply
from .replies import AnswerFrame, ErrorFrame

__all__ = [
    "ServerFrame",
    "check_open_limits",
    "decode_action",
    "decode_open",
    "encode",
    "encode_bytes",
]

ServerFrame = AnswerFrame | ErrorFrame | OpenReply
"""Anything :func:`encode` writes."""

_ACTION_ADAPTER: Final[TypeAdapter[ActionFrame]] = TypeAdapter(ActionFrame)
_OPEN_FRAME: Final = "open frame"


def decode_open(data: str | bytes) -> OpenFrame:
    """Parse the handshake's open frame; raise :class:`BadFrame` naming the problem."""
    try:
        return OpenFrame.model_validate_json(data)
    except ValidationError as exc:
        # ``from None``: the chained error would drag the whole input into logs.
        raise BadFrame(explain(exc, OpenFrame, _OPEN_FRAME)) from None
    except RecursionError:
        raise BadFrame("open frame is nested too deeply") from None


def decode_action(data: str | bytes) -> ActionFrame:
    """Parse an action frame; raise :class:`BadFrame` naming the problem (with the frame's id)."""
    try:
        return _ACTION_ADAPTER.validate_json(data)
    except ValidationError as exc:
        raise BadFrame(explain(exc, ActionFrame), frame_id=_peek_id(data)) from None
    except RecursionError:
        raise BadFrame("frame is nested too deeply", frame_id=_peek_id(data)) from None


def _peek_id(data: str | bytes) -> str | int | None:
    """The ``id`` of a frame that failed validation, if it is a JSON object with a usable one."""
    try:
        # jiter, like the validator: bounded recursion, no RecursionError.
        obj = from_json(data)
    except (ValueError, TypeError, RecursionError):
        # TypeError: a str that cannot be UTF-8 encoded (lone surrogates).
        return None
    if isinstance(obj, dict):
        frame_id = obj.get("id")
        if is_frame_id(frame_id):
            return frame_id
    return None


def encode(frame: ServerFrame) -> str:
    """The JSON text of a server frame.

    A ``None`` ``id`` is left out (the ``exclude_if`` on the field does it inside
    pydantic-core); every other ``None`` is written as ``null``.
    """
    return encode_bytes(frame).decode()


def encode_bytes(frame: ServerFrame) -> bytes:
    """The UTF-8 JSON of a server frame, as :func:`encode` writes it."""
    try:
        return frame.__pydantic_serializer__.to_json(frame)
    except PydanticSerializationError:
        # A page can hand back strings with lone surrogates (a script's
        # "\ud800"), which UTF-8 cannot carry: they become U+FFFD. Only this
        # rare failure pays for the scrub; the common path serializes once.
        scrubbed = type(frame).model_validate(_scrub(frame.model_dump()))
        return scrubbed.__pydantic_serializer__.to_json(scrubbed)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def check_open_limits(
    frame: OpenFrame, *, max_timeout: float, max_redirects: int, max_retries: int
) -> None:
    """Apply the server's configured ceilings to an open frame; raise :class:`BadFrame`."""
    if frame.timeout > max_timeout:
        raise BadFrame(
            f"field 'timeout' in {_OPEN_FRAME}: {format_duration(frame.timeout)} is over "
            f"the limit of {format_duration(max_timeout)}"
        )
    if frame.max_redirects > max_redirects:
        raise BadFrame(
            f"field 'max_redirects' in {_OPEN_FRAME}: {describe_value(frame.max_redirects)} "
            f"is over the limit of {max_redirects}"
        )
    if frame.max_retries > max_retries:
        raise BadFrame(
            f"field 'max_retries' in {_OPEN_FRAME}: {describe_value(frame.max_retries)} "
            f"is over the limit of {max_retries}"
        )
