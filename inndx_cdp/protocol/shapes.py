"""The reusable shapes of the reference page: :class:`Cookie` and :class:`Redirect`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import ReplyModel, RequestModel
from .values import Rfc3339DateTime

__all__ = ["Cookie", "Redirect", "SameSite"]

SameSite = Literal["Lax", "Strict", "None"]


def _is_none(value: object) -> bool:
    return value is None


# The spec wants a session cookie's ``expires`` absent, not null; the same goes
# for every unknown attribute, so a cookie dumps only what it actually has.
_Omitted = Field(exclude_if=_is_none)


class Cookie(RequestModel):
    """A cookie, sent on a goto or reported from its responses.

    Optional attributes are ``None`` when unknown and left out of the JSON.
    ``expires`` is an aware datetime, written as RFC 3339 in UTC. Strict like
    every request model: the server's Set-Cookie parser hands over plain
    ``str``/``bool``/``datetime`` values, which strict mode accepts.
    """

    name: str
    value: str
    domain: Annotated[str | None, _Omitted] = None
    path: Annotated[str | None, _Omitted] = None
    expires: Annotated[Rfc3339DateTime | None, _Omitted] = None
    http_only: Annotated[bool | None, _Omitted] = None
    secure: Annotated[bool | None, _Omitted] = None
    same_site: Annotated[SameSite | None, _Omitted] = None

    @property
    def expires_epoch(self) -> float | None:
        """``expires`` as Unix seconds (what CDP's ``Network.setCookie`` takes)."""
        return None if self.expires is None else self.expires.timestamp()


class Redirect(ReplyModel):
    """One hop of a goto's redirect chain."""

    url: str
    location: str
    side: Literal["server", "client"]
    type: Literal["permanent", "temporary"]
