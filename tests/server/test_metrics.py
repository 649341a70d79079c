"""``GET /metrics``: Prometheus text that moves when sessions and actions run."""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from inndx_cdp.client import Refused, connect
from inndx_cdp.errors import NoMatch

from .conftest import Served, running_server

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(served: Served) -> Samples:
    """Every sample of the server's /metrics, parsed by prometheus_client's own parser."""
    url = served.url.replace("ws://", "http://").replace("/v1/sessions/ws", "/metrics")
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        text = await response.text()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_action_counters_and_histograms_move(site: str) -> None:
    async with running_server() as served:
        before = await scrape(served)
        async with connect(served.url, tenant="metrics", timeout="1s") as session:
            await session.goto(site + "/e2e/form")
            for n in range(3):
                await session.evaluate(str(n))
            with pytest.raises(NoMatch):
                await session.click("#missing")
            during = await scrape(served)
        after = await scrape(served)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("inndx_cdp_actions_total", action="goto", outcome="ok") == 1
    assert moved("inndx_cdp_actions_total", action="evaluate", outcome="ok") == 3
    assert moved("inndx_cdp_actions_total", action="click", outcome="404") == 1
    assert moved("inndx_cdp_actions_total", action="close", outcome="ok") == 1
    assert moved("inndx_cdp_actions_total", action="click", outcome="ok") == 0
    histogram = "inndx_cdp_action_duration_seconds"
    assert moved(histogram + "_count", action="evaluate", outcome="ok") == 3
    assert moved(histogram + "_bucket", action="evaluate", outcome="ok", le="+Inf") == 3
    assert moved(histogram + "_sum", action="evaluate", outcome="ok") > 0
    # The click waited for its 1 s timeout before the 404.
    assert value(after, histogram + "_sum", action="click", outcome="404") >= 0.9
    assert value(after, histogram + "_bucket", action="click", outcome="404", le="0.5") == 0

    assert value(during, "inndx_cdp_sessions_open", tenant="metrics", kind="standard") == 1
    assert value(after, "inndx_cdp_sessions_open", tenant="metrics", kind="standard") == 0
    assert value(during, "inndx_cdp_pool_browsers", kind="standard") == 1
    assert value(during, "inndx_cdp_browser_processes", kind="standard") >= 2
    assert value(during, "inndx_cdp_browser_memory_bytes", kind="standard") > 10 * 2**20
    assert value(during, "inndx_cdp_pool_pages") >= 1
    assert value(during, "inndx_cdp_sessions_max") == 200
    assert value(during, "inndx_cdp_draining") == 0
    assert value(during, "process_resident_memory_bytes") > 0


async def test_refusals_and_browser_restarts_are_counted() -> None:
    async with running_server() as served:
        with pytest.raises(Refused):
            await connect(served.url, tenant="not a tenant")
        (browser,) = served.pool.browsers()
        before = await scrape(served)
        assert value(before, "inndx_cdp_refusals_total", code="400") == 1
        assert value(before, "inndx_cdp_browser_restarts_total") == 0
        os.kill(browser.process.pid, signal.SIGKILL)
        for _ in range(100):  # the pool notices the death through the closed pipe
            if not browser.alive:
                break
            await asyncio.sleep(0.05)
        async with connect(served.url, tenant="metrics") as session:
            assert (await session.evaluate("'back'")).result == "back"
        after = await scrape(served)
        assert value(after, "inndx_cdp_browser_restarts_total") == 1
        assert value(after, "inndx_cdp_pool_browsers", kind="standard") == 1


def test_action_outcomes_and_the_exception_goes_on() -> None:
    from prometheus_client import generate_latest

    from inndx_cdp.server.metrics import Metrics

    metrics = Metrics()
    with metrics.action("goto"):
        pass
    for error in (NoMatch("x"), asyncio.CancelledError(), RuntimeError("bug")):
        with pytest.raises(type(error)), metrics.action("click"):
            raise error
    text = generate_latest(metrics.registry).decode()
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    for action, outcome in (
        ("goto", "ok"),
        ("click", "404"),
        ("click", "cancelled"),
        ("click", "500"),
    ):
        assert value(samples, "inndx_cdp_actions_total", action=action, outcome=outcome) == 1
