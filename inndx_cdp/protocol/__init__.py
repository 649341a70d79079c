"""Layer 1: the Sessions protocol's frames as pydantic models, and their codec.

Pure data: no asyncio, no aiohttp. The server decodes with :func:`decode_open`
and :func:`decode_action` (both raise :class:`~inndx_cdp.errors.BadFrame` with a
client-safe message and the frame's ``id``), and writes with :func:`encode`.
"""

from __future__ import annotations

from .actions import (
    ACTIONS,
    ActionFrame,
    ClickFrame,
    CloseFrame,
    ContentFrame,
    EvaluateFrame,
    FillFrame,
    GotoFrame,
    ScreenshotFrame,
)
from .base import FrameId
from .client import ClientOptions, Viewport
from .codec import ServerFrame, check_open_limits, decode_action, decode_open, encode
from .duration import Duration, format_duration, parse_duration
from .middleware import (
    BlockMiddleware,
    Middleware,
    RequestHeadersMiddleware,
    ResponseHeadersMiddleware,
)
from .open import OpenFrame, OpenReply
from .replies import (
    AnswerFrame,
    ClickedReply,
    ClosedReply,
    ContentReply,
    ErrorFrame,
    EvaluatedReply,
    FilledReply,
    GotoReply,
    ScreenshotReply,
)
from .schema import frame_schemas
from .shapes import Cookie, Redirect

__all__ = [
    "ACTIONS",
    "ActionFrame",
    "AnswerFrame",
    "BlockMiddleware",
    "ClickFrame",
    "ClickedReply",
    "ClientOptions",
    "CloseFrame",
    "ClosedReply",
    "ContentFrame",
    "ContentReply",
    "Cookie",
    "Duration",
    "ErrorFrame",
    "EvaluateFrame",
    "EvaluatedReply",
    "FillFrame",
    "FilledReply",
    "FrameId",
    "GotoFrame",
    "GotoReply",
    "Middleware",
    "OpenFrame",
    "OpenReply",
    "Redirect",
    "RequestHeadersMiddleware",
    "ResponseHeadersMiddleware",
    "ScreenshotFrame",
    "ScreenshotReply",
    "ServerFrame",
    "Viewport",
    "check_open_limits",
    "decode_action",
    "decode_open",
    "encode",
    "format_duration",
    "frame_schemas",
    "parse_duration",
]
