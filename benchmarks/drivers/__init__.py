"""The three ways the harness drives the same browser work.

``server``: this project's WebSocket API; ``raw``: CDP commands sent straight
over the pipe (the floor); ``playwright``: Playwright for Python on the same
Chromium binary (the peer users know).
"""

from .base import Driver, DriverError, Tab

__all__ = ["Driver", "DriverError", "Tab"]
