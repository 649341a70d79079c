"""Raw Chrome DevTools Protocol over ``--remote-debugging-pipe``.

Chromium reads NUL-terminated JSON commands on its fd 3 and writes answers and
events on its fd 4. One :class:`CdpConnection` owns both pipe ends: a single
asyncio protocol splits the stream on NUL and routes each message at once, in
order, without awaiting (so an event can never overtake the answer it follows).
Answers resolve the caller's future by ``id``; events go to the listeners of
the :class:`CdpSession` named by their ``sessionId`` (flatten mode).

When the pipe closes every pending call fails at once with :class:`BrowserGone`;
when a target detaches or its renderer crashes, the calls of that session fail.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from pydantic_core import PydanticSerializationError, from_json, to_json

from ..errors import BrowserGone, InndxError, PageCrashed

__all__ = ["CdpConnection", "CdpError", "CdpSession", "EventQueue", "Listener"]

log = logging.getLogger("inndx_cdp.cdp")

Json = dict[str, Any]
Listener = Callable[[Json], None]

# Chromium's pipe handler drops anything larger than its 100 MB receive buffer.
MAX_COMMAND_BYTES = 95 * 1024 * 1024


class CdpError(Exception):
    """The browser answered a command with a protocol error."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: {message} ({code})")
        self.method = method
        self.code = code
        self.message = message


class CdpSession:
    """Commands and events scoped to one attached target (or the browser itself)."""

    def __init__(self, connection: CdpConnection, session_id: str | None) -> None:
        self.connection = connection
        self.id = session_id
        self._listeners: dict[str, list[Listener]] = {}
        self._pending: dict[int, asyncio.Future[Json]] = {}
        self.closed_error: InndxError | None = None

    @property
    def closed(self) -> bool:
        return self.closed_error is not None

    async def send(self, method: str, params: Json | None = None) -> Json:
        """Send one command and wait for its result; raise :class:`CdpError` on a protocol error."""
        if self.closed_error is not None:
            raise self.closed_error
        future = self.connection._send(self, method, params)
        return await future

    def on(self, event: str, listener: Listener) -> Callable[[], None]:
        """Call ``listener(params)`` for every ``event``; returns the function that unsubscribes.

        Listeners run inside the reader, in message order: they must not block.
        """
        self._listeners.setdefault(event, []).append(listener)

        def remove() -> None:
            listeners = self._listeners.get(event)
            if listeners and listener in listeners:
                listeners.remove(listener)

        return remove

    def listen(self, *events: str) -> EventQueue:
        """Subscribe to ``events`` now (before acting) and read them later, in order."""
        return EventQueue(self, events)

    def _dispatch(self, method: str, params: Json) -> None:
        listeners = self._listeners.get(method)
        if not listeners:
            return
        for listener in tuple(listeners):
            try:
                listener(params)
            except Exception:  # a listener's bug must not kill the reader
                log.exception("CDP listener for %s failed", method)

    def end(self, error: InndxError) -> None:
        """Fail this session's pending and future calls with ``error``, as if its target died."""
        self._close(error)

    def _close(self, error: InndxError) -> None:
        if self.closed_error is not None:
            return
        self.closed_error = error
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(error)
        self._dispatch("inndx.closed", {"reason": error.message})


class EventQueue:
    """Events of one session buffered from the moment of subscription.

    Use as a context manager so the subscription ends with the block::

        with page.listen("Page.loadEventFired") as events:
            await page.send("Page.navigate", {"url": url})
            params = await events.next("Page.loadEventFired")
    """

    def __init__(self, session: CdpSession, events: Iterable[str]) -> None:
        self.session = session
        self._items: asyncio.Queue[tuple[str, Json]] = asyncio.Queue()
        self._removers = [
            session.on(name, self._collector(name)) for name in (*events, "inndx.closed")
        ]

    def _collector(self, name: str) -> Listener:
        def collect(params: Json) -> None:
            self._items.put_nowait((name, params))

        return collect

    def put(self, method: str, params: Json) -> None:
        """Add an event of one's own, read in order with the browser's."""
        self._items.put_nowait((method, params))

    def empty(self) -> bool:
        """True when every event received so far has been read."""
        return self._items.empty()

    async def get(self) -> tuple[str, Json]:
        """The next event as ``(method, params)``; raises if the session closed."""
        name, params = await self._items.get()
        if name == "inndx.closed" and self.session.closed_error is not None:
            raise self.session.closed_error
        return name, params

    async def next(self, method: str, where: Callable[[Json], bool] | None = None) -> Json:
        """Skip events until one named ``method`` (and matching ``where``) arrives."""
        while True:
            name, params = await self.get()
            if name == method and (where is None or where(params)):
                return params

    def close(self) -> None:
        for remove in self._removers:
            remove()
        self._removers.clear()

    def __enter__(self) -> EventQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _PipeReader(asyncio.Protocol):
    def __init__(self, connection: CdpConnection) -> None:
        self._connection = connection
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        # Only the new bytes can hold a terminator: a large message (a
        # screenshot) arrives in many reads and must not be rescanned each time.
        search = len(buffer)
        buffer += data
        start = 0
        while (end := buffer.find(b"\0", search)) != -1:
            self._connection._on_message(bytes(buffer[start:end]))
            start = search = end + 1
        if start:
            del buffer[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        self._connection._on_lost("the browser closed its DevTools pipe")


class CdpConnection:
    """The pipe to one browser process, multiplexed into sessions."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._calls: dict[int, tuple[asyncio.Future[Json], str, CdpSession]] = {}
        self._write: asyncio.WriteTransport | None = None
        self._read: asyncio.ReadTransport | None = None
        self.browser = CdpSession(self, None)
        self._sessions: dict[str, CdpSession] = {}
        self.lost = asyncio.get_running_loop().create_future()
        self.browser.on("Target.detachedFromTarget", self._on_detached)

    @classmethod
    async def over_pipe(cls, read_fd: int, write_fd: int) -> CdpConnection:
        """Connect to the parent-side ends of the browser's fd 4 (read) and fd 3 (write)."""
        loop = asyncio.get_running_loop()
        self = cls()
        # Wrapping an open fd does no I/O; the transports own the files from here.
        read_file = open(read_fd, "rb", buffering=0)  # noqa: SIM115, ASYNC230
        write_file = open(write_fd, "wb", buffering=0)  # noqa: SIM115, ASYNC230
        self._read, _ = await loop.connect_read_pipe(lambda: _PipeReader(self), read_file)
        self._write, _ = await loop.connect_write_pipe(asyncio.Protocol, write_file)
        return self

    def session(self, session_id: str) -> CdpSession:
        """The session object of an attached target; created before its first event arrives."""
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = CdpSession(self, session_id)
        return session

    @property
    def is_lost(self) -> bool:
        return self.lost.done()

    def close(self) -> None:
        """Close both pipe ends; Chromium exits when its end of the pipe closes."""
        for transport in (self._write, self._read):
            if transport is not None and not transport.is_closing():
                transport.close()
        self._on_lost("the connection to the browser was closed")

    def _send(self, session: CdpSession, method: str, params: Json | None) -> asyncio.Future[Json]:
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        if self.lost.done():
            future.set_exception(BrowserGone(self.lost.result()))
            return future
        call_id = next(self._ids)
        message: Json = {"id": call_id, "method": method, "params": params or {}}
        if session.id is not None:
            message["sessionId"] = session.id
        data = _encode(message)
        if len(data) > MAX_COMMAND_BYTES:
            future.set_exception(CdpError(method, -32000, "command too large for the pipe"))
            return future
        assert self._write is not None, "connection not opened"
        self._calls[call_id] = (future, method, session)
        session._pending[call_id] = future
        self._write.write(data + b"\0")
        return future

    def _on_message(self, raw: bytes) -> None:
        message = _decode(raw)
        call_id = message.get("id")
        if call_id is not None:
            call = self._calls.pop(call_id, None)
            if call is None:
                return
            future, method, session = call
            session._pending.pop(call_id, None)
            if future.done():
                return
            error = message.get("error")
            if error is not None:
                future.set_exception(
                    CdpError(method, error.get("code", 0), error.get("message", ""))
                )
            else:
                future.set_result(message.get("result", {}))
            return
        method = message.get("method")
        if method is None:
            return
        session_id = message.get("sessionId")
        params = message.get("params", {})
        if session_id is None:
            self.browser._dispatch(method, params)
            return
        target = self._sessions.get(session_id)
        if target is None:
            return
        if method == "Inspector.targetCrashed":
            target._close(PageCrashed("the page's renderer crashed"))
        target._dispatch(method, params)

    def _on_detached(self, params: Json) -> None:
        session = self._sessions.pop(params.get("sessionId", ""), None)
        if session is not None:
            session._close(BrowserGone("the page was closed"))

    def _on_lost(self, reason: str) -> None:
        if self.lost.done():
            return
        self.lost.set_result(reason)
        error = BrowserGone(reason)
        calls, self._calls = self._calls, {}
        for future, _, _ in calls.values():
            if not future.done():
                future.set_exception(error)
        sessions, self._sessions = self._sessions, {}
        for session in sessions.values():
            session._close(error)
        self.browser._close(error)


def _encode(message: Json) -> bytes:
    # pydantic-core's serializer is several times faster than the json module
    # (measured: a 1.6 KB Runtime.evaluate command); a string it refuses (a
    # lone surrogate) goes out escaped instead.
    try:
        return to_json(message)
    except PydanticSerializationError:
        return json.dumps(message, separators=(",", ":")).encode()


def _decode(raw: bytes) -> Any:
    # Three to six times faster than json.loads on the browser's messages
    # (answers, events, a screenshot's base64). Chromium escapes every
    # non-ASCII character; the one escape the fast parser refuses, a lone
    # surrogate from a page's string, is left to the json module.
    try:
        return from_json(raw)
    except ValueError:
        return json.loads(raw)
