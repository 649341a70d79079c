"""A navigation's response body, exactly as it arrived.

Pages keep "durable" copies of bodies (see ``setup.NETWORK_BUFFER``), so
``Network.getResponseBody`` answers the bytes that arrived after content
decoding, whatever the charset. A body larger than the browser keeps per
response is dropped; the goto then fetches a GET once more itself, and says
why when it cannot.
"""

from __future__ import annotations

import base64

from ..cdp.connection import CdpError, CdpSession
from ..errors import FrameTooLarge

__all__ = ["BodyMissing", "not_kept", "read_body"]


class BodyMissing(Exception):
    """The browser did not keep the body; ``reason`` is its own words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def read_body(cdp: CdpSession, request_id: str, received: int) -> bytes:
    """The body of ``request_id`` as received; raises :class:`BodyMissing`.

    ``received`` is the body's length as the network events counted it (0 when
    unknown). The durable copy of a body comes back as base64, or as text when
    the bytes are valid UTF-8, so encoding that text gives those very bytes
    back. Once the durable copy is gone (the store is shared by the browser's
    pages and drops the oldest first), Chromium answers the renderer's copy
    instead: text decoded with the page's charset, which UTF-8 does not turn
    back into the bytes that arrived unless they were UTF-8. Its length
    tells.
    """
    try:
        result = await cdp.send("Network.getResponseBody", {"requestId": request_id})
    except CdpError as exc:
        raise BodyMissing(exc.message) from None
    if result.get("base64Encoded"):
        return base64.b64decode(result["body"])
    body = str(result["body"]).encode()
    if received and len(body) != received:
        raise BodyMissing(
            f"only a copy decoded from its charset was left: {received} bytes arrived"
        )
    return body


def not_kept(reason: str, why_not_again: str) -> FrameTooLarge:
    """The error answering a goto whose body is gone and cannot be fetched again."""
    return FrameTooLarge(
        f"the browser did not keep the response body, larger than it keeps per response "
        f"({reason}), and {why_not_again}; the page itself is loaded"
    )
