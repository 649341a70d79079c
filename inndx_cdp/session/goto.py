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
only (after the session's middleware, so the goto's own headers win). TRACE
and CONNECT are sent by the server itself (:mod:`.fallback`) and the answer is
fulfilled into the page through the same rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

from ..browser.browser import Page
from ..cdp.connection import CdpError, CdpSession, EventQueue
from ..errors import ActionTimeout, BadFrame, InndxError, NavigationFailed, TooManyRedirects
from . import body as bodies
from . import fallback
from .egress import explain_network_error
from .http import check_goto_url, cookie_to_cdp, header_lines, parse_set_cookie, redirect_type
from .interception import Interception, PausedRequest, Rule
from .scripts import javascript_enabled
from .useragent import HIDE_UA_DATA, UserAgent, resolve_user_agent

__all__ = ["GotoRequest", "GotoResult", "goto"]

log = logging.getLogger("inndx_cdp.session")

# The settle window: once the document has loaded, the page's own tasks that
# are already due run before the goto answers. A meta refresh or Refresh
# header announces itself before loading stops; a script redirect from an
# onload handler, or a 0 ms timer it set, starts within this window.
# Measured cost: one evaluate round trip and a timer turn, not a fixed sleep
# (about 1 ms; more when the renderer lays out and paints after the load).
SETTLE_PROBE = "new Promise(resolve => setTimeout(resolve, 0))"
# With JavaScript switched off no timer runs (the probe above would never
# settle) and no script can redirect: a round trip through the renderer lets
# a refresh it has already scheduled announce itself.
SETTLE_PROBE_NO_JS = "0"
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
        "net::ERR_SOCKET_NOT_CONNECTED",
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
RETRY_AFTER_CAP = 60.0
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
    "Network.dataReceived",
    "Network.loadingFinished",
    "Network.loadingFailed",
    "Page.frameNavigated",
    "Page.loadEventFired",
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
    def __init__(self, reason: str) -> None:
        self.reason = reason


async def goto(
    page: Page,
    request: GotoRequest,
    *,
    timeout: float,
    max_redirects: int,
    max_retries: int,
) -> GotoResult:
    """Navigate, retrying network failures and 429/5xx answers inside ``timeout``."""
    _check(request)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        async with asyncio.timeout_at(deadline):
            user_agent = await _prepare(page, request)
            attempt = 0
            while True:
                try:
                    result = await _navigate_once(page, request, user_agent, max_redirects)
                except _Retry as retry:
                    last: GotoResult | None = None
                    reason = retry.reason
                    retry_after = None
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
                    if last is not None:
                        return last
                    raise NavigationFailed(f"{reason} at {request.url}")
                log.debug("goto retry %d after %s in %.2fs", attempt, reason, delay)
                await asyncio.sleep(delay)
    except TimeoutError:
        await _stop(page.cdp)
        raise ActionTimeout(f"goto did not finish within {timeout:g}s") from None
    except TooManyRedirects:
        await _stop(page.cdp)  # the browser would go on following the chain
        raise
    finally:
        if _needs_interception(request):
            with contextlib.suppress(InndxError, CdpError):
                await Interception.of(page).sync()  # the goto's rule is gone: maybe disable


def _check(request: GotoRequest) -> None:
    check_goto_url(request.url)
    scheme = request.url.split(":", 1)[0].lower()
    if request.method != "GET" and scheme not in ("http", "https"):
        raise BadFrame(f"field 'method': {request.method} needs an http or https URL")


async def _stop(cdp: CdpSession) -> None:
    with contextlib.suppress(InndxError, CdpError, TimeoutError):
        # A page stuck in its own script never gets to stop loading: end the script too.
        await asyncio.wait_for(
            asyncio.gather(cdp.send("Runtime.terminateExecution"), cdp.send("Page.stopLoading")),
            2,
        )


def _backoff(attempt: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_CAP)
    base = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1))
    return base / 2 + random.uniform(0, base / 2)  # jitter spreads a herd of retries


def _retry_after(headers: list[list[str]]) -> float | None:
    """Seconds from a ``Retry-After`` header (delay or HTTP date), if there is one."""
    for name, value in headers:
        if name.lower() != "retry-after":
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    return None


async def _prepare(page: Page, request: GotoRequest) -> UserAgent:
    """User agent, cookies and interception, each only when it changes something."""
    cdp = page.cdp
    calls: list[Awaitable[Any]] = []
    ua = resolve_user_agent(
        request.user_agent, page.browser.user_agent, browser_product=page.browser.product
    )
    options = page.state.get("options")
    locale = getattr(options, "locale", None)
    override = ua.override(accept_language=locale)
    if page.state.get("ua_override") != override:
        calls.append(cdp.send("Network.setUserAgentOverride", override))
        page.state["ua_override"] = override
        calls.append(_hide_ua_data(page, hide=ua.hide_ua_data))
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
    return ua


async def _hide_ua_data(page: Page, *, hide: bool) -> None:
    """Install (or remove) the script that hides navigator.userAgentData from new documents."""
    installed = page.state.get("ua_data_script")
    if hide and installed is None:
        reply = await page.cdp.send(
            "Page.addScriptToEvaluateOnNewDocument", {"source": HIDE_UA_DATA}
        )
        page.state["ua_data_script"] = reply["identifier"]
    elif not hide and installed is not None:
        del page.state["ua_data_script"]
        await page.cdp.send("Page.removeScriptToEvaluateOnNewDocument", {"identifier": installed})


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

    def __init__(
        self, page: Page, request: GotoRequest, user_agent: UserAgent, max_redirects: int
    ) -> None:
        self.page = page
        self.cdp = page.cdp
        self.request = request
        self.user_agent = user_agent
        self.frame_id = page.target_id  # the main frame's id is its target's
        self.max_redirects = max_redirects
        self.loader: str | None = None
        self.hops: list[_Hop] = []
        self.extra: dict[str, list[dict[str, Any]]] = {}
        self.redirects: list[dict[str, str]] = []
        self.document_url: str | None = None
        self.method = request.method  # of the current document's latest request
        self.received = 0  # body bytes of the current document, as the events count them
        self.committed = False
        self.loaded = False
        self.finished = False
        self.failure: str | None = None
        self.pending_client: str | None = None
        self.body_task: asyncio.Task[tuple[bytes | None, str | None]] | None = None
        self.response: dict[str, Any] | None = None
        self.navigate_error: str | None = None
        # Interception: the network id of the request given the goto's method
        # and body (again if Chromium restarts it), and the answer a request
        # sent by the server itself fulfils the page's navigation with.
        self.rewritten: str | None = None
        self.fulfil: fallback.Exchange | None = None
        self.fulfilled_loader: str | None = None

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
                # The event shows a rewritten method only on the goto's own request.
                self.method = params["request"].get("method", "GET")
            self._start_document(request_id)
        if redirect is not None:
            status = int(redirect.get("status", 0))
            self._record_hop(request_id, redirect, status)
            self._add_redirect(redirect["url"], url, "server", redirect_type(status))
            if (status == 303 and self.method != "HEAD") or (
                status in (301, 302) and self.method == "POST"
            ):
                self.method = "GET"

    def _start_document(self, request_id: str) -> None:
        self.loader = request_id
        self.received = 0
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

    def _on_Network_dataReceived(self, params: dict[str, Any]) -> None:
        if params["requestId"] == self.loader:
            self.received += int(params.get("dataLength", 0))

    def _on_Network_loadingFinished(self, params: dict[str, Any]) -> None:
        if params["requestId"] != self.loader:
            return
        self.finished = True
        # Read at once, while the document is current; the read overlaps the
        # rest of the load, so it costs the goto no time of its own.
        self.body_task = asyncio.get_running_loop().create_task(
            self._read_body(params["requestId"], self.received)
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

    def _on_Page_loadEventFired(self, params: dict[str, Any]) -> None:
        # The main frame's load event: the settle probe can start now rather
        # than after the browser process also reports that loading stopped.
        if self.committed:
            self.loaded = True

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

    # -- interception -------------------------------------------------------

    def rewrite(self, paused: PausedRequest) -> None:
        """Rewrite (or answer) the goto's own navigation request; let all else pass."""
        if paused.frame_id != self.frame_id or paused.resource_type != "Document":
            return
        network_id = paused.params.get("networkId")
        first = paused.params.get("redirectedRequestId") is None
        if first and self.fulfil is not None and self.rewritten is None:
            self.rewritten = self.fulfilled_loader = network_id
            paused.fulfil(fallback.fulfilment(self.fulfil))
            return
        if self.request.headers:
            # Chromium does not carry header overrides over to redirect hops.
            paused.merge_headers(self.request.headers)
        if first and self.rewritten in (None, network_id) and self.fulfil is None:
            self.rewritten = network_id
            if self.request.method != "GET":
                paused.method = self.request.method
            if self.request.body is not None:
                paused.post_data = self.request.body

    # -- state --------------------------------------------------------------

    async def _read_body(self, request_id: str, received: int) -> tuple[bytes | None, str | None]:
        try:
            return await bodies.read_body(self.cdp, request_id, received), None
        except bodies.BodyMissing as missing:
            return None, missing.reason

    def fail(self, error: str) -> NoReturn:
        """Raise what a network failure of this navigation means."""
        last = self.redirects[-1]["location"] if self.redirects else self.request.url
        _raise_network(self.page, error, self.request.url, failed=last)

    @property
    def done(self) -> bool:
        return self.loaded and self.pending_client is None

    @property
    def answered(self) -> bool:
        """Whether the current document is the answer fetched by the server itself.

        That answer stands even if the page could not show it.
        """
        return self.fulfil is not None and self.loader == self.fulfilled_loader

    async def result(self) -> GotoResult:
        if self.fulfil is not None and self.answered:
            return self._fulfilled_result(self.fulfil)
        response = self.response
        assert response is not None
        final_hop = self.hops[-1]
        headers = header_lines(self._extra_for(final_hop), final_hop.provisional)
        status = final_hop.status
        body: bytes | None = None
        if self.body_task is not None and self.method != "HEAD" and status not in NO_BODY_STATUSES:
            body, problem = await self.body_task
            if problem is not None:
                body = await self._body_again(final_hop, problem)
        mime = response.get("mimeType") or None
        cookies = self._cookies()
        if self.fulfil is not None:
            cookies = self.fulfil.cookies + cookies
        return GotoResult(
            url=self.document_url or response["url"],
            status_code=status,
            headers=headers,
            cookies=cookies,
            body=body,
            redirects=self.redirects,
            content_type=mime.split(";")[0].strip().lower() if mime else None,
        )

    def _fulfilled_result(self, exchange: fallback.Exchange) -> GotoResult:
        return GotoResult(
            url=self.document_url or exchange.url,
            status_code=exchange.status,
            headers=exchange.headers,
            cookies=exchange.cookies,
            body=exchange.body,
            redirects=self.redirects,
            content_type=exchange.content_type,
        )

    async def _body_again(self, hop: _Hop, problem: str) -> bytes:
        """The body the browser did not keep, fetched once more by the server if that is safe."""
        if self.method != "GET":
            raise bodies.not_kept(problem, f"a {self.method} is not sent twice")
        log.info("response body of %s not kept (%s); fetching it again", hop.url, problem)
        try:
            again = await _send_outside(
                self.page, self.request, self.user_agent, url=hop.url, method="GET", again=True
            )
        except (NavigationFailed, _Retry, TooManyRedirects) as exc:
            detail = exc.reason if isinstance(exc, _Retry) else exc.message
            raise bodies.not_kept(problem, f"fetching it again failed ({detail})") from None
        if again.status != hop.status or again.body is None:
            raise bodies.not_kept(problem, f"fetching it again answered {again.status}")
        return again.body

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


async def _navigate_once(
    page: Page, request: GotoRequest, user_agent: UserAgent, max_redirects: int
) -> GotoResult:
    if request.url == "about:blank":
        return await _blank(page)
    recorder = _Recorder(page, request, user_agent, max_redirects)
    target = request.url
    if request.method in fallback.METHODS:
        exchange = await _send_outside(page, request, user_agent, max_redirects=max_redirects)
        recorder.fulfil = exchange
        recorder.redirects = list(exchange.redirects)
        target = exchange.url
    params: dict[str, Any] = {"url": target}
    if request.referrer:
        params["referrer"] = request.referrer
    cdp = page.cdp
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
                if recorder.fulfil is not None:
                    return recorder._fulfilled_result(recorder.fulfil)
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


async def _send_outside(
    page: Page,
    request: GotoRequest,
    user_agent: UserAgent,
    *,
    url: str | None = None,
    method: str | None = None,
    max_redirects: int = 0,
    again: bool = False,
) -> fallback.Exchange:
    """A request sent by the server's own HTTP client, as the session.

    TRACE and CONNECT go this way; so does a GET whose body the browser did
    not keep (``again``: no body, no redirect followed, no cookie stored twice).
    """
    try:
        return await fallback.send(
            page.cdp,
            url=url or request.url,
            method=method or request.method,
            headers=request.headers,
            body=None if again else request.body,
            user_agent=user_agent,
            accept_language=getattr(page.state.get("options"), "locale", None),
            referrer=request.referrer,
            max_redirects=max_redirects,
            # The page's own proxy: what its context goes through, the
            # server's requests for it go through too.
            proxy=page.proxy.client_url if page.proxy is not None else None,
            egress=page.egress,
            store_cookies=not again,
        )
    except fallback.FetchFailed as failed:
        _raise_network(page, failed.net_error, url or request.url)


async def _follow(recorder: _Recorder, events: EventQueue) -> None:
    settle_token = 0
    probing = False
    while True:
        if recorder.navigate_error and events.empty():
            # Everything the browser said before failing the navigation is in:
            # a response (204, download, full Chromium's empty-4xx page) is
            # still an answer, anything else is a network failure.
            if recorder.response is None and not recorder.answered:
                recorder.fail(recorder.navigate_error)
            recorder.loaded = recorder.finished = True
            recorder.navigate_error = None
        if recorder.failure is not None:
            if recorder.response is None and not recorder.answered:
                recorder.fail(recorder.failure)
            recorder.failure = None
            recorder.loaded = True
        if recorder.done and not probing:
            settle_token += 1
            probing = True
            _settle(recorder.cdp, events, settle_token, javascript_enabled(recorder.page))
        method, params = await events.get()
        if method == "inndx.settled":
            probing = False
            if recorder.done and params["token"] == settle_token:
                return
            continue
        recorder.handle(method, params)


def _settle(cdp: CdpSession, events: EventQueue, token: int, javascript: bool) -> None:
    """Let the page run its due tasks, then post ``inndx.settled`` into the queue."""
    expression = SETTLE_PROBE if javascript else SETTLE_PROBE_NO_JS

    async def probe() -> None:
        with contextlib.suppress(InndxError, CdpError):
            await cdp.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True})
        events.put("inndx.settled", {"token": token})

    asyncio.get_running_loop().create_task(probe()).add_done_callback(_log_failure)


def _raise_network(page: Page, error: str, url: str, *, failed: str | None = None) -> NoReturn:
    """Raise what a network failure of the goto to ``url`` means.

    ``failed`` is the hop that failed, when a redirect led there.
    """
    if error == "net::ERR_TOO_MANY_REDIRECTS":
        # Chromium's own limit (20 server hops in one request), below max_redirects.
        raise TooManyRedirects(f"too many redirects: the browser gave up ({error} at {url})")
    error = explain_network_error(page, error, failed or url)
    if error in RETRY_ERRORS:
        raise _Retry(error)
    raise NavigationFailed(f"{error} at {url}")


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
