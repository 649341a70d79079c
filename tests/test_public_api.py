"""The public surface is deliberate: a curated ``__all__`` that really exists.

Its order is ruff's business (RUF022).
"""

from __future__ import annotations

import subprocess
import sys

import inndx_cdp
import inndx_cdp.protocol


def test_all_is_unique_and_exists() -> None:
    for module in (inndx_cdp, inndx_cdp.protocol):
        names = module.__all__
        assert len(names) == len(set(names)), f"{module.__name__}.__all__ repeats a name"
        missing = [name for name in names if not hasattr(module, name)]
        assert not missing, f"{module.__name__}.__all__ names what it lacks: {missing}"


def test_public_api_is_exactly_this() -> None:
    assert set(inndx_cdp.__all__) == {
        "METRICS_KEY", "POOL_KEY", "STATE_KEY", "ServerState", "Settings", "TenantSettings",
        "create_app", "setup", "__version__",
        "InndxError", "BadFrame", "NoMatch", "ActionTimeout", "NotActionable",
        "FrameTooLarge", "ScriptError", "QueueFull", "TooManyRedirects",
        "NavigationFailed", "InternalError", "PageCrashed", "BrowserGone",
        "Draining", "SessionExpired", "LaunchError",
    }  # fmt: skip


def test_every_module_imports_alone() -> None:
    """Each module imports in a fresh interpreter (no hidden import-order cycles)."""
    modules = [
        "inndx_cdp.errors", "inndx_cdp.protocol", "inndx_cdp.cdp.connection",
        "inndx_cdp.browser.pool", "inndx_cdp.session.session", "inndx_cdp.server",
        "inndx_cdp.settings", "inndx_cdp.cli", "inndx_cdp.client",
        "inndx_cdp.server.metrics", "inndx_cdp.server.logs",
    ]  # fmt: skip
    for name in modules:
        result = subprocess.run(
            [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{name}: {result.stderr[-500:]}"


def test_version_matches_the_package_metadata() -> None:
    from importlib.metadata import version

    assert inndx_cdp.__version__ == version("inndx-cdp")
