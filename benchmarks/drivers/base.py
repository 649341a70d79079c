"""What every driver offers: open a tab, act on it, close it."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Driver", "DriverError", "Tab"]


class DriverError(Exception):
    """A driver could not do what a step asked (an error frame, a wrong answer)."""


class Tab(Protocol):
    """One isolated page (a session, a browser context with one page)."""

    async def goto(self, url: str) -> None:
        """Navigate and return once the document has loaded."""

    async def click(self, selector: str) -> None:
        """Click the element with trusted mouse events."""

    async def fill(self, selector: str, value: str) -> None:
        """Replace the text field's value."""

    async def content(self) -> bytes:
        """The live document as HTML, UTF-8 encoded."""

    async def evaluate(self, script: str) -> object:
        """The JSON value of an expression evaluated in the page."""

    async def screenshot(self) -> bytes:
        """A PNG of the viewport."""

    async def close(self) -> None:
        """Dispose the page and everything it owned."""


class Driver(Protocol):
    """A way to drive the browser: started once, then opens tabs."""

    name: str

    async def start(self) -> None:
        """Launch what the driver needs (browser, connection)."""

    async def open(self) -> Tab:
        """A new isolated tab showing ``about:blank``."""

    async def stop(self) -> None:
        """Close everything the driver started."""
