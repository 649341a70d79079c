"""The open frame's ``middleware``: request blocking and header rewriting, a union on ``kind``."""

from __future__ import annotations

from typing import Annotated, Final, Literal, get_args

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from .base import RequestModel, empty_list
from .values import HeaderName, HeaderPair, UrlPattern

__all__ = [
    "RESOURCE_TYPES",
    "BlockMiddleware",
    "Middleware",
    "RequestHeadersMiddleware",
    "ResourceType",
    "ResponseHeadersMiddleware",
]

# CDP's Network.ResourceType, spelled as the protocol spells it.
ResourceType = Literal[
    "Document",
    "Stylesheet",
    "Image",
    "Media",
    "Font",
    "Script",
    "TextTrack",
    "XHR",
    "Fetch",
    "Prefetch",
    "EventSource",
    "WebSocket",
    "Manifest",
    "SignedExchange",
    "Ping",
    "CSPViolationReport",
    "Preflight",
    "Other",
]
RESOURCE_TYPES: Final[tuple[str, ...]] = get_args(ResourceType)


class BlockMiddleware(RequestModel):
    """Fail matching requests as blocked by the client.

    A request matches when its type is in ``resource_types`` (or that list is
    empty) and its URL matches one of ``url_patterns`` (or that list is empty).
    At least one of the two must be given: an empty block would block everything.
    """

    kind: Literal["block"]
    resource_types: list[ResourceType] = empty_list()
    url_patterns: list[UrlPattern] = empty_list()

    @model_validator(mode="after")
    def _not_everything(self) -> BlockMiddleware:
        if not self.resource_types and not self.url_patterns:
            raise PydanticCustomError(
                "middleware", "block middleware needs resource_types or url_patterns"
            )
        return self


class _HeadersMiddleware(RequestModel):
    # Shared by the request and response flavours; ``url_patterns`` empty means every URL.
    # ``kind`` is declared here only so it comes first in dumps and schemas.
    kind: Literal["request_headers", "response_headers"]
    set: list[HeaderPair] = empty_list()
    remove: list[HeaderName] = empty_list()
    url_patterns: list[UrlPattern] = empty_list()

    @model_validator(mode="after")
    def _does_something(self) -> _HeadersMiddleware:
        if not self.set and not self.remove:
            raise PydanticCustomError("middleware", "header middleware needs set or remove")
        return self


class RequestHeadersMiddleware(_HeadersMiddleware):
    """Set (``[name, value]`` pairs) and remove (names) headers of outgoing requests."""

    kind: Literal["request_headers"]


class ResponseHeadersMiddleware(_HeadersMiddleware):
    """Set and remove response headers before the page sees them."""

    kind: Literal["response_headers"]


Middleware = Annotated[
    BlockMiddleware | RequestHeadersMiddleware | ResponseHeadersMiddleware,
    Field(discriminator="kind"),
]
"""One middleware entry, chosen by its ``kind``."""
