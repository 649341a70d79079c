"""The one place where errors become error frames and close codes."""

from __future__ import annotations

import logging

from aiohttp import WSCloseCode, web

from ..errors import InndxError, InternalError
from ..protocol import ErrorFrame, encode

__all__ = ["close_code", "error_frame", "refusal"]

log = logging.getLogger("inndx_cdp.server")

# A page can throw a string of any size; an error message stays a line or two.
MAX_MESSAGE = 2000


def error_frame(error: BaseException, frame_id: str | int | None = None) -> ErrorFrame:
    """The frame for ``error``; anything that is not an :class:`InndxError` is a 500.

    Unexpected exceptions are logged with their traceback here and reach the
    client only as a one-line message.
    """
    if not isinstance(error, InndxError):
        log.error("internal error", exc_info=error)
        error = InternalError("internal error")
    frame_id = error.frame_id if error.frame_id is not None else frame_id
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return ErrorFrame(
        type="fatal" if error.fatal else "error",
        message=message,
        code=error.code,
        id=frame_id,
    )


def close_code(error: InndxError) -> WSCloseCode:
    """The WebSocket close code that follows a fatal frame."""
    if error.code == 503:
        return WSCloseCode.GOING_AWAY
    if error.code == 400:
        return WSCloseCode.POLICY_VIOLATION
    if error.code == 500:
        return WSCloseCode.INTERNAL_ERROR
    return WSCloseCode.POLICY_VIOLATION if error.code == 408 else WSCloseCode.OK


def refusal(status: int, message: str, *, retry_after: int | None = None) -> web.Response:
    """A refusal before the upgrade: HTTP status with a body shaped like an error frame."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = encode(ErrorFrame(type="fatal", message=message, code=status))
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)
