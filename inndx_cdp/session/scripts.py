"""Page-side JavaScript: the sources in ``js/`` and the helpers object each document gets.

The sources are real ``.js`` files read once. ``helpers.js`` is evaluated once
per document and called through its remote handle afterwards, so click and
fill do not send and compile it again on every poll; a handle that outlived
its document (navigation, reload) is noticed by the protocol error it causes,
and the helpers are installed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
from importlib import resources
from typing import Any

from ..browser.browser import Page
from ..cdp.connection import CdpError
from ..errors import BrowserGone, InndxError, ScriptError

__all__ = [
    "call_helper",
    "exception_text",
    "is_stale",
    "javascript_enabled",
    "protocol_error",
    "source",
    "stop_scripts",
]

_HANDLE = "inndx.helpers"
_GROUP = "inndx-helpers"

# Protocol errors meaning "the document or context you named is gone": the
# page navigated between two calls.
_STALE = (
    "Cannot find context with specified id",
    "Could not find object with given id",
    "Execution context was destroyed",
    "Inspected target navigated or closed",
    "Promise was collected",
    "Cannot find default execution context",
)

# Whole-line comments cost bytes on every call and nothing in the page.
_COMMENT_LINE = re.compile(r"^\s*//.*\n", re.MULTILINE)

# Protocol errors meaning the page target itself is gone.
_GONE = ("Session with given id not found", "Target closed", "No target with given id")

_STOP_TIMEOUT = 2.0


@functools.cache
def source(name: str) -> str:
    """The text of ``js/<name>``, without its whole-line ``//`` comments."""
    text = resources.files("inndx_cdp.session").joinpath("js", name).read_text("utf-8")
    return _COMMENT_LINE.sub("", text).strip()


def is_stale(exc: CdpError) -> bool:
    """Whether ``exc`` says the context or object it named no longer exists."""
    return any(marker in exc.message for marker in _STALE)


def javascript_enabled(page: Page) -> bool:
    """False when the client switched JavaScript off: timers and frames never fire then."""
    return bool(getattr(page.state.get("options"), "javascript", True))


async def _install(page: Page) -> str:
    reply = await page.cdp.send(
        "Runtime.evaluate",
        {"expression": source("helpers.js"), "objectGroup": _GROUP, "silent": True},
    )
    handle = reply.get("result", {}).get("objectId")
    if "exceptionDetails" in reply or not isinstance(handle, str):
        # Only a page that replaced JavaScript built-ins gets here.
        raise ScriptError(f"the page broke the element helpers: {exception_text(reply)}")
    page.state[_HANDLE] = handle
    return handle


async def call_helper(page: Page, method: str, *args: Any) -> Any:
    """``helpers.<method>(*args)`` in the page's main world, awaited; its JSON result.

    A page that navigated since the helpers were installed gets them again;
    protocol errors other than that are raised as :class:`CdpError`.
    """
    declaration = f"function (...args) {{ return this.{method}(...args); }}"
    arguments = [{"value": arg} for arg in args]
    for attempt in range(3):
        try:
            handle = page.state.get(_HANDLE) or await _install(page)
            reply = await page.cdp.send(
                "Runtime.callFunctionOn",
                {
                    "objectId": handle,
                    "functionDeclaration": declaration,
                    "arguments": arguments,
                    "returnByValue": True,
                    "awaitPromise": True,
                    "silent": True,
                },
            )
        except CdpError as exc:
            if not is_stale(exc) or attempt == 2:
                raise
            page.state.pop(_HANDLE, None)
            continue
        if "exceptionDetails" in reply:
            # Only a page that tampered with the DOM's own methods gets here.
            raise ScriptError(f"the page broke the element check: {exception_text(reply)}")
        return reply["result"].get("value")
    raise AssertionError("unreachable")


def exception_text(reply: dict[str, Any]) -> str:
    """The message of the exception in a ``Runtime`` reply, e.g. ``"Error: boom"``."""
    details = reply.get("exceptionDetails") or {}
    exception = details.get("exception") or {}
    description = exception.get("description")
    if description and exception.get("type") == "object":
        # The description is the stack: "Error: boom\n    at <anonymous>:1:7".
        return str(description).split("\n    at ", 1)[0]
    if "value" in exception:
        return str(exception["value"])
    if "unserializableValue" in exception:
        return str(exception["unserializableValue"])
    return str(details.get("text") or "the script threw")


def protocol_error(exc: CdpError, kind: type[InndxError], doing: str) -> InndxError:
    """The project error for a protocol error met while ``doing`` something.

    A vanished target is :class:`BrowserGone`; anything else becomes ``kind``
    (the action's own error), so no :class:`CdpError` reaches the caller.
    """
    if any(marker in exc.message for marker in _GONE):
        return BrowserGone(f"the page is gone ({exc.message})")
    return kind(f"{doing}: {exc.message}")


async def stop_scripts(page: Page) -> None:
    """Terminate whatever JavaScript runs in the page, so it can take the next action."""
    with contextlib.suppress(CdpError, InndxError, TimeoutError):
        await asyncio.wait_for(page.cdp.send("Runtime.terminateExecution"), _STOP_TIMEOUT)
