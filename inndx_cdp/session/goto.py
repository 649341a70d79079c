"""goto: navigate the page and report the HTTP exchange as it really happened.

One navigation is watched through Network and Page events, subscribed before
``Page.navigate`` is sent (commit and load can arrive before its answer). The
main document's request is the one whose ``requestId`` equals its
``loaderId``; server redirect hops reuse that id and carry
``redirectResponse``; the raw header block of each hop arrives separately in
``responseReceivedExtraInfo``, in hop order. A new main-frame document request
after the first commit is a client-side redirect (script, meta refresh,
``Refresh`` header).

Non-GET methods and extra headers need the navigation request rewritten, so
only then does the goto add a rule to the page's interception, for documents
only (after the session's middleware, so the goto's own headers win).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..browser.browser import Page
from ..cdp.connection import CdpError, CdpSession, EventQueue
from ..errors import (
    ActionTimeout,
    BadFrame,
    FrameTooLarge,
    InndxError,
    NavigationFailed,
    TooManyRedirects,
)
from .egress import explain_network_error
from .http import check_goto_url, cookie_to_cdp, header_lines, parse_set_cookie, redirect_type
from .interception import Interception, PausedRequest, Rule
from .setup import NETWORK_BUFFER
from .useragent import resolve_user_agent

__all__ = ["GotoRequest", "GotoResult", "goto"]

log = logging.getLogger("inndx_cdp.session")

# The settle window: once the document has loaded, the page's own tasks that
# are already due run before the goto answers. A meta refresh or Refresh
# header announces itself before loading stops; a script redirect from an
# onload handler, or a 0 ms timer it set, starts within this window.
# Measured cost: one evaluate round trip (about 1 ms), not a fixed sleep.
SETTLE_PROBE = "new Promise(resolve => setTimeout(resolve, 0))"
# Refresh directives up to this delay are followed (longer ones are a page's
# own business, not a redirect of the goto).
MAX_REFRESH_DELAY = 1.0
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Network errors worth another try; anything else (bad certificate, blocked,
# aborted) would fail the same way again.
RETRY_ERRORS = frozenset(
    {
        "net::ERR_CONNECTION_REFUSED",
        "net::ERR_CONNECTION_RESET",
        "net::ERR_CONNECTION_CLOSED",
        "net::ERR_CONNECTION_ABORTED",
        "net::ERR_CONNECTION_FAILED",
        "net::ERR_CONNECTION_TIMED_OUT",
        "net::ERR_TIMED_OUT",
        "net::ERR_NAME_NOT_RESOLVED",
        "net::ERR_NAME_RESOLUTION_FAILED",
        "net::ERR_ADDRESS_UNREACHABLE",
        "net::ERR_NETWORK_CHANGED",
        "net::ERR_EMPTY_RESPONSE",
        "net::ERR_INTERNET_DISCONNECTED",
        "net::ERR_PROXY_CONNECTION_FAILED",
        "net::ERR_TUNNEL_CONNECTION_FAILED",
    }
)
BACKOFF_BASE = 0.1
BACKOFF_CAP = 5.0
CLIENT_REASONS = frozenset(
    {
        "metaTagRefresh",
        "httpHeaderRefresh",
        "scriptInitiated",
        "formSubmissionGet",
        "formSubmissionPost",
    }
)
NO_BODY_STATUSES = frozenset({204, 205, 304})

EVENTS = (
    "Network.requestWillBeSent",
    "Network.responseReceived",
    "Network.responseReceivedExtraInfo",
    "Network.loadingFinished",
    "Network.loadingFailed",
    "Page.frameNavigated",
    "Page.frameStoppedLoading",
    "Page.frameRequestedNavigation",
    "Page.frameScheduledNavigation",
)


@dataclass(slots=True)
class GotoRequest:
    """The navigation a goto frame asks for."""

    url: str
    method: str = "GET"
    body: bytes | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    cookies: list[dict[str, Any]] = field(default_factory=list)
    referrer: str | None = None
    user_agent: str = "inndx"


@dataclass(slots=True)
class GotoResult:
    """The fields of the goto answer."""

    url: str
    status_code: int
    headers: list[list[str]]
    cookies: list[dict[str, Any]]
    body: bytes | None
    redirects: list[dict[str, str]]
    content_type: str | None


@dataclass(slots=True)
class _Hop:
    request_id: str
    index: int  # position among the responses sharing this request id
    url: str
    status: int
    provisional: dict[str, str]


class _Retry(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after


async def goto(
    page: Page,
    request: GotoRequest,
    *,
    timeout: float,
    max_redirects: int,
    max_retries: int,
) -> GotoResult:
    """Navigate, retrying network failures and 429/5xx answers inside ``timeout``."""
    check_goto_url(request.url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            await _prepare(page, request)
            attempt = 0
            while True:
                try:
                    result = await _navigate_once(page, request, max_redirects)
                except _Retry as retry:
                    last: GotoResult | InndxError | None = None
                    reason = retry.reason
                    retry_after = retry.retry_after
                else:
                    if result.status_code not in RETRY_STATUSES or attempt >= max_retries:
                        return result
                    last, reason = result, f"status {result.status_code}"
                    retry_after = _retry_after(result.headers)
                if attempt >= max_retries:
                    raise NavigationFailed(f"{reason} at {request.url}")
                attempt += 1
                delay = _backoff(attempt, retry_after)
                if loop.time() + delay >= deadline:
                    # Not enough time left for another try: answer what we have.
                    if isinstance(last, GotoResult):
                        return last
                    raise NavigationFailed(f"{reason} at {request.url}")
                log.debug("goto retry %d after %s in %.2fs", attempt, reason, delay)
                await asyncio.sleep(delay)
    except TimeoutError:
        await _stop(page.cdp)
        raise ActionTimeout(f"goto did not finish within {timeout:g}s") from None
    finally:
        if _needs_interception(request):
            with contextlib.suppress(InndxError, CdpError):
                await Interception.of(page).sync()  # the goto's rule is gone: maybe disable


async def _stop(cdp: CdpSession) -> None:
    with contextlib.suppress(InndxError, CdpError, TimeoutError):
        # A page stuck in its own script never gets to stop loading: end the script too.
        await asyncio.wait_for(
            asyncio.gather(cdp.send("Runtime.terminateExecution"), cdp.send("Page.stopLoading")),
            2,
        )


def _backoff(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, 60.0)
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
    return base / 2 + random.uniform(0, base / 2)  # jitter spreads a herd of retries


def _retry_after(headers: list[list[str]]) -> float | None:
    for name, value in headers:
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                with contextlib.suppress(TypeError, ValueError):
                    import email.utils

                    when = email.utils.parsedate_to_datetime(value)
                    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    return None


async def _prepare(page: Page, request: GotoRequest) -> None:
    """User agent, cookies and interception, each only when it changes something."""
    cdp = page.cdp
    calls = []
    ua = resolve_user_agent(request.user_agent, page.browser.user_agent)
    options = page.state.get("options")
    locale = getattr(options, "locale", None)
    override = ua.override(accept_language=locale)
    if page.state.get("ua_override") != override:
        calls.append(cdp.send("Network.setUserAgentOverride", override))
        page.state["ua_override"] = override
    if request.cookies:
        calls.append(
            cdp.send(
                "Network.setCookies",
                {"cookies": [cookie_to_cdp(c, request.url) for c in request.cookies]},
            )
        )
    try:
        await asyncio.gather(*calls)
    except CdpError as exc:
        if exc.method == "Network.setCookies":
            raise BadFrame(f"field 'cookies': the browser refused them ({exc.message})") from None
        raise


def _needs_interception(request: GotoRequest) -> bool:
    return request.method != "GET" or bool(request.headers) or request.body is not None


async def _intercept(page: Page, request: GotoRequest, recorder: _Recorder) -> Callable[[], None]:
    """Rewrite the navigation request through the page's interception, when it needs it."""
    if not _needs_interception(request):
        return lambda: None
    manager = Interception.of(page)
    remove = manager.add(
        Rule("Request", ({"urlPattern": "*", "resourceType": "Document"},), recorder.rewrite)
    )
    try:
        await manager.sync()
    except BaseException:
        remove()
        raise
    return remove


class _Recorder:
    """Follows one navigation's events; knows when it is done and what happened."""

    def __init__(self, page: Page, request: GotoRequest, max_redirects: int) -> None:
        self.page = page
        self.cdp = page.cdp
        self.request = request
        self.frame_id = page.target_id  # the main frame's id is its target's
        self.max_redirects = max_redirects
        self.loader: str | None = None
        self.hops: list[_Hop] = []
        self.extra: dict[str, list[dict[str, Any]]] = {}
        self.redirects: list[dict[str, str]] = []
        self.document_url: str | None = None
        self.committed = False
        self.loaded = False
        self.finished = False
        self.failure: str | None = None
        self.pending_client: str | None = None
        self.body_task: asyncio.Task[tuple[bytes | None, str | None]] | None = None
        self.response: dict[str, Any] | None = None
        self.first_paused = True
        self.navigate_error: str | None = None

    # -- events -------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> None:
        handler = getattr(self, "_on_" + method.replace(".", "_"), None)
        if handler is not None:
            handler(params)

    def _is_main_document(self, params: dict[str, Any]) -> bool:
        return (
            params.get("frameId") == self.frame_id
            and params.get("type") == "Document"
            and params.get("requestId") == params.get("loaderId")
        )

    def _on_Network_requestWillBeSent(self, params: dict[str, Any]) -> None:
        if not self._is_main_document(params):
            return
        request_id = params["requestId"]
        url = params["request"]["url"]
        redirect = params.get("redirectResponse")
        if request_id != self.loader:
            if self.loader is not None and self.committed and self.document_url is not None:
                self._add_redirect(self.document_url, url, "client", "temporary")
            self._start_document(request_id)
        if redirect is not None:
            status = int(redirect.get("status", 0))
            self._record_hop(request_id, redirect, status)
            self._add_redirect(redirect["url"], url, "server", redirect_type(status))

    def _start_document(self, request_id: str) -> None:
        self.loader = request_id
        self.committed = self.loaded = self.finished = False
        self.response = None
        self.pending_client = None
        self.failure = None
        if self.body_task is not None:
            self.body_task.cancel()
            self.body_task = None

    def _add_redirect(self, url: str, location: str, side: str, kind: str) -> None:
        self.redirects.append({"url": url, "location": location, "side": side, "type": kind})
        if len(self.redirects) > self.max_redirects:
            raise TooManyRedirects(
                f"too many redirects: more than {self.max_redirects} (last to {location})"
            )

    def _record_hop(self, request_id: str, response: dict[str, Any], status: int) -> None:
        index = sum(1 for hop in self.hops if hop.request_id == request_id)
        self.hops.append(
            _Hop(request_id, index, response["url"], status, response.get("headers") or {})
        )

    def _on_Network_responseReceived(self, params: dict[str, Any]) -> None:
        if params["requestId"] != self.loader or params.get("type") != "Document":
            return
        self.response = params["response"]
        self._record_hop(params["requestId"], self.response, int(self.response.get("status", 0)))

    def _on_Network_responseReceivedExtraInfo(self, params: dict[str, Any]) -> None:
        self.extra.setdefault(params["requestId"], []).append(params)

    def _on_Network_loadingFinished(self, params: dict[str, Any]) -> None:
        if params["requestId"] != self.loader:
            return
        self.finished = True
        # Read the body at once: a client redirect would drop it.
        self.body_task = asyncio.get_running_loop().create_task(
            self._read_body(params["requestId"])
        )

    def _on_Network_loadingFailed(self, params: dict[str, Any]) -> None:
        if params["requestId"] != self.loader or params.get("type") != "Document":
            return
        error = params.get("errorText") or "net::ERR_FAILED"
        if params.get("blockedReason"):
            error = f"net::ERR_BLOCKED_BY_CLIENT ({params['blockedReason']})"
        self.failure = error

    def _on_Page_frameNavigated(self, params: dict[str, Any]) -> None:
        frame = params["frame"]
        if frame.get("parentId") or frame.get("id") != self.frame_id:
            return
        if frame.get("loaderId") == self.loader:
            self.committed = True
            self.document_url = frame["url"] + frame.get("urlFragment", "")

    def _on_Page_frameStoppedLoading(self, params: dict[str, Any]) -> None:
        if params.get("frameId") != self.frame_id:
            return
        if self.committed or (self.response is not None and self.finished):
            self.loaded = True

    def _on_Page_frameRequestedNavigation(self, params: dict[str, Any]) -> None:
        if (
            params.get("frameId") == self.frame_id
            and params.get("disposition", "currentTab") == "currentTab"
            and params.get("reason") in CLIENT_REASONS
            and self.committed
        ):
            self.pending_client = params.get("url")

    def _on_Page_frameScheduledNavigation(self, params: dict[str, Any]) -> None:
        if (
            params.get("frameId") == self.frame_id
            and float(params.get("delay", 0)) <= MAX_REFRESH_DELAY
        ):
            self.pending_client = params.get("url")

    def rewrite(self, paused: PausedRequest) -> None:
        """Rewrite the navigation request (method, body, headers); let all else pass."""
        if paused.frame_id != self.frame_id or paused.resource_type != "Document":
            return
        if self.request.headers:
            paused.merge_headers(self.request.headers)
        if self.first_paused and paused.params.get("redirectedRequestId") is None:
            self.first_paused = False
            if self.request.method != "GET":
                paused.method = self.request.method
            if self.request.body is not None:
                paused.post_data = self.request.body

    async def _read_body(self, request_id: str) -> tuple[bytes | None, str | None]:
        try:
            result = await self.cdp.send("Network.getResponseBody", {"requestId": request_id})
        except CdpError as exc:
            return None, exc.message
        if result.get("base64Encoded"):
            return base64.b64decode(result["body"]), None
        return result["body"].encode(), None

    # -- state --------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.loaded and self.pending_client is None

    async def result(self) -> GotoResult:
        response = self.response
        assert response is not None
        final_hop = self.hops[-1]
        headers = header_lines(self._extra_for(final_hop), final_hop.provisional)
        status = final_hop.status
        body: bytes | None = None
        if (
            self.body_task is not None
            and self.request.method != "HEAD"
            and status not in NO_BODY_STATUSES
        ):
            body, problem = await self.body_task
            if body is None and problem is not None and "evicted" in problem:
                # Past the browser's per-resource buffer the body is dropped:
                # say so, rather than answer as if there were none.
                kept = NETWORK_BUFFER["maxResourceBufferSize"] // 2**20
                raise FrameTooLarge(
                    f"the response body of {response['url']} is too large to return "
                    f"(over the {kept} MiB the browser keeps of one response)"
                )
        mime = response.get("mimeType") or None
        return GotoResult(
            url=self.document_url or response["url"],
            status_code=status,
            headers=headers,
            cookies=self._cookies(),
            body=body,
            redirects=self.redirects,
            content_type=mime.split(";")[0].strip().lower() if mime else None,
        )

    def _extra_for(self, hop: _Hop) -> dict[str, Any] | None:
        infos = self.extra.get(hop.request_id, [])
        return infos[hop.index] if hop.index < len(infos) else None

    def _cookies(self) -> list[dict[str, Any]]:
        now = dt.datetime.now(dt.UTC)
        cookies = []
        for hop in self.hops:
            parts = urlsplit(hop.url)
            for name, value in header_lines(self._extra_for(hop), hop.provisional):
                if name.lower() != "set-cookie":
                    continue
                cookie = parse_set_cookie(
                    value,
                    request_host=parts.hostname or "",
                    request_path=parts.path or "/",
                    now=now,
                )
                if cookie is not None:
                    cookies.append(cookie.as_dict())
        return cookies


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("request interception failed: %s", task.exception())


async def _navigate_once(page: Page, request: GotoRequest, max_redirects: int) -> GotoResult:
    cdp = page.cdp
    recorder = _Recorder(page, request, max_redirects)
    params: dict[str, Any] = {"url": request.url}
    if request.referrer:
        params["referrer"] = request.referrer
    if request.url == "about:blank":
        return await _blank(page)
    # Interception runs straight from the reader: Page.navigate does not answer
    # while its request is paused, so waiting on the queue would deadlock.
    stop_intercepting = await _intercept(page, request, recorder)
    with cdp.listen(*EVENTS) as events:
        try:
            try:
                answer = await cdp.send("Page.navigate", params)
            except CdpError as exc:
                raise BadFrame(f"field 'url': the browser refused it ({exc.message})") from None
            if answer.get("loaderId") is None and not answer.get("errorText"):
                # Same-document navigation (only the fragment changed).
                return await _same_document(page, request)
            if recorder.loader is None and answer.get("loaderId"):
                recorder.loader = answer["loaderId"]
            recorder.navigate_error = answer.get("errorText")
            await _follow(recorder, events)
        except BaseException:
            if recorder.body_task is not None:
                recorder.body_task.cancel()
            raise
        finally:
            stop_intercepting()
    return await recorder.result()


async def _follow(recorder: _Recorder, events: EventQueue) -> None:
    settle_token = 0
    probing = False
    while True:
        if recorder.navigate_error and events.empty():
            # Everything the browser said before failing the navigation is in:
            # a response (204, download, full Chromium's empty-4xx page) is
            # still an answer, anything else is a network failure.
            if recorder.response is None:
                _raise_network(recorder.navigate_error, recorder)
            recorder.loaded = recorder.finished = True
            recorder.navigate_error = None
        if recorder.failure is not None:
            if recorder.response is None:
                _raise_network(recorder.failure, recorder)
            recorder.failure = None
            recorder.loaded = True
        if recorder.done and not probing:
            settle_token += 1
            probing = True
            _settle(recorder.page, events, settle_token)
        method, params = await events.get()
        if method == "inndx.settled":
            probing = False
            if recorder.done and params["token"] == settle_token:
                return
            continue
        recorder.handle(method, params)


def _settle(page: Page, events: EventQueue, token: int) -> None:
    """Let the page run its due tasks, then post ``inndx.settled`` into the queue."""
    # With JavaScript off the page runs no timers: the probe would never end,
    # and no script can redirect anyway.
    scripts_run = getattr(page.state.get("options"), "javascript", True)

    async def probe() -> None:
        if scripts_run:
            with contextlib.suppress(InndxError, CdpError):
                await page.cdp.send(
                    "Runtime.evaluate", {"expression": SETTLE_PROBE, "awaitPromise": True}
                )
        events.put("inndx.settled", {"token": token})

    asyncio.get_running_loop().create_task(probe()).add_done_callback(_log_failure)


def _raise_network(error: str, recorder: _Recorder) -> None:
    failed = recorder.redirects[-1]["location"] if recorder.redirects else recorder.request.url
    error = explain_network_error(recorder.page, error, failed)
    if error in RETRY_ERRORS:
        raise _Retry(error)
    raise NavigationFailed(f"{error} at {recorder.request.url}")


async def _same_document(page: Page, request: GotoRequest) -> GotoResult:
    href = await page.cdp.send(
        "Runtime.evaluate", {"expression": "location.href", "returnByValue": True}
    )
    return GotoResult(
        url=href["result"].get("value", request.url),
        status_code=200,
        headers=[],
        cookies=[],
        body=None,
        redirects=[],
        content_type=None,
    )


async def _blank(page: Page) -> GotoResult:
    with page.cdp.listen("Page.loadEventFired", "Page.frameStoppedLoading") as events:
        await page.cdp.send("Page.navigate", {"url": "about:blank"})
        await events.next("Page.frameStoppedLoading")
    return GotoResult(
        url="about:blank",
        status_code=200,
        headers=[],
        cookies=[],
        body=None,
        redirects=[],
        content_type=None,
    )
