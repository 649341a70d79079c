"""Who may open a session: checked before the WebSocket upgrade."""

from __future__ import annotations

import hmac
import re
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

from ..settings import Settings
from .replies import refusal

__all__ = ["Admission", "Ticket"]

TENANT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Seconds a client refused for capacity should wait before trying again.
RETRY_AFTER = 2


@dataclass(slots=True)
class Ticket:
    """A granted admission; hand it back with :meth:`Admission.leave`."""

    tenant: str


@dataclass
class Admission:
    """Origin, tenant checks, credentials and concurrency limits, in that order."""

    settings: Settings
    draining: bool = False
    open_by_tenant: Counter[str] = field(default_factory=Counter)

    @property
    def open_sessions(self) -> int:
        return sum(self.open_by_tenant.values())

    def admit(self, request: web.Request) -> Ticket | web.Response:
        """A ticket, or the refusal to send instead of upgrading."""
        if self.draining:
            return refusal(503, "the server is shutting down; open the session elsewhere")
        origin = request.headers.get("Origin")
        if origin is not None and not self._origin_allowed(origin):
            # A web page's WebSocket always carries its Origin; scripts send none.
            return refusal(
                403, "WebSocket upgrades from web pages are not allowed from this origin"
            )
        tenant = request.headers.get("X-Tenant-Id")
        if tenant is None:
            return refusal(400, "missing X-Tenant-Id header")
        if not TENANT_ID.fullmatch(tenant):
            return refusal(400, "X-Tenant-Id must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
        config = self.settings.tenants.get(tenant)
        if config is None and not self.settings.allow_unlisted_tenants:
            return refusal(403, f"tenant {tenant!r} is not allowed on this server")
        if config is not None and config.api_keys:
            offered = _bearer(request.headers.get("Authorization", ""))
            if offered is None:
                return refusal(401, "this tenant needs an Authorization: Bearer <key> header")
            if not any(
                hmac.compare_digest(offered.encode(), key.get_secret_value().encode())
                for key in config.api_keys
            ):
                return refusal(401, "the API key is not valid for this tenant")
        if self.open_sessions >= self.settings.max_sessions:
            return refusal(
                429,
                f"the server is at its limit of {self.settings.max_sessions} sessions",
                retry_after=RETRY_AFTER,
            )
        limit = (config.max_sessions if config and config.max_sessions else None) or (
            self.settings.max_sessions_per_tenant
        )
        if self.open_by_tenant[tenant] >= limit:
            return refusal(
                429,
                f"tenant {tenant!r} is at its limit of {limit} sessions",
                retry_after=RETRY_AFTER,
            )
        self.open_by_tenant[tenant] += 1
        return Ticket(tenant)

    def _origin_allowed(self, origin: str) -> bool:
        allowed = self.settings.allowed_origins
        return "*" in allowed or origin.strip().rstrip("/").lower() in allowed

    def leave(self, ticket: Ticket) -> None:
        self.open_by_tenant[ticket.tenant] -= 1
        if self.open_by_tenant[ticket.tenant] <= 0:
            del self.open_by_tenant[ticket.tenant]


def _bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
