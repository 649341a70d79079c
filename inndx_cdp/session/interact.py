"""click and fill: wait until the element can take the action, then act as a user would.

Every poll is one call of the page-side ``check`` helper (``js/helpers.js``),
which answers "ok" or what is wrong. A wrong answer is tried again after a
short back-off until the action's deadline; only then does it become an error:
no match is :class:`NoMatch` (404), anything else :class:`NotActionable`
(409) with the last reason. A malformed selector is :class:`BadFrame` (400) at
once. The mouse and the keyboard are driven through ``Input.*`` so the page
sees trusted events.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any, Literal

from ..browser.browser import Page
from ..cdp.connection import CdpError, CdpSession
from ..errors import ActionTimeout, BadFrame, NoMatch, NotActionable
from .scripts import call_helper, is_stale, javascript_enabled, protocol_error, stop_scripts

__all__ = ["click", "fill", "wait_for_element"]

Action = Literal["click", "fill", "shot"]

# Pause before each poll: the first look is immediate, then quickly again
# (most late elements appear within a few frames), then every 100 ms.
BACKOFF = (0.0, 0.02, 0.05, 0.1)

# Time granted past the deadline to a call already under way (the last poll,
# the input events) before the page is declared stuck and its scripts stopped.
GRACE = 0.5

# After the release, one round trip through the page's task queue: a click
# handler's navigation (links, forms, ``location`` assignments, also from a
# ``setTimeout(0)``) has been requested by the time it answers. Measured on
# Chromium 156: every such request arrived before this answer. With
# JavaScript off no timer can run, and none can navigate either.
_BARRIER = "new Promise(resolve => setTimeout(resolve))"
_BARRIER_NO_JS = "0"

_DELETE_KEY = {"key": "Delete", "code": "Delete", "windowsVirtualKeyCode": 46}


async def wait_for_element(
    page: Page, selector: str, action: Action, *, timeout: float, deadline: float, value: str = ""
) -> dict[str, Any]:
    """Poll until the first match of ``selector`` can take ``action``; the helper's answer.

    ``deadline`` is on the event loop's clock; ``timeout`` only words the
    errors. For ``fill`` a ``select`` or value-typed input is already filled
    when this returns (``kind`` "done"); a text field is focused with its text
    selected (``kind`` "type").
    """
    loop = asyncio.get_running_loop()
    settle = javascript_enabled(page)
    last: dict[str, Any] = {"state": "nomatch"}
    for attempt in itertools.count():
        try:
            async with asyncio.timeout_at(deadline + GRACE):
                answer: dict[str, Any] = await call_helper(
                    page, "check", selector, action, value, settle
                )
        except TimeoutError:
            await stop_scripts(page)
            raise ActionTimeout(f"the page did not respond within {timeout:g}s") from None
        except CdpError as exc:
            if not is_stale(exc):
                raise protocol_error(exc, NotActionable, "the element check failed") from exc
            # The page keeps replacing its document: look again after a pause.
            answer = {"state": "navigating", "reason": "the page kept navigating"}
        state = answer["state"]
        if state == "ok":
            return answer
        if state == "badselector":
            raise BadFrame(f"invalid selector '{selector}': {answer['reason']}")
        if state == "invalid":
            # A malformed value does not get better with time.
            raise NotActionable(answer["reason"])
        last = answer
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await asyncio.sleep(min(BACKOFF[min(attempt, len(BACKOFF) - 1)], remaining))
    if last["state"] == "nomatch":
        raise NoMatch(f"selector '{selector}' matched no element within {timeout:g}s")
    raise NotActionable(f"{last['reason']} (selector '{selector}', waited {timeout:g}s)")


async def click(page: Page, selector: str, *, timeout: float) -> None:
    """Click the centre of the element's visible box with trusted mouse events.

    Waits (up to ``timeout`` seconds) for the element to be attached, visible,
    enabled, still and not covered, scrolling it into view. A click that
    starts a main-frame navigation returns once the new document has loaded
    (same-document and cancelled navigations return when they settle); a load
    that does not come in time stops the page and raises
    :class:`ActionTimeout`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    target = await wait_for_element(page, selector, "click", timeout=timeout, deadline=deadline)
    with _NavigationWatch(page) as navigation:
        try:
            async with asyncio.timeout_at(max(deadline, loop.time() + GRACE)):
                await _press(page.cdp, target["x"], target["y"])
        except TimeoutError:
            await stop_scripts(page)
            raise ActionTimeout(f"the page did not take the click within {timeout:g}s") from None
        except CdpError as exc:
            raise protocol_error(exc, NotActionable, "the browser refused the click") from exc
        await navigation.settle(deadline, timeout)


async def fill(page: Page, selector: str, value: str, *, timeout: float) -> None:
    """Replace the element's value with ``value`` as a user would; input and change fire.

    Text-like inputs, textareas and contenteditable elements are focused, their
    text selected and replaced through ``Input.insertText`` (an empty value
    presses Delete), then blurred so the page gets its native change event.
    A ``select`` takes the option whose value, else whose label, is ``value``.
    Date, time, datetime-local, month, week, number, range and color inputs
    take ``value`` in their own format; one they reject is
    :class:`NotActionable` at once.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    answer = await wait_for_element(
        page, selector, "fill", timeout=timeout, deadline=deadline, value=value
    )
    if answer["kind"] != "type":
        return
    cdp = page.cdp
    try:
        async with asyncio.timeout_at(max(deadline, loop.time() + GRACE)):
            if value:
                await cdp.send("Input.insertText", {"text": value})
            else:
                await cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", **_DELETE_KEY})
                await cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", **_DELETE_KEY})
            await call_helper(page, "commit")
    except TimeoutError:
        await stop_scripts(page)
        raise ActionTimeout(f"the page did not take the input within {timeout:g}s") from None
    except CdpError as exc:
        raise protocol_error(exc, NotActionable, "the browser refused the input") from exc


async def _press(cdp: CdpSession, x: float, y: float) -> None:
    # Sent together and answered in order: a pause between press and release
    # would only give the page time to move things.
    point = {"x": x, "y": y}
    await asyncio.gather(
        cdp.send("Input.dispatchMouseEvent", {"type": "mouseMoved", **point}),
        cdp.send(
            "Input.dispatchMouseEvent",
            {"type": "mousePressed", **point, "button": "left", "buttons": 1, "clickCount": 1},
        ),
        cdp.send(
            "Input.dispatchMouseEvent",
            {"type": "mouseReleased", **point, "button": "left", "buttons": 0, "clickCount": 1},
        ),
    )


class _NavigationWatch:
    """Main-frame navigation signals, recorded from before the click is sent.

    ``started``: the frame asked to navigate or began loading. ``finished``:
    the new document fired load, or the navigation stayed in the document, or
    the frame stopped loading without a new document (204, download, cancel).
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        # The main frame's id is the page target's id.
        self.frame_id = page.target_id
        self.started = asyncio.Event()
        self.finished = asyncio.Event()
        self.committed = False
        handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            "Page.frameRequestedNavigation": self._on_requested,
            "Page.frameStartedLoading": self._on_started_loading,
            "Page.frameNavigated": self._on_navigated,
            "Page.navigatedWithinDocument": self._on_within_document,
            "Page.frameStoppedLoading": self._on_stopped_loading,
            "Page.loadEventFired": self._on_load,
        }
        self._removers = [page.cdp.on(event, handler) for event, handler in handlers.items()]

    def _on_requested(self, params: dict[str, Any]) -> None:
        # A link into a new tab or window leaves this page as it is.
        here = params.get("disposition", "currentTab") == "currentTab"
        if here and params.get("frameId") == self.frame_id:
            self.started.set()

    def _on_started_loading(self, params: dict[str, Any]) -> None:
        if params.get("frameId") == self.frame_id:
            self.started.set()

    def _on_navigated(self, params: dict[str, Any]) -> None:
        frame = params.get("frame", {})
        if frame.get("id") == self.frame_id and not frame.get("parentId"):
            self.committed = True
            self.started.set()

    def _on_within_document(self, params: dict[str, Any]) -> None:
        if params.get("frameId") == self.frame_id and not self.committed:
            self.finished.set()

    def _on_stopped_loading(self, params: dict[str, Any]) -> None:
        if params.get("frameId") == self.frame_id and self.started.is_set():
            self.finished.set()

    def _on_load(self, params: dict[str, Any]) -> None:
        if self.committed:
            self.finished.set()

    async def settle(self, deadline: float, timeout: float) -> None:
        """Return at once if the click started no navigation, else once it finished."""
        cdp = self.page.cdp
        barrier_source = _BARRIER if javascript_enabled(self.page) else _BARRIER_NO_JS
        barrier = asyncio.ensure_future(
            cdp.send(
                "Runtime.evaluate",
                {"expression": barrier_source, "awaitPromise": True, "silent": True},
            )
        )
        # The barrier fails when the navigation destroys its context; that is
        # an answer too, and must not be reported as never retrieved.
        barrier.add_done_callback(_retrieve)
        started = asyncio.ensure_future(self.started.wait())
        try:
            async with asyncio.timeout_at(deadline):
                await asyncio.wait({barrier, started}, return_when=asyncio.FIRST_COMPLETED)
                if not self.started.is_set():
                    return
                await self.finished.wait()
        except TimeoutError:
            if not self.started.is_set():
                return  # the page is busy, but the click itself was delivered
            await self._stop_loading()
            raise ActionTimeout(
                f"the navigation started by the click did not load within {timeout:g}s"
            ) from None
        finally:
            barrier.cancel()
            started.cancel()

    async def _stop_loading(self) -> None:
        try:
            async with asyncio.timeout(GRACE):
                await self.page.cdp.send("Page.stopLoading")
        except (TimeoutError, CdpError):
            pass

    def __enter__(self) -> _NavigationWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for remove in self._removers:
            remove()
        self._removers.clear()


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
