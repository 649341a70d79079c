"""The errors a session can end an action with, each carrying its wire code.

Every layer raises these; only the server turns them into frames. ``code`` is
the number of the error frame, ``fatal`` says whether the session ends.

    InndxError
    ├── BadFrame             400  malformed frame, bad field, bad URL, bad selector
    ├── NoMatch              404  selector matched nothing in time
    ├── ActionTimeout        408  the action ran out of time (also TimeoutError)
    ├── NotActionable        409  hidden, disabled, covered or not fillable
    ├── FrameTooLarge        413  frame (or answer) over the configured limit
    ├── ScriptError          422  the page's script threw
    ├── QueueFull            429  too many frames queued on the session
    ├── TooManyRedirects     310  more redirects than max_redirects
    ├── NavigationFailed     502  the network failed (carries net::ERR_...)
    ├── InternalError        500  fatal: a bug, or the renderer crashed
    │   └── PageCrashed      500  fatal: the session's renderer crashed
    ├── BrowserGone          503  fatal: the browser process died
    ├── Draining             503  fatal: the server is shutting down
    ├── SessionExpired       408  fatal: idle or lifetime limit, handshake deadline
    └── LaunchError          503  the browser could not be started
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ActionTimeout",
    "BadFrame",
    "BrowserGone",
    "Draining",
    "FrameTooLarge",
    "InndxError",
    "InternalError",
    "LaunchError",
    "NavigationFailed",
    "NoMatch",
    "NotActionable",
    "PageCrashed",
    "QueueFull",
    "ScriptError",
    "SessionExpired",
    "TooManyRedirects",
]


class InndxError(Exception):
    """Base of every error that reaches a client as an error frame."""

    code: ClassVar[int] = 500
    fatal: ClassVar[bool] = False
    # The ``id`` of the client frame this error answers, echoed on the error frame.
    frame_id: str | int | None = None

    def __init__(self, message: str, *, frame_id: str | int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.frame_id = frame_id


class BadFrame(InndxError, ValueError):
    code = 400


class NoMatch(InndxError):
    code = 404


class ActionTimeout(InndxError, TimeoutError):
    code = 408


class NotActionable(InndxError):
    code = 409


class FrameTooLarge(InndxError):
    code = 413


class ScriptError(InndxError):
    code = 422


class QueueFull(InndxError):
    code = 429


class TooManyRedirects(InndxError):
    code = 310


class NavigationFailed(InndxError):
    code = 502


class InternalError(InndxError):
    code = 500
    fatal = True


class PageCrashed(InternalError):
    pass


class BrowserGone(InndxError):
    code = 503
    fatal = True


class Draining(InndxError):
    code = 503
    fatal = True


class SessionExpired(InndxError):
    code = 408
    fatal = True


class LaunchError(InndxError):
    code = 503
    fatal = True
