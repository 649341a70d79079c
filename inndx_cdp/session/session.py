"""One session: a leased page and the actions run on it, one at a time."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..browser.browser import Page
from ..cdp.connection import CdpError
from ..errors import ActionTimeout, BrowserGone, InndxError, InternalError, NavigationFailed
from ..protocol import (
    ClickedReply,
    ClickFrame,
    ClosedReply,
    CloseFrame,
    ContentFrame,
    ContentReply,
    EvaluatedReply,
    EvaluateFrame,
    FilledReply,
    FillFrame,
    GotoFrame,
    GotoReply,
    ScreenshotFrame,
    ScreenshotReply,
)
from . import evaluate as evaluate_module
from . import interact, read
from .goto import GotoRequest, goto

__all__ = ["ActionFrame", "Reply", "Session", "SessionConfig"]

ActionFrame = (
    GotoFrame | ClickFrame | FillFrame | ContentFrame | EvaluateFrame | ScreenshotFrame | CloseFrame
)
Reply = (
    GotoReply
    | ClickedReply
    | FilledReply
    | ContentReply
    | EvaluatedReply
    | ScreenshotReply
    | ClosedReply
)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """The limits the open frame set for every action of the session."""

    timeout: float = 30.0
    max_redirects: int = 10
    max_retries: int = 3


class Session:
    """Runs actions on one page. Raises :mod:`inndx_cdp.errors`; never builds error frames.

    ``ended`` completes with the fatal error when the page's renderer crashes
    or its browser dies, even while no action is running.
    """

    def __init__(self, session_id: str, page: Page, config: SessionConfig) -> None:
        self.id = session_id
        self.page = page
        self.config = config
        loop = asyncio.get_running_loop()
        self.ended: asyncio.Future[InndxError] = loop.create_future()
        self._stop_watching = page.cdp.on("inndx.closed", self._on_page_closed)
        self._handlers: dict[str, Callable[[Any], Awaitable[Reply]]] = {
            "goto": self._goto_named_proxy,
            "click": self._click,
            "fill": self._fill,
            "content": self._content,
            "evaluate": self._evaluate,
            "screenshot": self._screenshot,
        }

    def _on_page_closed(self, params: dict[str, Any]) -> None:
        if self.ended.done():
            return
        error = self.page.cdp.closed_error
        self.ended.set_result(error if error is not None else BrowserGone(params.get("reason", "")))

    async def perform(self, frame: ActionFrame) -> Reply:
        """Run one action and return its answer, carrying the frame's ``id``."""
        if self.ended.done():
            raise self.ended.result()
        if isinstance(frame, CloseFrame):
            return ClosedReply(id=frame.id)
        try:
            return await self._handlers[frame.action](frame)
        except InndxError:
            if self.ended.done():
                raise self.ended.result() from None
            raise
        except CdpError as exc:
            # The page went away under the action, or a CDP call we did not expect to fail did.
            if self.ended.done():
                raise self.ended.result() from None
            raise InternalError(f"the browser refused {exc.method}: {exc.message}") from exc

    async def _goto(self, frame: GotoFrame) -> GotoReply:
        result = await goto(
            self.page,
            GotoRequest(
                url=frame.url,
                method=frame.method,
                body=frame.body_bytes,
                headers=[(name, value) for name, value in frame.headers],
                cookies=[cookie.model_dump() for cookie in frame.cookies],
                referrer=frame.referrer,
                user_agent=frame.user_agent,
            ),
            timeout=self.config.timeout,
            max_redirects=self.config.max_redirects,
            max_retries=self.config.max_retries,
        )
        return GotoReply.model_validate(
            {
                "url": result.url,
                "status_code": result.status_code,
                "headers": result.headers,
                "cookies": result.cookies,
                "body": _b64(result.body),
                "redirects": result.redirects,
                "content_type": result.content_type,
                "id": frame.id,
            }
        )

    async def _goto_named_proxy(self, frame: GotoFrame) -> GotoReply:
        """goto, with a failure of the session's proxy said to be one."""
        proxy = self.page.proxy.id if self.page.proxy is not None else None
        try:
            reply = await self._goto(frame)
        except NavigationFailed as exc:
            if proxy is None:
                raise
            raise NavigationFailed(f"{exc.message} (through proxy {proxy!r})") from None
        if reply.status_code == 407 and proxy is not None:
            # The proxy refused the credentials, or wanted some and got none:
            # its own 407 page is not an answer from the site.
            raise NavigationFailed(
                f"proxy {proxy!r} refused the session: 407 Proxy Authentication Required "
                f"at {frame.url} (check the proxy's user name and password)"
            )
        return reply

    async def _click(self, frame: ClickFrame) -> ClickedReply:
        await interact.click(self.page, frame.selector, timeout=self.config.timeout)
        return ClickedReply(id=frame.id)

    async def _fill(self, frame: FillFrame) -> FilledReply:
        await interact.fill(self.page, frame.selector, frame.value, timeout=self.config.timeout)
        return FilledReply(id=frame.id)

    async def _content(self, frame: ContentFrame) -> ContentReply:
        async with self._deadline("content"):
            html = await read.content(self.page)
        return ContentReply(content=base64.b64encode(html).decode("ascii"), id=frame.id)

    async def _evaluate(self, frame: EvaluateFrame) -> EvaluatedReply:
        value = await evaluate_module.evaluate(self.page, frame.script, timeout=self.config.timeout)
        return EvaluatedReply(result=value, id=frame.id)

    async def _screenshot(self, frame: ScreenshotFrame) -> ScreenshotReply:
        image = await read.screenshot_base64(
            self.page,
            full_page=frame.full_page,
            selector=frame.selector,
            format=frame.format,
            quality=frame.quality,
            timeout=self.config.timeout,
        )
        return ScreenshotReply(screenshot=image, id=frame.id)

    def _deadline(self, action: str) -> _Deadline:
        return _Deadline(action, self.config.timeout)

    def close(self) -> None:
        """Stop watching the page (the caller disposes it through the pool)."""
        self._stop_watching()


class _Deadline:
    """``async with`` that turns running out of the session timeout into a 408."""

    def __init__(self, action: str, seconds: float) -> None:
        self._action = action
        self._seconds = seconds
        self._timeout = asyncio.timeout(seconds)

    async def __aenter__(self) -> None:
        await self._timeout.__aenter__()

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self._timeout.__aexit__(*exc_info)
        except TimeoutError:
            raise ActionTimeout(
                f"{self._action} did not finish within {self._seconds:g}s"
            ) from None


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")
