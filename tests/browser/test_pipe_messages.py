"""Messages over the DevTools pipe: framing across reads, and JSON both ways."""

from __future__ import annotations

from typing import Any

from inndx_cdp.browser.browser import Page
from inndx_cdp.cdp.connection import _PipeReader


class _Collector:
    """Stands in for the connection: records what the reader hands over."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    def _on_message(self, raw: bytes) -> None:
        self.messages.append(raw)


def _reader() -> tuple[_PipeReader, _Collector]:
    collector = _Collector()
    reader = _PipeReader(collector)  # type: ignore[arg-type]
    return reader, collector


def test_messages_are_split_on_nul_however_the_reads_fall() -> None:
    reader, collector = _reader()
    stream = b'{"id":1}\0{"id":2}\0' + b'{"big":"' + b"x" * 100_000 + b'"}\0{"id":3}\0'
    # Every read boundary: inside a message, right before and right after a NUL.
    for size in (1, 7, 8, 9, 4096, len(stream)):
        collector.messages.clear()
        for start in range(0, len(stream), size):
            reader.data_received(stream[start : start + size])
        assert collector.messages == stream.split(b"\0")[:-1], size
        assert not reader._buffer  # nothing left over once the last NUL arrived


def test_a_partial_message_waits_for_its_terminator() -> None:
    reader, collector = _reader()
    reader.data_received(b'{"id":1}\0{"id"')
    assert collector.messages == [b'{"id":1}']
    reader.data_received(b":2}")
    assert collector.messages == [b'{"id":1}']
    reader.data_received(b"\0")
    assert collector.messages == [b'{"id":1}', b'{"id":2}']


async def _value(page: Page, expression: str) -> Any:
    reply = await page.cdp.send(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True}
    )
    return reply["result"]["value"]


async def test_a_lone_surrogate_travels_both_ways(page: Page) -> None:
    # To the browser: the fast encoder refuses it, so it goes out escaped.
    assert await _value(page, "'a\ud800b'.length") == 3
    # From the browser: the escape the fast decoder refuses is parsed as well.
    assert await _value(page, "'a\\ud800b'") == "a\ud800b"


async def test_a_large_answer_arrives_whole(page: Page) -> None:
    text = await _value(page, "'0123456789'.repeat(500000)")
    assert text == "0123456789" * 500_000


async def test_non_ascii_text_round_trips(page: Page) -> None:
    assert await _value(page, "'Grüße, 世界 ✓ 😀'") == "Grüße, 世界 ✓ 😀"
