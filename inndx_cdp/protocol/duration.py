"""Durations as the open frame spells them: ``500ms``, ``30s``, ``1m30s``, or bare seconds.

The grammar is Go's ``time.ParseDuration`` without the sign, with one extra rule:
units must appear largest first and at most once (``30s1m`` and ``1s1s`` are
rejected), so a typo cannot silently add up to something unintended. Sums are
done on exact decimals and rounded to a float once, so ``1h2m3s500ms`` is
exactly ``3723.5`` and formatting it gives the same string back.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Final

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

__all__ = ["Duration", "format_duration", "parse_duration"]

# Nanoseconds per unit, largest first (this order is the order units must appear in).
_UNITS: Final[dict[str, int]] = {
    "h": 3_600_000_000_000,
    "m": 60_000_000_000,
    "s": 1_000_000_000,
    "ms": 1_000_000,
    "us": 1_000,
    "µs": 1_000,  # MICRO SIGN, as Go accepts it
    "μs": 1_000,  # GREEK SMALL LETTER MU, likewise
    "ns": 1,
}
_RANK: Final[dict[str, int]] = {
    "h": 0,
    "m": 1,
    "s": 2,
    "ms": 3,
    "us": 4,
    "µs": 4,
    "μs": 4,
    "ns": 5,
}
_ACCEPTED_UNITS: Final = "h, m, s, ms, us, ns"
_NUMBER: Final = r"(?:\d+(?:\.\d*)?|\.\d+)"
_BARE: Final = re.compile(_NUMBER)
# A letter run after a number is captured whole so an unknown unit ("5d", "5sec")
# is reported as such rather than as garbage.
_PART: Final = re.compile(rf"({_NUMBER})([^\d.]+)")
# A duration string is at most a handful of parts; this also keeps
# Decimal from being handed a million-digit number.
_MAX_LEN: Final = 64
_NS_PER_S: Final = Decimal(1_000_000_000)

# What the JSON schema says a client may send, and what the server writes back.
_INPUT_SCHEMA: Final = {
    "anyOf": [
        {
            "type": "string",
            "pattern": rf"^({_NUMBER}|({_NUMBER}(h|m|s|ms|us|µs|μs|ns))+)$",
            "examples": ["30s", "500ms", "1m30s"],
        },
        {"type": "number", "exclusiveMinimum": 0},
    ],
    "description": "A duration: 500ms, 30s, 5m, 1h, 1m30s, or a number of seconds.",
}
_OUTPUT_SCHEMA: Final = {"type": "string", "examples": ["30s"]}


def parse_duration(value: str | int | float) -> float:
    """Return ``value`` as a number of seconds (> 0, finite).

    Raises :class:`ValueError` naming what is wrong with ``value``.
    """
    # bool is an int subclass: ``true`` must not mean one second.
    if isinstance(value, bool):
        raise ValueError("duration must be a string or a number, not a boolean")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError("duration is too large") from None
        return _checked(seconds)
    if not isinstance(value, str):
        raise ValueError("duration must be a string or a number")
    return _parse_text(value)


def _parse_text(text: str) -> float:
    if not text:
        raise ValueError("duration is empty")
    if len(text) > _MAX_LEN:
        raise ValueError("duration is too long")
    if text.startswith("-"):
        raise ValueError(f"duration {text!r} is negative")
    if _BARE.fullmatch(text):
        return _checked(float(Decimal(text)))

    total_ns = Decimal(0)
    last_rank = -1
    pos = 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        number, unit = match.groups()
        if unit not in _UNITS:
            raise ValueError(
                f"duration {text!r} has an unknown unit {unit!r} (accepted: {_ACCEPTED_UNITS})"
            )
        if _RANK[unit] <= last_rank:
            raise ValueError(
                f"duration {text!r}: units must go from largest to smallest, each at most once"
            )
        last_rank = _RANK[unit]
        total_ns += Decimal(number) * _UNITS[unit]
        pos = match.end()
    if pos != len(text) or pos == 0:
        raise ValueError(
            f"duration {text!r} is not valid: expected e.g. 500ms, 30s, 5m, 1h or 1m30s"
        )
    return _checked(float(total_ns / _NS_PER_S))


def _checked(seconds: float) -> float:
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError("duration must be a finite number")
    if seconds < 0:
        raise ValueError("duration must not be negative")
    if seconds == 0:
        raise ValueError("duration must be greater than zero")
    return seconds


def format_duration(seconds: float) -> str:
    """Spell ``seconds`` the way :func:`parse_duration` reads it, largest unit first.

    Resolution is one nanosecond (as in Go); ``30.0`` gives ``"30s"``,
    ``90.5`` gives ``"1m30s500ms"``, and zero gives ``"0s"``.
    """
    remaining = round(Decimal(repr(float(seconds))) * _NS_PER_S)
    if remaining <= 0:
        return "0s"
    parts: list[str] = []
    for unit in ("h", "m", "s", "ms", "us", "ns"):
        amount, remaining = divmod(remaining, _UNITS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)


def _validate(value: object) -> float:
    # pydantic hands the raw JSON value over; anything but str/int/float is a type error.
    if isinstance(value, str | int | float):
        return parse_duration(value)
    raise ValueError("duration must be a string such as '30s' or a number of seconds")


Duration = Annotated[
    float,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(_INPUT_SCHEMA, mode="validation"),
    WithJsonSchema(_OUTPUT_SCHEMA, mode="serialization"),
]
"""Seconds as a float; accepts anything :func:`parse_duration` does, dumps as ``"30s"``."""
