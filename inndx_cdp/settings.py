"""Server settings: embedded defaults, overridable by environment and a TOML file.

Environment variables are named ``INNDX_CDP_<FIELD>`` (nested fields with
``__``, e.g. ``INNDX_CDP_TENANTS__ACME__API_KEYS='["k1"]'``). A TOML file given
with ``--config`` (or ``INNDX_CDP_CONFIG``) is read first; the environment wins
over it.
"""

from __future__ import annotations

import contextvars
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .browser.egress import DEFAULT_DENIED_NETWORKS, EgressPolicy
from .browser.flags import BrowserKind
from .browser.proxies import parse_proxy

__all__ = ["Settings", "TenantSettings"]


def _standard_only() -> list[BrowserKind]:
    return ["standard"]


class TenantSettings(BaseModel):
    """Per-tenant configuration."""

    model_config = ConfigDict(extra="forbid")

    api_keys: list[SecretStr] = Field(default_factory=list)
    max_sessions: int | None = Field(default=None, ge=1)


class Settings(BaseSettings):
    """Every knob of the server, with the embedded defaults."""

    # Errors never repeat the input: it may hold API keys or proxy passwords.
    model_config = SettingsConfigDict(
        env_prefix="INNDX_CDP_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        hide_input_in_errors=True,
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8022, ge=0, le=65535)
    prefix: str = "/v1"

    standard_binary: str | None = None
    chrome_binary: str | None = None
    browsers_per_kind: int = Field(default=1, ge=1)
    warm_pages: int = Field(default=4, ge=0)
    # Kinds whose browsers and warm pages are ready at start; others on first use.
    warm_kinds: list[BrowserKind] = Field(default_factory=_standard_only, min_length=1)
    max_sessions_per_browser: int = Field(default=500, ge=1)
    max_browser_memory_mb: int = Field(default=4096, ge=64)
    memory_check_interval: float = Field(default=10.0, gt=0)

    max_timeout: float = Field(default=600.0, gt=0)
    max_redirects: int = Field(default=50, ge=0)
    max_retries: int = Field(default=10, ge=0)
    open_timeout: float = Field(default=10.0, gt=0)
    idle_timeout: float = Field(default=300.0, gt=0)
    max_lifetime: float = Field(default=3600.0, gt=0)
    max_frame_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    max_answer_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_queued_frames: int = Field(default=64, ge=1)
    max_sessions: int = Field(default=200, ge=1)
    max_sessions_per_tenant: int = Field(default=200, ge=1)
    drain_grace: float = Field(default=10.0, ge=0)

    tenants: dict[str, TenantSettings] = Field(default_factory=dict)
    allow_unlisted_tenants: bool = True
    proxies: dict[str, SecretStr] = Field(default_factory=dict)

    @field_validator("proxies")
    @classmethod
    def _proxy_urls(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        # Fail at startup, not at a session's open; the message names the id only.
        for proxy_id, url in value.items():
            parse_proxy(proxy_id, url.get_secret_value())
        return value

    allowed_origins: list[str] = Field(default_factory=list)
    egress_deny: list[str] = Field(default_factory=lambda: list(DEFAULT_DENIED_NETWORKS))
    max_page_memory_mb: int = Field(default=2048, ge=64)

    @field_validator("prefix")
    @classmethod
    def _prefix_shape(cls, value: str) -> str:
        value = "/" + value.strip("/") if value.strip("/") else ""
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origin_shape(cls, value: list[str]) -> list[str]:
        return [origin.strip().rstrip("/").lower() for origin in value]

    @field_validator("egress_deny")
    @classmethod
    def _networks_shape(cls, value: list[str]) -> list[str]:
        EgressPolicy.parse(value)  # ValueError names the bad entry
        return value

    @property
    def egress_policy(self) -> EgressPolicy:
        """The parsed ``egress_deny`` networks."""
        return EgressPolicy.parse(self.egress_deny)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Later sources lose: arguments, then the environment, then the file.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        path = _config_file.get() or os.environ.get("INNDX_CDP_CONFIG")
        if path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(path)))
        return tuple(sources)

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides: Any) -> Settings:
        """Defaults, then the TOML file (if any), then the environment, then ``overrides``."""
        if config_file is not None and not Path(config_file).is_file():
            raise FileNotFoundError(f"configuration file not found: {config_file}")
        token = _config_file.set(str(config_file) if config_file is not None else None)
        try:
            return cls(**overrides)
        finally:
            _config_file.reset(token)


_config_file: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "config_file", default=None
)
