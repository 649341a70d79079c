"""What the server sends after the handshake: answers (tagged on ``action``) and errors."""

from __future__ import annotations

from typing import Any, Literal

from ..errors import InndxError
from .base import FrameId, OptionalFrameId, ReplyModel, empty_list
from .shapes import Cookie, Redirect

__all__ = [
    "AnswerFrame",
    "ClickedReply",
    "ClosedReply",
    "ContentReply",
    "ErrorFrame",
    "EvaluatedReply",
    "FilledReply",
    "GotoReply",
    "ScreenshotReply",
]


class GotoReply(ReplyModel):
    """The result of a goto: the final response and how the page got there.

    ``body`` and ``content_type`` are written as ``null`` when absent.
    """

    action: Literal["goto"] = "goto"
    id: OptionalFrameId = None
    url: str
    status_code: int
    headers: list[tuple[str, str]] = empty_list()
    cookies: list[Cookie] = empty_list()
    body: str | None = None
    redirects: list[Redirect] = empty_list()
    content_type: str | None = None


class ClickedReply(ReplyModel):
    """A click completed (and any navigation it started has loaded)."""

    action: Literal["clicked"] = "clicked"
    id: OptionalFrameId = None


class FilledReply(ReplyModel):
    """A fill completed."""

    action: Literal["filled"] = "filled"
    id: OptionalFrameId = None


class ContentReply(ReplyModel):
    """The page's HTML, base64."""

    action: Literal["content"] = "content"
    id: OptionalFrameId = None
    content: str


class EvaluatedReply(ReplyModel):
    """The JSON value a script returned (``undefined`` is ``null``)."""

    action: Literal["evaluated"] = "evaluated"
    id: OptionalFrameId = None
    # Any, not JsonValue: the value comes from the page as JSON already, and a
    # recursive validation of a large result would cost for nothing.
    result: Any = None


class ScreenshotReply(ReplyModel):
    """A base64 image, or ``null`` when the page could not be captured."""

    action: Literal["screenshot"] = "screenshot"
    id: OptionalFrameId = None
    screenshot: str | None = None


class ClosedReply(ReplyModel):
    """The session is closing; the socket closes with 1000 right after."""

    action: Literal["closed"] = "closed"
    id: OptionalFrameId = None


AnswerFrame = (
    GotoReply
    | ClickedReply
    | FilledReply
    | ContentReply
    | EvaluatedReply
    | ScreenshotReply
    | ClosedReply
)
"""Any answer to an action frame."""


class ErrorFrame(ReplyModel):
    """An error (the session stays usable) or a fatal error (the last frame)."""

    type: Literal["error", "fatal"]
    message: str
    code: int
    id: OptionalFrameId = None

    @classmethod
    def from_error(
        cls,
        error: InndxError,
        *,
        fatal: bool | None = None,
        id: FrameId | None = None,
    ) -> ErrorFrame:
        """The frame for ``error``.

        ``fatal`` overrides the error's own severity (everything is fatal during
        the handshake); ``id`` defaults to the id the error carries.
        """
        is_fatal = error.fatal if fatal is None else fatal
        return cls(
            type="fatal" if is_fatal else "error",
            message=error.message,
            code=error.code,
            id=error.frame_id if id is None else id,
        )
