"""Model bases shared by every frame, and the optional frame ``id``.

Two flavours, because the two directions have different needs:

* :class:`RequestModel` parses what a client sent. It is strict (``"10"`` is
  not an integer, ``1`` is not a boolean), forbids unknown fields and is frozen.
* :class:`ReplyModel` is built by the server from Python values, so it is lax
  (a tuple is a fine list) but still frozen and closed to unknown fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

__all__ = [
    "FrameId",
    "OptionalFrameId",
    "ReplyModel",
    "RequestModel",
    "empty_list",
    "is_frame_id",
]

# The id is echoed back verbatim; keep it to what every JSON client can
# represent without loss (a signed 64-bit integer) so echoing cannot fail.
_ID_MIN: Final = -(2**63)
_ID_MAX: Final = 2**63 - 1


def is_frame_id(value: object) -> TypeGuard[str | int]:
    """Whether ``value`` is usable as a frame ``id``: a string or a 64-bit integer."""
    if isinstance(value, str):
        return True
    # bool is an int subclass, but ``true`` is no id.
    return isinstance(value, int) and not isinstance(value, bool) and _ID_MIN <= value <= _ID_MAX


class _FrameIdSchema:
    """``str | int`` checked in pydantic-core, reported as one error.

    A plain ``str | int`` would report two errors for one mistake ("should be
    a string", "should be an integer"); a Python validator would cost a call
    on every frame. A core union with its own error type does neither.
    """

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.union_schema(
            [
                core_schema.str_schema(strict=True),
                core_schema.int_schema(ge=_ID_MIN, le=_ID_MAX, strict=True),
            ],
            custom_error_type="frame_id",
            custom_error_message="must be a string or a 64-bit integer",
        )

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string"},
                {"type": "integer", "minimum": _ID_MIN, "maximum": _ID_MAX},
            ]
        }


FrameId = Annotated[str | int, _FrameIdSchema()]
"""A client's frame id: a string or a 64-bit integer, echoed on the answer."""


def _is_none(value: object) -> bool:
    return value is None


# ``exclude_if`` drops a ``None`` id from the dump while every other ``None``
# stays ``null``; it runs inside pydantic-core's serializer, so encoding
# needs no dict round trip (see codec.encode).
OptionalFrameId = Annotated[FrameId | None, Field(exclude_if=_is_none)]


def empty_list() -> Any:
    """A field default of ``[]``.

    A literal ``= []`` default is deep-copied by pydantic for every instance,
    which costs more than validating a small frame; a factory does not.
    The schema still shows ``"default": []``.
    """
    return Field(default_factory=list, json_schema_extra={"default": []})


class RequestModel(BaseModel):
    """Base of everything parsed from a client frame: strict, closed, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ReplyModel(BaseModel):
    """Base of everything the server sends: closed and immutable, built from Python values."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # Every field is on the wire (defaults included), which the
        # serialization schema should say.
        json_schema_serialization_defaults_required=True,
    )
