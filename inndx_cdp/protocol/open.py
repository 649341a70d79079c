"""The handshake: the client's :class:`OpenFrame` and the server's :class:`OpenReply`."""

from __future__ import annotations

from typing import Final

from pydantic import Field

from .base import ReplyModel, RequestModel, empty_list
from .client import ClientOptions, ClientSpec
from .duration import Duration
from .middleware import Middleware
from .values import NonEmptyStr

__all__ = ["OPEN_FIELDS", "OpenFrame", "OpenReply"]

# Hard sanity bound only; the configured ceilings are applied by check_open_limits.
_MAX_COUNT: Final = 2**31 - 1


class OpenFrame(RequestModel):
    """The first frame of a session. Every field is optional; it carries no ``id``."""

    # The schema shows the reference page's default, the string form.
    client: ClientSpec = Field(
        default_factory=ClientOptions, json_schema_extra={"default": "standard"}
    )
    middleware: list[Middleware] = empty_list()
    proxies: list[NonEmptyStr] = empty_list()
    # The schema shows the default as the reference page writes it.
    timeout: Duration = Field(default=30.0, json_schema_extra={"default": "30s"})
    max_redirects: int = Field(default=10, ge=0, le=_MAX_COUNT)
    max_retries: int = Field(default=3, ge=0, le=_MAX_COUNT)


OPEN_FIELDS: Final[tuple[str, ...]] = tuple(OpenFrame.model_fields)


class OpenReply(ReplyModel):
    """The server's answer to the open frame, once the page is ready."""

    session_id: str = Field(json_schema_extra={"format": "uuid"})
