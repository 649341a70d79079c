"""The WebSocket side of one session: handshake, frame queue, timers, shutdown.

Frames are read in the handler's own task (as aiohttp wants) and queued; one
worker task runs them in arrival order, so a client may pipeline. Errors that
leave the session usable become ``error`` frames; anything fatal sends one
``fatal`` frame and closes the socket. The page goes back to the pool on every
exit path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode, WSMsgType, web

from ..errors import (
    BadFrame,
    Draining,
    FrameTooLarge,
    InndxError,
    QueueFull,
    SessionExpired,
)
from ..protocol import CloseFrame, OpenReply, check_open_limits, decode_action, decode_open
from ..protocol.codec import ServerFrame, encode_bytes
from ..session.session import ActionFrame, Session, SessionConfig
from ..session.setup import PageOptions, apply_options
from .logs import bind_session
from .replies import close_code, error_frame

if TYPE_CHECKING:
    from .app import ServerState

__all__ = ["SocketSession"]

log = logging.getLogger("inndx_cdp.server")


class SocketSession:
    """One client socket driving one session."""

    def __init__(self, ws: web.WebSocketResponse, state: ServerState, tenant: str) -> None:
        self.ws = ws
        self.state = state
        self.tenant = tenant
        self.settings = state.settings
        self.session: Session | None = None
        self.queue: asyncio.Queue[ActionFrame] = asyncio.Queue(self.settings.max_queued_frames)
        self.worker: asyncio.Task[None] | None = None
        self.busy = False
        # The frame being run, so that a fatal cutting it short carries its id.
        self.current: ActionFrame | None = None
        self.idle = asyncio.Event()
        self.idle.set()
        self.draining = False
        self.ended = False
        self._idle: asyncio.TimerHandle | None = None
        self._active_at = 0.0
        self._lifetime: asyncio.TimerHandle | None = None

    # -- lifecycle ------------------------------------------------------------

    async def run(self) -> None:
        """Handshake, then read frames until the socket or the session ends."""
        try:
            if self.state.admission.draining:  # upgraded just as the drain began
                await self.finish(Draining("the server is shutting down"))
            elif await self._handshake():
                self.worker = asyncio.get_running_loop().create_task(self._work())
                await self._read()
        except Exception as exc:  # never let a bug take the server down or leak a traceback
            await self.finish(exc)
        finally:
            await self._cleanup()

    async def _handshake(self) -> bool:
        try:
            message = await self.ws.receive(timeout=self.settings.open_timeout)
        except TimeoutError:
            await self.finish(
                SessionExpired(f"no open frame within {self.settings.open_timeout:g}s")
            )
            return False
        if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            return False
        if message.type != WSMsgType.TEXT:
            await self.finish(BadFrame("the open frame must be a JSON text frame"))
            return False
        try:
            frame = decode_open(message.data)
            check_open_limits(
                frame,
                max_timeout=self.settings.max_timeout,
                max_redirects=self.settings.max_redirects,
                max_retries=self.settings.max_retries,
            )
            page = await self.state.open_page(frame)
        except Exception as exc:
            await self.finish(exc)
            return False
        if self.ended:  # drained or gone while the page was being leased
            await self.state.release_page(page)
            return False
        session_id = str(uuid.uuid4())
        bind_session(session_id, self.tenant)
        self.session = Session(
            session_id,
            page,
            SessionConfig(
                timeout=frame.timeout,
                max_redirects=frame.max_redirects,
                max_retries=frame.max_retries,
            ),
        )
        client = frame.client
        options = PageOptions(
            width=client.viewport.width,
            height=client.viewport.height,
            locale=client.locale,
            timezone=client.timezone,
            javascript=client.javascript,
        )
        try:
            if options != page.state.get("options"):
                await apply_options(page, options)
        except Exception as exc:
            await self.finish(exc)
            return False
        self.session.ended.add_done_callback(self._on_session_ended)
        loop = asyncio.get_running_loop()
        self._lifetime = loop.call_later(self.settings.max_lifetime, self._expire_lifetime)
        self._touch()
        await self._send(OpenReply(session_id=session_id))
        log.info("session %s opened for tenant %s", session_id, self.tenant)
        return True

    async def _read(self) -> None:
        limit = self.settings.max_frame_bytes
        while not self.ended:
            message = await self.ws.receive()
            if message.type == WSMsgType.TEXT:
                data: str = message.data
                self._touch()
                # A str is at most 4 bytes a character: encode only when it might be over.
                if len(data) * 4 > limit and len(data.encode()) > limit:
                    await self._send(error_frame(FrameTooLarge(f"frame larger than {limit} bytes")))
                    continue
                try:
                    frame = decode_action(data)
                except BadFrame as exc:
                    await self._send(error_frame(exc))
                    continue
                if self.draining:
                    continue
                try:
                    self.queue.put_nowait(frame)
                except asyncio.QueueFull:
                    error = QueueFull(
                        f"more than {self.queue.maxsize} frames are waiting on this session"
                    )
                    await self._send(error_frame(error, frame.id))
            elif message.type == WSMsgType.BINARY:
                self._touch()
                await self._send(
                    error_frame(BadFrame("binary frames are not accepted; send JSON text"))
                )
            elif message.type == WSMsgType.ERROR:
                # The transport's own protocol errors (e.g. over the hard size cap).
                log.info("socket error: %s", self.ws.exception())
                return
            else:  # CLOSE, CLOSING, CLOSED
                return

    async def _work(self) -> None:
        try:
            await self._run_frames()
        except Exception as exc:  # a bug here must end the session, not leave it hanging
            await self.finish(exc)

    async def _run_frames(self) -> None:
        assert self.session is not None
        while not self.draining:
            frame = await self.queue.get()
            self.busy = True
            self.current = frame
            self.idle.clear()
            try:
                with self.state.metrics.action(frame.action):
                    reply = await self.session.perform(frame)
                    # Sent before the metrics are recorded: the client's
                    # answer does not wait for the bookkeeping.
                    await self._send(reply)
            except InndxError as exc:
                if exc.fatal:
                    await self.finish(exc, frame.id)
                    return
                await self._send(error_frame(exc, frame.id))
            except Exception as exc:
                await self.finish(exc, frame.id)
                return
            else:
                if isinstance(frame, CloseFrame):
                    self.ended = True
                    await self.ws.close(code=WSCloseCode.OK)
                    return
            finally:
                self.busy = False
                self.current = None
                self.idle.set()
                self._touch()

    async def finish(self, error: BaseException, frame_id: str | int | None = None) -> None:
        """Send the one fatal frame and close the socket (idempotent).

        A fatal that cuts an action short carries that action's ``id``.
        """
        if self.ended:
            return
        self.ended = True
        if frame_id is None and self.current is not None:
            frame_id = self.current.id
        if not isinstance(error, InndxError) or not error.fatal:
            # During the handshake every error ends the session.
            frame = error_frame(error, frame_id)
            frame = frame.model_copy(update={"type": "fatal"})
            code = (
                close_code(error) if isinstance(error, InndxError) else WSCloseCode.INTERNAL_ERROR
            )
        else:
            frame = error_frame(error, frame_id)
            code = close_code(error)
        session = self.session.id if self.session else "-"
        log.info("session %s ends: %s %s", session, frame.code, frame.message)
        with contextlib.suppress(Exception):
            await self._send(frame)
        with contextlib.suppress(Exception):
            await self.ws.close(code=code)
        if self.worker is not None and self.worker is not asyncio.current_task():
            self.worker.cancel()

    async def drain(self, grace: float) -> None:
        """Let the running action finish within ``grace``, then end with a fatal 503."""
        self.draining = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), grace)
        await self.finish(Draining("the server is shutting down"))

    async def _cleanup(self) -> None:
        self.ended = True
        for timer in (self._idle, self._lifetime):
            if timer is not None:
                timer.cancel()
        # aiohttp may cancel this handler once the client is gone; giving the
        # page back must finish all the same, so it runs as its own task.
        releasing = asyncio.get_running_loop().create_task(self._release())
        self.state.background.add(releasing)
        releasing.add_done_callback(self.state.background.discard)
        await asyncio.shield(releasing)

    async def _release(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            await asyncio.wait([self.worker])
        if self.session is not None:
            self.session.close()
            await self.state.release_page(self.session.page)
            log.info("session %s closed", self.session.id)

    # -- helpers ----------------------------------------------------------------

    async def _send(self, frame: ServerFrame) -> None:
        if self.ws.closed:
            return
        # The serializer's UTF-8 bytes go out as they are: no str round trip
        # copying a large screenshot or content twice more, and their length
        # is the size a client's limit sees.
        data = encode_bytes(frame)
        limit = self.settings.max_answer_bytes
        if len(data) > limit:
            # A client would drop the socket on a frame past its own limit;
            # an error it can act on is better, and the session goes on.
            what = getattr(frame, "action", None) or "answer"
            error = FrameTooLarge(
                f"the {what} answer is {len(data)} bytes, over this server's limit of {limit} bytes"
            )
            data = encode_bytes(error_frame(error, getattr(frame, "id", None)))
        await self.ws.send_frame(data, WSMsgType.TEXT)

    def _touch(self) -> None:
        # Runs twice per frame, so it only notes the time: cancelling and
        # re-creating a timer each time took about 8% of the server's CPU time
        # per evaluate (profiled). The one timer reads the note when it fires.
        loop = asyncio.get_running_loop()
        self._active_at = loop.time()
        if self._idle is None and not self.ended:
            self._idle = loop.call_at(
                self._active_at + self.settings.idle_timeout, self._expire_idle
            )

    def _expire_idle(self) -> None:
        self._idle = None
        if self.ended:
            return
        if self.busy:  # an action in flight is not idleness
            self._touch()
            return
        loop = asyncio.get_running_loop()
        due = self._active_at + self.settings.idle_timeout
        if due > loop.time():
            self._idle = loop.call_at(due, self._expire_idle)
            return
        self._end_soon(SessionExpired(f"idle for {self.settings.idle_timeout:g}s"))

    def _expire_lifetime(self) -> None:
        self._end_soon(
            SessionExpired(
                f"the session reached its maximum lifetime of {self.settings.max_lifetime:g}s"
            )
        )

    def _on_session_ended(self, ended: asyncio.Future[InndxError]) -> None:
        if not ended.cancelled():
            self._end_soon(ended.result())

    def _end_soon(self, error: InndxError) -> None:
        task = asyncio.get_running_loop().create_task(self.finish(error))
        self.state.background.add(task)
        task.add_done_callback(self.state.background.discard)
