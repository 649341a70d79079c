"""An asyncio client for the Sessions protocol: one session per socket, typed answers.

::

    from inndx_cdp.client import connect

    async with connect("ws://127.0.0.1:8022/v1/sessions/ws", tenant="acme") as session:
        page = await session.goto("https://example.com")
        title = await session.evaluate("document.title")
        print(page.status_code, title.result)

Every action is a method that returns the server's answer as the protocol's
own pydantic model (:class:`~inndx_cdp.protocol.GotoReply`, ...). Each frame is
sent with a fresh ``id``, so several actions may be awaited at once on one
session: the server runs them in order and each ``await`` gets its own answer.
An error frame is raised as the :mod:`inndx_cdp.errors` class of its code; a
fatal one ends the session and fails every action still waiting.

The client uses only the protocol models and aiohttp; it does not need
Chromium, and it does not import the server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Annotated, Any, Final, Literal, TypeVar

import aiohttp
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from .errors import (
    ActionTimeout,
    BadFrame,
    BrowserGone,
    FrameTooLarge,
    InndxError,
    InternalError,
    NavigationFailed,
    NoMatch,
    NotActionable,
    QueueFull,
    ScriptError,
    SessionExpired,
    TooManyRedirects,
)
from .protocol import (
    AnswerFrame,
    ClickedReply,
    ClosedReply,
    ContentReply,
    Cookie,
    ErrorFrame,
    EvaluatedReply,
    FilledReply,
    GotoReply,
    OpenReply,
    ScreenshotReply,
)

__all__ = ["Refused", "Session", "SessionClosed", "connect", "error_from_frame"]

_Reply = TypeVar("_Reply", bound=BaseModel)

_ANSWER: Final[TypeAdapter[AnswerFrame]] = TypeAdapter(
    Annotated[AnswerFrame, Field(discriminator="action")]
)

# (code, fatal) -> the class the server raised. A 503 is a dead browser or a
# draining server: both mean "open a new session" and look alike on the wire.
_ERRORS: Final[dict[tuple[int, bool], type[InndxError]]] = {
    (400, False): BadFrame,
    (400, True): BadFrame,
    (404, False): NoMatch,
    (408, False): ActionTimeout,
    (408, True): SessionExpired,
    (409, False): NotActionable,
    (413, False): FrameTooLarge,
    (422, False): ScriptError,
    (429, False): QueueFull,
    (310, False): TooManyRedirects,
    (502, False): NavigationFailed,
    (500, True): InternalError,
    (503, True): BrowserGone,
}

# The server names its limit when it refuses an oversized frame before reading its id.
_TOO_LARGE = re.compile(r"larger than (\d+) bytes")


def error_from_frame(frame: ErrorFrame) -> InndxError:
    """The exception an error frame stands for, carrying its message and ``id``."""
    cls = _ERRORS.get((frame.code, frame.type == "fatal")) or _ERRORS.get(
        (frame.code, frame.type != "fatal"), InternalError
    )
    return cls(frame.message, frame_id=frame.id)


class Refused(ConnectionError):
    """The server refused to open the session before the WebSocket upgrade.

    ``code`` is the HTTP status (400 bad tenant id, 401 bad credentials, 403
    tenant not allowed, 429 limits reached, 503 draining), ``retry_after`` the
    seconds the server asked to wait, when it did.
    """

    def __init__(self, code: int, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after = retry_after


class SessionClosed(ConnectionError):
    """The socket closed without a fatal frame, or the session was already closed."""


@dataclass(slots=True)
class _Waiting:
    future: asyncio.Future[AnswerFrame]
    size: int


class Session:
    """One open session. Get it from :func:`connect`; every method is one action."""

    def __init__(
        self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse, session_id: str
    ) -> None:
        self.id = session_id
        self._http = http
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, _Waiting] = {}
        self._ended: BaseException | None = None
        self._send_lock = asyncio.Lock()
        self._reader = asyncio.get_running_loop().create_task(self._read())

    # -- the verbs --------------------------------------------------------------

    async def goto(
        self,
        url: str,
        *,
        method: str | None = None,
        headers: Sequence[tuple[str, str]] | None = None,
        cookies: Sequence[Cookie | Mapping[str, Any]] | None = None,
        body: bytes | None = None,
        referrer: str | None = None,
        user_agent: str | None = None,
    ) -> GotoReply:
        """Navigate to ``url``; ``body`` is raw bytes (sent base64)."""
        frame: dict[str, Any] = {"action": "goto", "url": url}
        if method is not None:
            frame["method"] = method
        if headers:
            frame["headers"] = [[name, value] for name, value in headers]
        if cookies:
            frame["cookies"] = [_plain(cookie) for cookie in cookies]
        if body is not None:
            frame["body"] = base64.b64encode(body).decode("ascii")
        if referrer is not None:
            frame["referrer"] = referrer
        if user_agent is not None:
            frame["user_agent"] = user_agent
        return await self._expect(frame, GotoReply)

    async def click(self, selector: str) -> ClickedReply:
        """Click the element ``selector`` matches (waits for it to be actionable)."""
        return await self._expect({"action": "click", "selector": selector}, ClickedReply)

    async def fill(self, selector: str, value: str) -> FilledReply:
        """Fill the element ``selector`` matches with ``value``."""
        frame = {"action": "fill", "selector": selector, "value": value}
        return await self._expect(frame, FilledReply)

    async def content(self) -> ContentReply:
        """The page's HTML (base64 in ``content``; see :meth:`html`)."""
        return await self._expect({"action": "content"}, ContentReply)

    async def html(self) -> str:
        """The page's HTML as text: :meth:`content`, decoded."""
        return base64.b64decode((await self.content()).content).decode("utf-8")

    async def evaluate(self, script: str) -> EvaluatedReply:
        """Evaluate ``script`` in the page; its JSON value is in ``result``."""
        return await self._expect({"action": "evaluate", "script": script}, EvaluatedReply)

    async def screenshot(
        self,
        *,
        full_page: bool = False,
        selector: str | None = None,
        format: Literal["png", "jpeg", "webp"] | None = None,
        quality: int | None = None,
    ) -> ScreenshotReply:
        """Capture the viewport, the full page or one element (base64 in ``screenshot``)."""
        frame: dict[str, Any] = {"action": "screenshot"}
        if full_page:
            frame["full_page"] = True
        if selector is not None:
            frame["selector"] = selector
        if format is not None:
            frame["format"] = format
        if quality is not None:
            frame["quality"] = quality
        return await self._expect(frame, ScreenshotReply)

    async def close(self) -> ClosedReply:
        """End the session; the server answers ``closed`` and closes the socket."""
        return await self._expect({"action": "close"}, ClosedReply)

    async def request(self, frame: Mapping[str, Any] | BaseModel) -> AnswerFrame:
        """Send any action frame (a dict or a request model) and return its answer.

        The frame's own ``id``, if any, is replaced: the client numbers frames
        itself so that it can match answers.
        """
        if isinstance(frame, BaseModel):
            data = frame.model_dump(mode="json", exclude_defaults=True)
        else:
            data = dict(frame)
        if self._ended is not None:
            raise self._ended
        frame_id = next(self._ids)
        data["id"] = frame_id
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        waiting = _Waiting(asyncio.get_running_loop().create_future(), len(text.encode()))
        self._waiting[frame_id] = waiting
        try:
            async with self._send_lock:
                await self._ws.send_str(text)
            return await waiting.future
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise self._ended or SessionClosed(f"the socket failed: {exc}") from exc
        finally:
            self._waiting.pop(frame_id, None)

    # -- state ------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the session has ended (closed, fatal error or socket gone)."""
        return self._ended is not None

    @property
    def close_code(self) -> int | None:
        """The WebSocket close code, once the socket is closed."""
        return self._ws.close_code

    async def aclose(self) -> None:
        """Close the session if it is still open, then the socket. Idempotent."""
        if self._ended is None:
            with contextlib.suppress(InndxError, ConnectionError, TimeoutError):
                async with asyncio.timeout(10):
                    await self.close()
        self._end(SessionClosed("the session is closed"))
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._http.close()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the reader -------------------------------------------------------------

    async def _expect(self, frame: dict[str, Any], kind: type[_Reply]) -> _Reply:
        answer = await self.request(frame)
        if not isinstance(answer, kind):
            raise InternalError(f"expected a {kind.__name__}, got {answer!r}")
        return answer

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(message.data)
                elif message.type == aiohttp.WSMsgType.ERROR:
                    break
        finally:
            code = self._ws.close_code
            self._end(SessionClosed(f"the socket closed (code {code})"))

    def _dispatch(self, data: str) -> None:
        try:
            parsed = json.loads(data)
            if isinstance(parsed, dict) and "type" in parsed:
                self._on_error(ErrorFrame.model_validate(parsed))
                return
            answer = _ANSWER.validate_python(parsed)
        except (ValueError, ValidationError) as exc:
            self._end(InternalError(f"the server sent a frame this client cannot read: {exc}"))
            return
        waiting = self._waiting.get(answer.id) if isinstance(answer.id, int) else None
        if waiting is not None and not waiting.future.done():
            waiting.future.set_result(answer)

    def _on_error(self, frame: ErrorFrame) -> None:
        error = error_from_frame(frame)
        if frame.type == "fatal":
            # The answer to one frame, and the end of every other one.
            if isinstance(frame.id, int) and frame.id in self._waiting:
                self._fail(self._waiting[frame.id], error)
            self._end(error)
            return
        waiting = self._waiting.get(frame.id) if isinstance(frame.id, int) else None
        if waiting is None:
            waiting = self._owner_of(frame)
        if waiting is not None:
            self._fail(waiting, error)

    def _owner_of(self, frame: ErrorFrame) -> _Waiting | None:
        """Which waiting frame an error without ``id`` answers.

        The server refuses an oversized frame before it reads the frame's id
        (and names its limit), so that error goes to the oldest waiting frame
        over that limit; any other one to the oldest waiting frame.
        """
        pending = [w for w in self._waiting.values() if not w.future.done()]
        match = _TOO_LARGE.search(frame.message) if frame.code == 413 else None
        if match:
            limit = int(match.group(1))
            over = [w for w in pending if w.size > limit]
            pending = over or pending
        return pending[0] if pending else None

    @staticmethod
    def _fail(waiting: _Waiting, error: BaseException) -> None:
        if not waiting.future.done():
            waiting.future.set_exception(error)

    def _end(self, error: BaseException) -> None:
        if self._ended is None:
            self._ended = error
        for waiting in list(self._waiting.values()):
            self._fail(waiting, self._ended)


class _Connecting:
    """What :func:`connect` returns: use ``async with`` (or ``await`` it and close it yourself)."""

    def __init__(self, opener: Callable[[], Awaitable[Session]]) -> None:
        self._opener = opener
        self._session: Session | None = None

    def __await__(self) -> Generator[Any, None, Session]:
        return self._opener().__await__()

    async def __aenter__(self) -> Session:
        self._session = await self._opener()
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.aclose()


def connect(
    url: str,
    *,
    tenant: str,
    api_key: str | None = None,
    client: str | Mapping[str, Any] | BaseModel | None = None,
    timeout: str | float | None = None,
    max_redirects: int | None = None,
    max_retries: int | None = None,
    middleware: Sequence[Mapping[str, Any] | BaseModel] | None = None,
    proxies: Sequence[str] | None = None,
    headers: Mapping[str, str] | None = None,
    open_timeout: float = 30.0,
    heartbeat: float | None = None,
) -> _Connecting:
    """Open a session at ``url`` (``ws://HOST:PORT/v1/sessions/ws``) for ``tenant``.

    The keyword arguments after ``api_key`` are the open frame's fields; left
    out, the server's defaults apply. ``heartbeat`` sends WebSocket pings that
    often (seconds), for load balancers that cut quiet connections.

    Raises :class:`Refused` when the server refuses before the upgrade, and the
    :mod:`inndx_cdp.errors` class of the fatal frame when the open frame is
    refused (e.g. :class:`~inndx_cdp.errors.BadFrame`).
    """
    frame: dict[str, Any] = {}
    if client is not None:
        frame["client"] = _plain(client)
    if timeout is not None:
        frame["timeout"] = timeout
    if max_redirects is not None:
        frame["max_redirects"] = max_redirects
    if max_retries is not None:
        frame["max_retries"] = max_retries
    if middleware:
        frame["middleware"] = [_plain(item) for item in middleware]
    if proxies:
        frame["proxies"] = list(proxies)
    request_headers = {"X-Tenant-Id": tenant, **(headers or {})}
    if api_key is not None:
        request_headers["Authorization"] = f"Bearer {api_key}"

    async def open_session() -> Session:
        refusal: dict[str, Any] = {}
        http = aiohttp.ClientSession(middlewares=(_keep_refusal(refusal),))
        try:
            ws = await http.ws_connect(url, headers=request_headers, heartbeat=heartbeat)
        except aiohttp.WSServerHandshakeError as exc:
            await http.close()
            raise _refused(exc, refusal) from None
        except BaseException:
            await http.close()
            raise
        try:
            await ws.send_str(json.dumps(frame, separators=(",", ":")))
            reply = await ws.receive(timeout=open_timeout)
            if reply.type != aiohttp.WSMsgType.TEXT:
                raise SessionClosed(
                    f"the socket closed during the handshake (code {ws.close_code})"
                )
            parsed = json.loads(reply.data)
            if isinstance(parsed, dict) and "type" in parsed:
                raise error_from_frame(ErrorFrame.model_validate(parsed))
            opened = OpenReply.model_validate(parsed)
        except BaseException:
            await ws.close()
            await http.close()
            raise
        return Session(http, ws, opened.session_id)

    return _Connecting(open_session)


def _plain(value: Mapping[str, Any] | BaseModel | str) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_defaults=True)
    if isinstance(value, str):
        return value
    return dict(value)


def _keep_refusal(into: dict[str, Any]) -> aiohttp.ClientMiddlewareType:
    """A client middleware that keeps the JSON body of a refused upgrade (aiohttp drops it)."""

    async def middleware(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        response = await handler(request)
        if response.status >= 400:
            with contextlib.suppress(aiohttp.ClientError, ValueError):
                into.update(await response.json(content_type=None))
        return response

    return middleware


def _refused(exc: aiohttp.WSServerHandshakeError, body: dict[str, Any]) -> Refused:
    message = body.get("message") if isinstance(body.get("message"), str) else exc.message
    retry_after: float | None = None
    header = exc.headers.get("Retry-After") if exc.headers else None
    if header is not None:
        with contextlib.suppress(ValueError):
            retry_after = float(header)
    return Refused(exc.status, str(message), retry_after)
