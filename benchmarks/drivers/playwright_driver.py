"""The peer: Playwright for Python, launching the same Chromium binary.

Playwright's own browser download is never used; ``executable_path`` points at
the build the server runs. Calls are Playwright's ordinary ones, with its
defaults (``goto`` waits for ``load``, ``click`` and ``fill`` run its
actionability checks), as its users write them.
"""

from __future__ import annotations

from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from .base import DriverError

__all__ = ["PlaywrightDriver", "PlaywrightTab"]


class PlaywrightTab:
    """A Playwright browser context with one page."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page

    async def goto(self, url: str) -> None:
        response = await self.page.goto(url)
        if response is None or response.status != 200:
            raise DriverError(f"goto answered {response.status if response else None}")

    async def click(self, selector: str) -> None:
        await self.page.click(selector)

    async def fill(self, selector: str, value: str) -> None:
        await self.page.fill(selector, value)

    async def content(self) -> bytes:
        return (await self.page.content()).encode()

    async def evaluate(self, script: str) -> object:
        result: object = await self.page.evaluate(script)
        return result

    async def screenshot(self) -> bytes:
        return await self.page.screenshot()

    async def close(self) -> None:
        await self.context.close()


class PlaywrightDriver:
    """Playwright's Chromium, launched from the given binary."""

    name = "playwright"

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self._playwright: Playwright | None = None
        self.browser: Browser | None = None

    async def start(self) -> None:
        self._playwright = await async_playwright().start()
        self.browser = await self._playwright.chromium.launch(executable_path=self.binary)

    async def open(self) -> PlaywrightTab:
        assert self.browser is not None, "driver not started"
        context = await self.browser.new_context(viewport={"width": 1280, "height": 720})
        page = await context.new_page()
        return PlaywrightTab(context, page)

    async def stop(self) -> None:
        if self.browser is not None:
            await self.browser.close()
            self.browser = None
        if self._playwright is not None:
            await self._playwright.stop()
            self._playwright = None

    @property
    def version(self) -> str:
        return self.browser.version if self.browser is not None else ""
