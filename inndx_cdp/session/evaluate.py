"""evaluate: run a client's script in the page's main world and answer its JSON value."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any

from pydantic_core import from_json

from ..browser.browser import Page
from ..cdp.connection import CdpError
from ..errors import ActionTimeout, InndxError, ScriptError
from .scripts import exception_text, is_stale, protocol_error, source, stop_scripts

__all__ = ["evaluate"]

_GROUP = "inndx-evaluate"
_ON_HANDLE = "function () {{ return ({})(() => this); }}"

# Trailing semicolons end a statement, but the script is first tried as an
# expression, where they would be a syntax error.
_TRAILING = re.compile(r"[\s;]+$")


async def evaluate(page: Page, script: str, *, timeout: float) -> Any:
    """The JSON value of ``script`` evaluated in the page's main world.

    The script is first run as an expression; if that does not parse (several
    statements, top-level ``await``) it runs as a script in REPL mode, whose
    completion value is the result (REPL mode also lets a client run the same
    ``const x = ...`` twice). Either way it runs exactly once, with a user
    gesture (so ``window.open``, fullscreen and the clipboard work as when a
    user clicked).

    The value is then, in the page:

    - called with no arguments if it is a function (``() => ...``,
      ``async function () {...}``), and awaited if it is a promise;
    - turned into what ``JSON.stringify`` makes of it: ``undefined`` (and a
      function or symbol) is ``None``, a DOM node or a ``Map`` is ``{}``, a
      ``Date`` its ISO string, ``-0`` is ``0``;
    - except that ``NaN``, ``Infinity`` and ``-Infinity`` become those names as
      strings and a BigInt its decimal digits as a string, at any depth,
      rather than ``null`` or an error.

    A result ``JSON.stringify`` refuses (a cycle such as ``window``) is a
    :class:`ScriptError` saying so, as is any exception the script throws
    (message e.g. ``"Error: boom"``, ``"SyntaxError: Unexpected token ')'"``).
    A script still running after ``timeout`` seconds is terminated and
    :class:`ActionTimeout` raised; the page stays usable.
    """
    deadline = asyncio.timeout(timeout)
    try:
        async with deadline:
            return await _evaluate(page, script)
    except TimeoutError:
        if not deadline.expired():
            raise
        # Stops a busy loop; a promise that never settles has nothing to stop,
        # and its abandoned call is answered (and dropped) if it ever settles.
        await stop_scripts(page)
        raise ActionTimeout(f"script did not finish within {timeout:g}s") from None
    except CdpError as exc:
        if is_stale(exc):
            raise ScriptError("the page navigated away before the script finished") from exc
        raise protocol_error(exc, ScriptError, "the script could not be run") from exc


async def _evaluate(page: Page, script: str) -> Any:
    expression = _TRAILING.sub("", script)
    reply = await page.cdp.send(
        "Runtime.evaluate",
        {
            "expression": f"({source('evaluate.js')})(() => (\n{expression}\n))",
            "returnByValue": True,
            "awaitPromise": True,
            "userGesture": True,
            "objectGroup": _GROUP,
            "silent": True,
        },
    )
    details = reply.get("exceptionDetails")
    if details is None:
        return _unwrap(reply)
    exception = details.get("exception") or {}
    if exception.get("className") != "SyntaxError":
        _release(page)
        raise ScriptError(exception_text(reply))
    # Nothing ran: the script is not an expression. Run it as it is (that
    # releases the exception's handle along with its own).
    return await _evaluate_statements(page, script)


async def _evaluate_statements(page: Page, script: str) -> Any:
    cdp = page.cdp
    try:
        reply = await cdp.send(
            "Runtime.evaluate",
            {
                "expression": script,
                "replMode": True,
                "awaitPromise": True,
                "userGesture": True,
                "objectGroup": _GROUP,
                "silent": True,
            },
        )
        if "exceptionDetails" in reply:
            raise ScriptError(exception_text(reply))
        result = reply["result"]
        if "objectId" not in result:
            return _primitive(result)
        # An object, function or promise: the same treatment as an
        # expression's value, applied to the handle so the script does not
        # run again.
        reply = await cdp.send(
            "Runtime.callFunctionOn",
            {
                "objectId": result["objectId"],
                "functionDeclaration": _ON_HANDLE.format(source("evaluate.js")),
                "returnByValue": True,
                "awaitPromise": True,
                "userGesture": True,
                "silent": True,
            },
        )
    finally:
        _release(page)
    if "exceptionDetails" in reply:
        raise ScriptError(exception_text(reply))
    return _unwrap(reply)


def _unwrap(reply: dict[str, Any]) -> Any:
    text = reply["result"].get("value")
    try:
        envelope = _parse(text)
    except (TypeError, ValueError):
        # Only a page that replaced JSON.stringify gets here.
        raise ScriptError("the script's result could not be read") from None
    if "e" in envelope:
        raise ScriptError(str(envelope["e"]))
    return envelope.get("v")


def _parse(text: Any) -> Any:
    # The parser that just read the browser's message is still in the CPU's
    # caches; the json module, run once per frame, is not (measured in the
    # server: about 45 us a message against 19 us). A lone surrogate escape,
    # which the fast parser refuses, goes to the json module.
    if not isinstance(text, str):
        raise TypeError("the envelope is not a string")
    try:
        return from_json(text)
    except ValueError:
        return json.loads(text)


def _primitive(result: dict[str, Any]) -> Any:
    special = result.get("unserializableValue")
    if special is None:
        return result.get("value")  # absent for undefined
    if special == "-0":
        return 0
    if special.endswith("n"):  # BigInt
        return special[:-1]
    return special  # NaN, Infinity, -Infinity


def _release(page: Page) -> None:
    # Handles kept for an exception or a result would otherwise live as long
    # as the document. Nobody needs the answer.
    if page.cdp.closed:
        return
    release = page.cdp.send("Runtime.releaseObjectGroup", {"objectGroup": _GROUP})
    task = asyncio.ensure_future(release)
    task.add_done_callback(_ignore)


def _ignore(task: asyncio.Future[Any]) -> None:
    with contextlib.suppress(asyncio.CancelledError, CdpError, InndxError):
        task.result()
