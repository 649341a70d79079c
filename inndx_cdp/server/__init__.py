"""Layer 5: the aiohttp server."""

from .app import POOL_KEY, STATE_KEY, ServerState, create_app, setup

__all__ = ["POOL_KEY", "STATE_KEY", "ServerState", "create_app", "setup"]
