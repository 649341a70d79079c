"""The open frame's ``client``: which browser build, and how the page presents itself."""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Annotated, Final, Literal, get_args

from pydantic import BeforeValidator, Field, GetJsonSchemaHandler, field_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from .base import RequestModel

__all__ = ["CLIENT_KINDS", "ClientKind", "ClientOptions", "ClientSpec", "Viewport"]

ClientKind = Literal["standard", "chrome"]
CLIENT_KINDS: Final[tuple[str, ...]] = get_args(ClientKind)

# Chromium refuses larger surfaces in Emulation.setDeviceMetricsOverride.
MAX_VIEWPORT: Final = 16384

# BCP 47, the parts a browser locale uses: language[-Script][-REGION|-419][-variant...]
# (matched with fullmatch: a Python "$" would let a trailing newline through).
_LOCALE_RE: Final = re.compile(
    r"^[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|\d{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|\d[A-Za-z0-9]{3}))*$"
)
_MAX_LOCALE: Final = 35
# Only used when the system has no time zone database to check against.
_TZ_NAME_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*$")


@functools.cache
def _timezones() -> frozenset[str]:
    # Reads the whole tz database from disk: once per process is plenty.
    return frozenset(zoneinfo.available_timezones())


class Viewport(RequestModel):
    """The page's CSS viewport in pixels."""

    width: int = Field(default=1280, ge=1, le=MAX_VIEWPORT)
    height: int = Field(default=720, ge=1, le=MAX_VIEWPORT)


class ClientOptions(RequestModel):
    """The fetch client: a Chromium build (``kind``) and its page options."""

    kind: ClientKind = "standard"
    viewport: Viewport = Viewport()
    locale: str | None = None
    timezone: str | None = None
    javascript: bool = True

    @field_validator("kind", mode="before")
    @classmethod
    def _known_kind(cls, value: object) -> object:
        # Say which kinds exist, instead of pydantic's generic literal message.
        if isinstance(value, str) and value not in CLIENT_KINDS:
            raise PydanticCustomError(
                "client_kind",
                "unknown client kind {kind} (accepted: {accepted})",
                {"kind": repr(value[:40]), "accepted": ", ".join(CLIENT_KINDS)},
            )
        return value

    @field_validator("locale")
    @classmethod
    def _bcp47(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > _MAX_LOCALE or not _LOCALE_RE.fullmatch(value)):
            raise PydanticCustomError("locale", "not a BCP 47 language tag such as en-US or pt-BR")
        return value

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is None:
            return None
        known = _timezones()
        ok = value in known if known else bool(_TZ_NAME_RE.fullmatch(value))
        if not ok:
            raise PydanticCustomError(
                "timezone", "not a known IANA time zone such as Europe/Paris or UTC"
            )
        return value


def _client_from_kind(value: object) -> object:
    # ``"chrome"`` is shorthand for ``{"kind": "chrome"}``.
    if isinstance(value, str):
        return {"kind": value}
    if isinstance(value, dict | ClientOptions):
        return value
    raise PydanticCustomError(
        "client_type",
        "must be a client kind ({accepted}) or an object with a kind",
        {"accepted": ", ".join(CLIENT_KINDS)},
    )


class _KindOrObjectSchema:
    """Publish ``client`` as "a kind name, or the options object" in the JSON schema."""

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        options = handler(schema)
        if handler.mode == "serialization":
            return options  # the server always writes the object form
        return {"anyOf": [{"type": "string", "enum": list(CLIENT_KINDS)}, options]}


ClientSpec = Annotated[ClientOptions, BeforeValidator(_client_from_kind), _KindOrObjectSchema()]
"""``client`` as the open frame takes it: a kind name or a :class:`ClientOptions` object."""
