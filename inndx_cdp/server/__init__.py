"""Layer 5: the aiohttp server."""

from .app import METRICS_KEY, POOL_KEY, STATE_KEY, ServerState, create_app, setup

__all__ = ["METRICS_KEY", "POOL_KEY", "STATE_KEY", "ServerState", "create_app", "setup"]
