"""Constrained scalar types the frames share: header names and values, globs, base64, dates.

The hot ones (headers, base64) are plain ``pattern`` constraints, checked by
pydantic-core's regex engine with no Python call per value; the codec turns a
pattern mismatch into words through :data:`PATTERN_MESSAGES`. Every type
carries its JSON schema, so the published schemas say what is accepted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

__all__ = [
    "PATTERN_MESSAGES",
    "Base64",
    "HeaderName",
    "HeaderPair",
    "HeaderValue",
    "NonEmptyStr",
    "Rfc3339DateTime",
    "UrlPattern",
    "format_rfc3339",
    "parse_rfc3339",
]

# These are Rust regexes (pydantic-core's default engine): ``$`` is the very
# end of the string, unlike Python's ``$`` which also matches before a final "\n".
# RFC 7230 section 3.2.6: token = 1*tchar.
_TOKEN: Final = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$"
# Anything but what would end the header line (or NUL, which every HTTP stack refuses).
_FIELD_VALUE: Final = r"^[^\r\n\x00]*$"
# Canonical padded base64 in the standard alphabet, checked without decoding
# (the body is decoded once, when the session needs it).
_BASE64: Final = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# A glob: no whitespace or control characters (they cannot be in a URL).
_GLOB: Final = r"^[^\s\x00-\x1f\x7f]+$"
_MAX_GLOB: Final = 2048

PATTERN_MESSAGES: Final[dict[str, str]] = {
    _TOKEN: "invalid header name: must be an RFC 7230 token such as X-Custom",
    _FIELD_VALUE: "invalid header value: must not contain CR, LF or NUL",
    _BASE64: "must be valid base64 (standard alphabet, with padding)",
    _GLOB: "URL pattern must not contain whitespace or control characters",
}
"""Client-facing words for each ``pattern`` used here, keyed by the pattern."""

# RFC 3339 section 5.6 date-time; fromisoformat then checks the calendar.
_RFC3339_RE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})"
)


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 date-time (offset required) into an aware datetime."""
    if not _RFC3339_RE.fullmatch(value):
        raise ValueError("not an RFC 3339 date-time such as 2030-01-01T00:00:00Z")
    # fromisoformat wants upper case T/Z and at most microseconds.
    text = value.upper()
    head, dot, tail = text.partition(".")
    if dot:
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not a valid date-time: {exc}") from None


def format_rfc3339(value: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC, ``Z`` suffixed."""
    return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def _to_datetime(value: object) -> datetime:
    if isinstance(value, str):
        try:
            return parse_rfc3339(value)
        except ValueError as exc:
            raise PydanticCustomError("date_time", str(exc)) from None
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            # A naive time is ambiguous by hours; refuse rather than guess.
            raise PydanticCustomError("date_time", "date-time must carry a UTC offset")
        return value
    raise PydanticCustomError("date_time", "must be an RFC 3339 date-time string")


NonEmptyStr = Annotated[str, Field(min_length=1)]
"""A string with at least one character."""

HeaderName = Annotated[str, Field(pattern=_TOKEN)]
"""An HTTP header name (an RFC 7230 token)."""

HeaderValue = Annotated[str, Field(pattern=_FIELD_VALUE)]
"""An HTTP header value without CR, LF or NUL."""

HeaderPair = tuple[HeaderName, HeaderValue]
"""One header as a ``[name, value]`` pair."""

UrlPattern = Annotated[str, Field(min_length=1, max_length=_MAX_GLOB, pattern=_GLOB)]
"""A URL glob where ``*`` matches any run of characters; nothing else is special."""

Base64 = Annotated[str, Field(pattern=_BASE64, json_schema_extra={"contentEncoding": "base64"})]
"""A canonical, padded, standard-alphabet base64 string."""

Rfc3339DateTime = Annotated[
    datetime,
    BeforeValidator(_to_datetime),
    PlainSerializer(format_rfc3339, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""An aware datetime; read from and written as an RFC 3339 string."""
