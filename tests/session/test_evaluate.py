"""evaluate on real Chromium: values, functions, promises, errors and time-outs."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from inndx_cdp.browser.browser import Browser, Page
from inndx_cdp.errors import ActionTimeout, ScriptError
from inndx_cdp.session.evaluate import evaluate
from inndx_cdp.session.setup import prepare_page


async def open_page(page: Page, url: str) -> None:
    with page.cdp.listen("Page.loadEventFired") as events:
        await page.cdp.send("Page.navigate", {"url": url})
        await asyncio.wait_for(events.next("Page.loadEventFired"), 10)


@pytest.fixture(scope="module")
async def index_page(browser: Browser, site: str) -> AsyncIterator[Page]:
    """One page on the site's index for the side-effect free cases below."""
    shared = await browser.new_page()
    await prepare_page(shared)
    await open_page(shared, site + "/")
    yield shared
    await shared.dispose()


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("1 + 1", 2),
        ("'a' + 'b';", "ab"),
        ("[1, 'two', null, true, {three: 3.5}]", [1, "two", None, True, {"three": 3.5}]),
        ("({a: {b: [1, {c: 'd'}]}})", {"a": {"b": [1, {"c": "d"}]}}),
        ("{a: 1}", {"a": 1}),
        ("undefined", None),
        ("null", None),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("-0", 0),
        ("12345678901234567890n", "12345678901234567890"),
        ("({n: NaN, i: -Infinity, u: undefined, b: 2n})", {"n": "NaN", "i": "-Infinity", "b": "2"}),
        ("new Date(0)", "1970-01-01T00:00:00.000Z"),
        ("new Map([[1, 2]])", {}),
        ("Symbol('s')", None),
        ("document.body", {}),
        ("[document.body, undefined]", [{}, None]),
        ("'Grüße ✓'", "Grüße ✓"),
    ],
)
async def test_values_become_what_json_makes_of_them(
    index_page: Page, script: str, expected: Any
) -> None:
    result = await evaluate(index_page, script, timeout=5)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "script",
    [
        "() => document.title",
        "() => { return document.title }",
        "async () => document.title",
        "async () => { await new Promise(r => setTimeout(r, 10)); return document.title }",
        "function () { return document.title }",
        "async function named() { return document.title }",
        "(() => document.title)",
        "Promise.resolve(document.title)",
        "new Promise(resolve => setTimeout(() => resolve(document.title), 20))",
        "const t = document.title; t",
        "await Promise.resolve(document.title)",
        "() => Promise.resolve(document.title) // a comment at the end",
    ],
)
async def test_functions_are_called_and_promises_awaited(index_page: Page, script: str) -> None:
    assert await evaluate(index_page, script, timeout=5) == "index"


async def test_a_script_runs_exactly_once(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    assert await evaluate(page, "window.runs = (window.runs || 0) + 1", timeout=5) == 1
    assert await evaluate(page, "window.runs += 1; () => window.runs", timeout=5) == 2
    assert await evaluate(page, "window.runs", timeout=5) == 2


async def test_statements_can_run_twice_with_their_declarations(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    script = "const found = document.querySelectorAll('p'); found.length"
    assert await evaluate(page, script, timeout=5) == 1
    assert await evaluate(page, script, timeout=5) == 1


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("throw new Error('boom')", "Error: boom"),
        ("() => { throw new TypeError('bad type') }", "TypeError: bad type"),
        ("missingVariable + 1", "ReferenceError: missingVariable is not defined"),
        ("Promise.reject(new Error('rejected'))", "Error: rejected"),
        ("async () => { throw new RangeError('late') }", "RangeError: late"),
        ("throw 'just a string'", "just a string"),
        ("JSON.parse('{')", "SyntaxError:"),
        ("1 +* 2", "SyntaxError: Unexpected token '*'"),
        ("() => {", "SyntaxError"),
        (
            "window",
            "the result cannot be converted to JSON: "
            "TypeError: Converting circular structure to JSON",
        ),
        ("const x = 1; throw new Error('after ' + x)", "Error: after 1"),
    ],
)
async def test_a_thrown_exception_is_422_with_its_message(
    index_page: Page, script: str, message: str
) -> None:
    with pytest.raises(ScriptError) as caught:
        await evaluate(index_page, script, timeout=5)
    assert caught.value.code == 422
    assert caught.value.message.startswith(message)


async def test_a_runtime_syntax_error_is_not_run_twice(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    with pytest.raises(ScriptError):
        await evaluate(page, "window.tries = (window.tries || 0) + 1; JSON.parse('{')", timeout=5)
    with pytest.raises(ScriptError):
        await evaluate(
            page, "(window.tries2 = (window.tries2 || 0) + 1, JSON.parse('{'))", timeout=5
        )
    assert await evaluate(page, "[window.tries, window.tries2]", timeout=5) == [1, 1]


async def test_an_endless_loop_is_terminated_and_the_page_stays_usable(
    page: Page, site: str
) -> None:
    await open_page(page, site + "/")
    started = time.perf_counter()
    with pytest.raises(ActionTimeout) as caught:
        await evaluate(page, "while (true) {}", timeout=0.5)
    assert caught.value.code == 408
    assert caught.value.message == "script did not finish within 0.5s"
    assert time.perf_counter() - started < 2.5
    assert await evaluate(page, "1 + 1", timeout=5) == 2


async def test_a_promise_that_never_settles_times_out_and_the_page_stays_usable(
    page: Page, site: str
) -> None:
    await open_page(page, site + "/")
    for _ in range(2):
        with pytest.raises(ActionTimeout):
            await evaluate(page, "new Promise(() => {})", timeout=0.3)
        assert await evaluate(page, "1 + 1", timeout=5) == 2
    # The abandoned calls leave nothing that warns when collected (warnings
    # are errors in this suite).
    gc.collect()
    assert await evaluate(page, "async () => 3", timeout=5) == 3


async def test_a_script_that_navigates_away_is_422(page: Page, site: str) -> None:
    await open_page(page, site + "/")
    with pytest.raises(ScriptError, match="navigated away"):
        await evaluate(
            page,
            "location.href = '/ix/button'; new Promise(() => {})",
            timeout=5,
        )
