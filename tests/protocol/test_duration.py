"""parse_duration, format_duration and the Duration field type."""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, ValidationError

from inndx_cdp.protocol import Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("1m30s", 90.0),
        ("1h2m3s500ms", 3723.5),
        ("1.5s", 1.5),
        ("0.25m", 15.0),
        (".5s", 0.5),
        ("1.s", 1.0),
        ("250us", 0.00025),
        ("3µs", 0.000003),
        ("100ns", 1e-7),
        ("30", 30.0),
        ("1.5", 1.5),
        (30, 30.0),
        (0.5, 0.5),
        (10**6, 1e6),
    ],
)
def test_parses(value: str | int | float, seconds: float) -> None:
    result = parse_duration(value)
    assert isinstance(result, float)
    assert result == pytest.approx(seconds, rel=1e-12)


def test_sums_exactly() -> None:
    # Summed as decimals, rounded once: no 0.1 + 0.2 drift.
    assert parse_duration("1h2m3s500ms") == 3723.5
    assert parse_duration("100ms") == 0.1
    assert parse_duration("1s100ms") == 1.1


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "empty"),
        ("-1s", "negative"),
        ("-5", "negative"),
        (-1, "negative"),
        (-0.5, "negative"),
        ("0", "greater than zero"),
        ("0s", "greater than zero"),
        ("0h0m", "greater than zero"),
        (0, "greater than zero"),
        (0.0, "greater than zero"),
        ("5d", "unknown unit 'd'"),
        ("5sec", "unknown unit 'sec'"),
        ("10 s", "unknown unit ' s'"),
        ("30s ", "unknown unit 's '"),
        ("1e3", "unknown unit 'e'"),
        ("abc", "not valid"),
        ("s", "not valid"),
        ("1m30", "not valid"),
        (" 30s", "not valid"),
        ("1.5.5s", "not valid"),
        ("nan", "not valid"),
        ("inf", "not valid"),
        ("30s1m", "largest to smallest"),
        ("1s1s", "largest to smallest"),
        ("1" * 100 + "s", "too long"),
        (True, "boolean"),
        (False, "boolean"),
        (math.nan, "finite"),
        (math.inf, "finite"),
        (-math.inf, "finite"),
        (10**400, "too large"),
    ],
)
def test_rejects(value: object, fragment: str) -> None:
    with pytest.raises(ValueError, match="duration") as info:
        parse_duration(value)  # type: ignore[arg-type]
    assert fragment in str(info.value)


@pytest.mark.parametrize("value", [None, [1], {"s": 1}, b"30s"])
def test_rejects_other_types(value: object) -> None:
    with pytest.raises(ValueError, match="must be a string or a number"):
        parse_duration(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30.0, "30s"),
        (0.5, "500ms"),
        (90.0, "1m30s"),
        (3723.5, "1h2m3s500ms"),
        (1.5, "1s500ms"),
        (3600.0, "1h"),
        (86400.0, "24h"),
        (0.000001, "1us"),
        (1e-9, "1ns"),
        (0.0, "0s"),
    ],
)
def test_formats(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    "text", ["500ms", "30s", "5m", "1h", "1m30s", "1h2m3s500ms", "1.1s", "2.75h", "123456789ms"]
)
def test_round_trips(text: str) -> None:
    seconds = parse_duration(text)
    assert parse_duration(format_duration(seconds)) == seconds


class _Holder(BaseModel):
    timeout: Duration = 30.0


def test_duration_field_validates_and_dumps_as_text() -> None:
    assert _Holder.model_validate_json('{"timeout": "1m30s"}').timeout == 90.0
    assert _Holder.model_validate_json('{"timeout": 2}').timeout == 2.0
    assert _Holder().model_dump_json() == '{"timeout":"30s"}'
    assert _Holder(timeout="500ms").model_dump() == {"timeout": "500ms"}  # type: ignore[arg-type]


def test_duration_field_error_names_the_problem() -> None:
    with pytest.raises(ValidationError) as info:
        _Holder.model_validate_json('{"timeout": "5d"}')
    error = info.value.errors()[0]
    assert error["loc"] == ("timeout",)
    assert "unknown unit 'd'" in error["msg"]


def test_duration_schema_per_mode() -> None:
    validation = _Holder.model_json_schema(mode="validation")["properties"]["timeout"]
    assert {branch["type"] for branch in validation["anyOf"]} == {"string", "number"}
    # Either spelling is a valid input; it must mean the same 30 seconds.
    assert parse_duration(validation["default"]) == 30.0
    serialization = _Holder.model_json_schema(mode="serialization")["properties"]["timeout"]
    assert serialization["type"] == "string"
