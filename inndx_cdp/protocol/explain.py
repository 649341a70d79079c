"""Turn a pydantic :class:`ValidationError` into one line a client can act on.

The line names the problem and the field path (``middleware[0].set[1]``),
says which frame it was in, and lists the accepted names for an unknown field,
action or kind. It never carries pydantic's URLs or Python reprs of internals.

Paths are rebuilt by walking the frame's type along the error location, which
also tells which model an unknown field was found in; this runs only on the
error path, so decoding a good frame pays nothing for it.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from .values import PATTERN_MESSAGES

__all__ = ["describe_value", "explain"]

_SHOWN_CHARS: Final = 40

_TYPE_NAMES: Final[dict[str, str]] = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "list_type": "an array",
    "tuple_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def describe_value(value: object) -> str:
    """Name a client's value for a message: short scalars quoted, containers by JSON type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # (Also keeps repr away from ints too long to convert to text at all.)
        if isinstance(value, int) and abs(value) >= 10**_SHOWN_CHARS:
            return "a huge number"
        return repr(value)
    if isinstance(value, str):
        if len(value) > _SHOWN_CHARS:
            return repr(value[:_SHOWN_CHARS]) + "..."
        return repr(value)
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a value of the wrong type"


def _is_utf8(data: bytes | bytearray) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a value of another type"


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and a ``| None`` until something structural is left."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or origin is types.UnionType:
            members = [arg for arg in get_args(tp) if arg is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tagged_member(tp: Any, tag: str) -> type[BaseModel] | None:
    """The model of a tagged union whose tag field is the literal ``tag``."""
    for member in get_args(tp):
        if not _is_model(member):
            continue
        for field in member.model_fields.values():
            if get_origin(field.annotation) is Literal and get_args(field.annotation) == (tag,):
                return member  # type: ignore[no-any-return]
    return None


class _Walk:
    """Where an error location leads: its printable path, the innermost model, the leaf type."""

    def __init__(self, root: Any, loc: Sequence[int | str]) -> None:
        self.path = ""
        self.model: type[BaseModel] | None = None
        self.parent: Any = None
        tp: Any = root
        for item in loc:
            tp = _unwrap(tp)
            origin = get_origin(tp)
            if isinstance(item, int):
                self.path += f"[{item}]"
                self.parent = tp
                args = get_args(tp)
                if origin is tuple and item < len(args):
                    tp = args[item]
                elif origin is list and args:
                    tp = args[0]
                else:
                    tp = None
            elif _is_model(tp):
                self.model = tp
                self.parent = tp
                self.path += f".{item}" if self.path else item
                field = tp.model_fields.get(item)
                tp = field.annotation if field is not None else None
            elif origin is Union or origin is types.UnionType:
                # The tag of a discriminated union: not part of the user's path.
                tp = _tagged_member(tp, item)
            else:
                # A union member's name (``str``, ``int``, ...): the path is complete.
                break
        self.leaf = _unwrap(tp)


def explain(exc: ValidationError, root: Any, frame: str | None = None) -> str:
    """One line for the first problem in ``exc``; ``root`` is the type that was validated.

    ``frame`` names the frame in the message (``"open frame"``); ``None`` names it
    after the tag a tagged-union root was validated with (``"goto frame"``).
    """
    errors = exc.errors(include_url=False)
    first = errors[0]
    if frame is None:
        loc = first["loc"]
        frame = f"{loc[0]} frame" if loc and isinstance(loc[0], str) else "frame"
    line = _explain_one(first, root, frame)
    if len(errors) > 1:
        more = len(errors) - 1
        line += f" (and {more} more problem{'s' if more > 1 else ''})"
    return line


def _explain_one(error: ErrorDetails, root: Any, frame: str) -> str:
    kind = error["type"]
    loc = error["loc"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    walk = _Walk(root, loc)
    path = walk.path
    where = f"field '{path}' in {frame}" if path else frame

    if kind == "json_invalid":
        if isinstance(value, bytes | bytearray) and not _is_utf8(value):
            # The parser's own complaint ("expected value at ...") would mislead.
            return "frame is not valid UTF-8 text"
        return f"frame is not valid JSON: {ctx.get('error', 'cannot parse')}"
    if kind == "string_unicode":
        return "frame is not valid UTF-8 text"
    if kind == "missing":
        if get_origin(walk.parent) is tuple:
            # A short [name, value] pair: report the pair, not its missing slot.
            return f"field '{path.rsplit('[', 1)[0]}' in {frame}: must be a [name, value] pair"
        return f"missing field '{path}' in {frame}"
    if kind == "extra_forbidden":
        return _unknown_field(path, walk.model, frame)
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        return _bad_tag(kind, ctx, value, walk, root, frame)
    if kind in _TYPE_NAMES:
        if not path:
            return f"{frame} must be a JSON object, not {_json_type(value)}"
        return f"{where}: must be {_TYPE_NAMES[kind]}, not {_json_type(value)}"
    return f"{where}: {_detail(kind, error, ctx)}"


def _detail(kind: str, error: ErrorDetails, ctx: dict[str, Any]) -> str:
    value = error.get("input")
    if kind == "value_error":
        return str(ctx.get("error", "invalid value"))
    if kind == "literal_error":
        expected = ctx.get("expected", "one of the accepted values")
        return f"must be {expected}, not {describe_value(value)}"
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}, not {describe_value(value)}"
    if kind == "less_than_equal":
        return f"must be <= {ctx.get('le')}, not {describe_value(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters long"
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(str(ctx.get("pattern")), "has an invalid format")
    if kind in ("too_short", "too_long"):
        return "must be a [name, value] pair"
    if kind == "finite_number":
        return "must be a finite number"
    # Custom errors (ours) already read well; so do pydantic's own messages.
    return error["msg"]


def _unknown_field(path: str, model: type[BaseModel] | None, frame: str) -> str:
    line = f"unknown field '{path}' in {frame}"
    if model is None:
        return line
    accepted = ", ".join(model.model_fields)
    if path == "action" and "action" not in model.model_fields:
        # An action before the handshake: say what the first frame must be.
        return f"{line}: the first frame must be the open frame (accepted: {accepted})"
    return f"{line} (accepted: {accepted})"


def _bad_tag(kind: str, ctx: dict[str, Any], value: Any, walk: _Walk, root: Any, frame: str) -> str:
    # The union the tag selects from: the leaf of the walk (or the root itself).
    union = walk.leaf if walk.path else _unwrap(root)
    discriminator = str(ctx.get("discriminator", "")).strip("'")
    tags = [_tag_of(member, discriminator) for member in get_args(union)]
    accepted = ", ".join(tag for tag in tags if tag)
    field = f"{walk.path}.{discriminator}" if walk.path else discriminator
    if kind == "union_tag_not_found":
        return f"missing field '{field}'" + (f" in {frame}" if walk.path else "")
    tag = value.get(discriminator) if isinstance(value, dict) else ctx.get("tag")
    line = f"unknown {discriminator} {describe_value(tag)} (accepted: {accepted})"
    return f"field '{field}' in {frame}: {line}" if walk.path else line


def _tag_of(member: Any, discriminator: str) -> str | None:
    if not _is_model(member):
        return None
    field = member.model_fields.get(discriminator)
    if field is None or get_origin(field.annotation) is not Literal:
        return None
    args = get_args(field.annotation)
    return str(args[0]) if len(args) == 1 else None
