"""One page's request interception: a single owner of the ``Fetch`` domain.

Several features need to pause requests: the session's middleware, a goto
that rewrites its navigation request (method, body, headers) or answers it
with what the server fetched itself (TRACE, CONNECT), and the answer to a
proxy's credentials challenge. Each adds a :class:`Rule` (the Fetch
patterns it needs and a handler); the manager enables ``Fetch`` with the union
of those patterns, and disables it when no rule is left, so a page that needs
none of it pays nothing.

Every paused request goes through the handlers of its stage in the order the
rules were added; they only record a decision on the :class:`PausedRequest`.
The manager then sends exactly one answer (continue, fulfil or fail). If that
answer is refused, the request is continued unchanged: a paused request that
is never answered would hang the page.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from ..browser.browser import Page
from ..cdp.connection import CdpError
from ..errors import InndxError

__all__ = ["Interception", "PausedRequest", "Rule", "Stage", "fetch_glob", "patterns_for"]

log = logging.getLogger("inndx_cdp.session")

Stage = Literal["Request", "Response"]

# Remembered requests that already got the proxy's credentials (a second
# challenge for one of them means they were wrong); old ones are forgotten.
MAX_AUTH_MEMORY: Final = 1024
# A request that ended while paused (page gone, navigation replaced it) refuses
# its answer with one of these: nothing is left to answer.
_GONE = ("Invalid InterceptionId", "Invalid state", "not found")
# Set by the browser from the body that is actually delivered; a rewritten
# response's body is the decoded one.
_FULFIL_DROPS: Final = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})


def fetch_glob(pattern: str) -> str:
    """A ``*``-only glob in the syntax of Fetch's ``urlPattern`` (``?`` and ``\\`` escaped)."""
    return pattern.replace("\\", "\\\\").replace("?", "\\?")


@dataclass(frozen=True, slots=True)
class Rule:
    """What one feature intercepts: Fetch patterns of one stage and a handler."""

    stage: Stage
    patterns: tuple[dict[str, str], ...]
    handle: Callable[[PausedRequest], None]


class PausedRequest:
    """One paused request and the decision the handlers build for it.

    Request stage: ``block()``, ``fulfil()``, ``set_header()``,
    ``remove_header()``, ``merge_headers()``, ``method``, ``post_data``. Response stage:
    ``set_response_header()``, ``remove_response_header()``.
    """

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.id: str = params["requestId"]
        request = params.get("request") or {}
        self.url: str = request.get("url", "")
        self.resource_type: str = params.get("resourceType", "Other")
        self.frame_id: str | None = params.get("frameId")
        self.status: int | None = params.get("responseStatusCode")
        responded = self.status is not None or "responseErrorReason" in params
        self.stage: Stage = "Response" if responded else "Request"
        self.blocked: str | None = None
        self.fulfilment: dict[str, Any] | None = None
        self.method: str | None = None
        self.post_data: bytes | None = None
        self._headers: list[tuple[str, str]] | None = None
        self._response_headers: list[tuple[str, str]] | None = None

    # -- request stage --------------------------------------------------------

    def block(self, reason: str = "BlockedByClient") -> None:
        """Fail the request with a ``Network.ErrorReason``; later handlers are skipped."""
        self.blocked = reason

    def fulfil(self, response: dict[str, Any]) -> None:
        """Answer the request without the network; later handlers are skipped.

        ``response`` is the ``Fetch.fulfillRequest`` parameters but the request id.
        """
        self.fulfilment = response

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The request headers as they will be sent (a copy, made on first use)."""
        if self._headers is None:
            original = (self.params.get("request") or {}).get("headers") or {}
            self._headers = [(name, value) for name, value in original.items()]
        return self._headers

    def set_header(self, name: str, value: str) -> None:
        """Replace every header called ``name`` (any case) with this one."""
        self.remove_header(name)
        self.headers.append((name, value))

    def remove_header(self, name: str) -> None:
        lowered = name.lower()
        self._headers = [(n, v) for n, v in self.headers if n.lower() != lowered]

    def merge_headers(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Replace the named headers by ``pairs``, keeping repeats within ``pairs``."""
        wanted = {name.lower() for name, _ in pairs}
        self._headers = [(n, v) for n, v in self.headers if n.lower() not in wanted]
        self._headers.extend(pairs)

    # -- response stage -------------------------------------------------------

    @property
    def response_headers(self) -> list[tuple[str, str]]:
        """The response headers the page will see (a copy, made on first use)."""
        if self._response_headers is None:
            original = self.params.get("responseHeaders") or []
            self._response_headers = [(h["name"], h["value"]) for h in original]
        return self._response_headers

    def set_response_header(self, name: str, value: str) -> None:
        self.remove_response_header(name)
        self.response_headers.append((name, value))

    def remove_response_header(self, name: str) -> None:
        lowered = name.lower()
        self._response_headers = [(n, v) for n, v in self.response_headers if n.lower() != lowered]

    # -- the answer -------------------------------------------------------------

    @property
    def changed(self) -> bool:
        return (
            self.blocked is not None
            or self.fulfilment is not None
            or self.method is not None
            or self.post_data is not None
            or self._headers is not None
            or self._response_headers is not None
        )


class Interception:
    """The ``Fetch`` domain of one page, shared by every feature that pauses requests."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._rules: list[Rule] = []
        self._credentials: tuple[str, str] | None = None
        self._enabled: dict[str, Any] | None = None
        self._unsubscribe: list[Callable[[], None]] = []
        self._answered_auth: OrderedDict[str, None] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()

    @classmethod
    def of(cls, page: Page) -> Interception:
        """The page's manager, made on first use."""
        manager = page.state.get("interception")
        if not isinstance(manager, Interception):
            manager = page.state["interception"] = cls(page)
        return manager

    @property
    def enabled(self) -> bool:
        """True while ``Fetch`` is enabled on the page."""
        return self._enabled is not None

    # -- configuration ----------------------------------------------------------

    def add(self, rule: Rule) -> Callable[[], None]:
        """Add a rule after the existing ones; returns the function that removes it.

        Takes effect with the next :meth:`sync`.
        """
        self._rules.append(rule)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._rules.remove(rule)

        return remove

    def set_proxy_credentials(self, credentials: tuple[str, str] | None) -> None:
        """Answer proxy challenges with ``(username, password)``; effective on :meth:`sync`."""
        self._credentials = credentials

    @contextlib.asynccontextmanager
    async def using(self, rule: Rule) -> AsyncIterator[None]:
        """Intercept with ``rule`` inside the block only."""
        remove = self.add(rule)
        try:
            await self.sync()
            yield
        finally:
            remove()
            with contextlib.suppress(InndxError, CdpError):
                await self.sync()

    async def sync(self) -> None:
        """Enable, re-enable or disable ``Fetch`` to match the rules (no call if unchanged)."""
        async with self._lock:
            wanted = self._fetch_params()
            if wanted == self._enabled:
                return
            cdp = self.page.cdp
            if wanted is None:
                self._enabled = None
                self._stop_listening()
                await cdp.send("Fetch.disable")
                return
            if not self._unsubscribe:
                self._unsubscribe = [
                    cdp.on("Fetch.requestPaused", self._on_paused),
                    cdp.on("Fetch.authRequired", self._on_auth),
                ]
            self._enabled = wanted
            try:
                await cdp.send("Fetch.enable", wanted)
            except BaseException:
                self._enabled = None
                self._stop_listening()
                raise

    def _fetch_params(self) -> dict[str, Any] | None:
        patterns: list[dict[str, str]] = []
        if self._credentials is not None:
            # A challenge is only reported for a paused request: pause them all.
            patterns.append({"urlPattern": "*", "requestStage": "Request"})
        for rule in self._rules:
            for pattern in rule.patterns:
                full = {**pattern, "requestStage": rule.stage}
                if full not in patterns:
                    patterns.append(full)
        if not patterns:
            return None
        params: dict[str, Any] = {"patterns": patterns}
        if self._credentials is not None:
            params["handleAuthRequests"] = True
        return params

    def _stop_listening(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []

    # -- events -----------------------------------------------------------------

    def _on_paused(self, params: dict[str, Any]) -> None:
        # Listeners run inside the reader: decide now, answer in a task.
        paused = PausedRequest(params)
        for rule in tuple(self._rules):
            if rule.stage != paused.stage:
                continue
            try:
                rule.handle(paused)
            except Exception:  # a handler's bug must not leave the request paused
                log.exception("request handler failed for a %s request", paused.resource_type)
            if paused.blocked is not None or paused.fulfilment is not None:
                break
        self._spawn(self._answer(paused))

    def _on_auth(self, params: dict[str, Any]) -> None:
        request_id = params["requestId"]
        source = (params.get("authChallenge") or {}).get("source")
        response: dict[str, Any] = {"response": "Default"}
        if source == "Proxy":
            if self._credentials is not None and request_id not in self._answered_auth:
                self._answered_auth[request_id] = None
                if len(self._answered_auth) > MAX_AUTH_MEMORY:
                    self._answered_auth.popitem(last=False)
                username, password = self._credentials
                response = {
                    "response": "ProvideCredentials",
                    "username": username,
                    "password": password,
                }
            else:
                # Asked again for the same request: the credentials were wrong.
                # Answering them again would loop forever.
                response = {"response": "CancelAuth"}
        self._spawn(
            self._send(
                "Fetch.continueWithAuth",
                {"requestId": request_id, "authChallengeResponse": response},
            )
        )

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, method: str, params: dict[str, Any]) -> bool:
        """Send an answer; False if the browser refused it for a reason other than "gone"."""
        try:
            await self.page.cdp.send(method, params)
        except InndxError:
            return True  # the page or browser is gone: nothing is waiting
        except CdpError as exc:
            if any(marker in exc.message for marker in _GONE):
                return True
            log.warning("%s refused (%s); continuing the request unchanged", method, exc.message)
            return False
        return True

    async def _answer(self, paused: PausedRequest) -> None:
        if paused.stage == "Response":
            if await self._answer_response(paused):
                return
            if await self._send("Fetch.continueResponse", {"requestId": paused.id}):
                return
            # A response that failed on the network is continued as a request.
            await self._send("Fetch.continueRequest", {"requestId": paused.id})
            return
        if paused.fulfilment is not None:
            answer = {"requestId": paused.id, **paused.fulfilment}
            if not await self._send("Fetch.fulfillRequest", answer):
                # Continued unchanged, the request would fetch something else
                # than the answer it was meant to show: fail it instead.
                await self._send(
                    "Fetch.failRequest", {"requestId": paused.id, "errorReason": "Failed"}
                )
            return
        if paused.blocked is not None:
            params: dict[str, Any] = {"requestId": paused.id, "errorReason": paused.blocked}
            if await self._send("Fetch.failRequest", params):
                return
        elif paused.changed and await self._send("Fetch.continueRequest", _continue_params(paused)):
            return
        await self._send("Fetch.continueRequest", {"requestId": paused.id})

    async def _answer_response(self, paused: PausedRequest) -> bool:
        """Deliver a rewritten response; False when it must go on unchanged."""
        if paused._response_headers is None or paused.status is None:
            return False
        headers = [{"name": n, "value": v} for n, v in paused.response_headers]
        continued = {
            "requestId": paused.id,
            "responseCode": paused.status,
            "responseHeaders": headers,
        }
        if paused.status in _REDIRECTS:
            return await self._send("Fetch.continueResponse", continued)
        # A fulfilled response is read again from its headers (CSP included);
        # one only continued keeps what the browser parsed from the original.
        try:
            body = await self.page.cdp.send("Fetch.getResponseBody", {"requestId": paused.id})
        except InndxError:
            return True  # the page is gone
        except CdpError:
            return await self._send("Fetch.continueResponse", continued)
        data = body.get("body", "")
        if not body.get("base64Encoded"):
            data = base64.b64encode(data.encode()).decode("ascii")
        params = {
            "requestId": paused.id,
            "responseCode": paused.status,
            "responseHeaders": [h for h in headers if h["name"].lower() not in _FULFIL_DROPS],
            "body": data,
        }
        phrase = paused.params.get("responseStatusText")
        if phrase:
            params["responsePhrase"] = phrase
        return await self._send("Fetch.fulfillRequest", params)


def _continue_params(paused: PausedRequest) -> dict[str, Any]:
    params: dict[str, Any] = {"requestId": paused.id}
    if paused.method is not None:
        params["method"] = paused.method
    if paused.post_data is not None:
        params["postData"] = base64.b64encode(paused.post_data).decode("ascii")
    if paused._headers is not None:
        # The override replaces the whole header set. A Cookie header in it
        # would overwrite the cookie jar (Chromium 145+): the browser adds the
        # jar's cookies itself.
        params["headers"] = [
            {"name": name, "value": value}
            for name, value in paused.headers
            if name.lower() != "cookie"
        ]
    return params


def patterns_for(
    url_patterns: Iterable[str], resource_types: Iterable[str] = ()
) -> tuple[dict[str, str], ...]:
    """Fetch patterns that cover these globs or resource types (the handler checks both)."""
    types = list(resource_types)
    if types:
        return tuple({"urlPattern": "*", "resourceType": t} for t in types)
    globs = list(url_patterns) or ["*"]
    return tuple({"urlPattern": fetch_glob(g)} for g in globs)
