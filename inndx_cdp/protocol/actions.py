"""Action request frames, a tagged union on ``action``.

URLs are kept as plain strings: the session checks the scheme itself so it can
answer that 400 with the page untouched.
"""

from __future__ import annotations

import base64
from functools import cached_property
from typing import Annotated, Final, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .base import OptionalFrameId, RequestModel, empty_list
from .shapes import Cookie
from .values import Base64, HeaderPair, HeaderValue, NonEmptyStr

__all__ = [
    "ACTIONS",
    "ActionFrame",
    "ClickFrame",
    "CloseFrame",
    "ContentFrame",
    "EvaluateFrame",
    "FillFrame",
    "GotoFrame",
    "HttpMethod",
    "ImageFormat",
    "ScreenshotFrame",
]

HttpMethod = Literal["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "TRACE", "CONNECT"]
ImageFormat = Literal["png", "jpeg", "webp"]


class GotoFrame(RequestModel):
    """Navigate the page to ``url``; answered by a :class:`~.replies.GotoReply`."""

    action: Literal["goto"]
    id: OptionalFrameId = None
    url: str
    method: HttpMethod = "GET"
    referrer: str | None = None
    # A keyword (inndx, chrome, firefox, safari, random) or a verbatim UA string;
    # the session resolves it. Only a line break could do harm here.
    user_agent: HeaderValue = "inndx"
    headers: list[HeaderPair] = empty_list()
    cookies: list[Cookie] = empty_list()
    body: Base64 | None = None

    @cached_property
    def body_bytes(self) -> bytes | None:
        """The decoded ``body`` (validated already, decoded on first use)."""
        return None if self.body is None else base64.b64decode(self.body)


class ClickFrame(RequestModel):
    """Click the element ``selector`` matches; answered by ``clicked``."""

    action: Literal["click"]
    id: OptionalFrameId = None
    selector: NonEmptyStr


class FillFrame(RequestModel):
    """Fill the element ``selector`` matches with ``value``; answered by ``filled``."""

    action: Literal["fill"]
    id: OptionalFrameId = None
    selector: NonEmptyStr
    value: str


class ContentFrame(RequestModel):
    """Ask for the page's HTML; answered by ``content``."""

    action: Literal["content"]
    id: OptionalFrameId = None


class EvaluateFrame(RequestModel):
    """Evaluate ``script`` in the page's main world; answered by ``evaluated``."""

    action: Literal["evaluate"]
    id: OptionalFrameId = None
    script: str


class ScreenshotFrame(RequestModel):
    """Capture the viewport (or the full page, or one element); answered by ``screenshot``."""

    action: Literal["screenshot"]
    id: OptionalFrameId = None
    full_page: bool = False
    selector: NonEmptyStr | None = None
    format: ImageFormat = "png"
    quality: int | None = Field(default=None, ge=0, le=100)

    @field_validator("quality")
    @classmethod
    def _lossy_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        # ``format`` is declared first, so it is in ``info.data`` when valid
        # (and absent when invalid: that error is reported on its own).
        if value is not None and info.data.get("format") == "png":
            raise PydanticCustomError("quality", "quality is only allowed with format jpeg or webp")
        return value

    @model_validator(mode="after")
    def _one_area(self) -> ScreenshotFrame:
        # Clipping to an element and capturing the whole page contradict each other.
        if self.full_page and self.selector is not None:
            raise PydanticCustomError(
                "screenshot", "full_page and selector cannot be used together"
            )
        return self


class CloseFrame(RequestModel):
    """End the session; answered by ``closed``, then the socket closes."""

    action: Literal["close"]
    id: OptionalFrameId = None


ActionFrame = Annotated[
    GotoFrame
    | ClickFrame
    | FillFrame
    | ContentFrame
    | EvaluateFrame
    | ScreenshotFrame
    | CloseFrame,
    Field(discriminator="action"),
]
"""Any action request frame, chosen by its ``action``."""

ACTIONS: Final[tuple[str, ...]] = tuple(
    get_args(member.model_fields["action"].annotation)[0]
    for member in get_args(get_args(ActionFrame)[0])
)
"""The action names, in the order of the reference page."""
