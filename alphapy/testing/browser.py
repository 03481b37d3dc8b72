"""A real Chromium for tests of web pages: the dashboard's and the plugins' own.

Debian's ``chromium`` is started once per test session with its DevTools port on loopback;
each test connects a Playwright of its own to it and gets a fresh browser context (no
cookies, no storage from the test before). The process is shared, not Playwright's
objects, because pytest-asyncio gives every test its own event loop and Playwright's
objects belong to the loop that made them.

Every page a test lands on goes through :meth:`BrowserPage.visited`: a full-page
screenshot is kept, and the page is checked for what a person (or a screen reader) would
trip over: inline script, a Content-Security-Policy violation or a script error in the
console, a form control without a label. See ``docs/testing.md`` ("Pages in a real
browser").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from alphapy.testing.page_checks import focus_is_visible, page_problems

if TYPE_CHECKING:
    from playwright.async_api import ConsoleMessage, Error as PageError, Locator, Page, Request

#: A Chromium binary to use instead of the one on ``PATH``.
CHROMIUM_ENV = "ALPHAPY_CHROMIUM"
#: A folder for the screenshots of every page the browser tests visit (one subfolder a test).
SCREENSHOTS_ENV = "ALPHAPY_SCREENSHOTS"
#: Names Debian and other distributions give the browser, tried in order.
CHROMIUM_NAMES = ("chromium", "chromium-browser")
#: Without the background-networking flags Chromium keeps calling Google's services, whose
#: connections a closed network refuses (and which tests have no business making).
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
NO_CHROMIUM = (f"no Chromium found (install Debian's chromium package or set {CHROMIUM_ENV}); "
               "browser tests skipped")
NO_PLAYWRIGHT = "Playwright is not installed (pip install playwright); browser tests skipped"
START_SECONDS = 30.0
ACTION_SECONDS = 15.0

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def find_chromium() -> str | None:
    """The Chromium to drive: ``ALPHAPY_CHROMIUM`` when set, else the first on ``PATH``."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_installed() -> bool:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return True


class ChromiumProcess:
    """Chromium, headless, with its DevTools endpoint on 127.0.0.1; ``endpoint`` once started."""

    def __init__(self, executable: str, *, extra_args: Sequence[str] = ()) -> None:
        self.executable = executable
        self.extra_args = tuple(extra_args)
        self.endpoint = ""
        self._profile: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        self._profile = tempfile.TemporaryDirectory(prefix="alphapy-chromium-")
        profile = Path(self._profile.name)
        self._process = subprocess.Popen(
            [self.executable, *CHROMIUM_ARGS, *self.extra_args, "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        # Chromium writes the port it chose and the browser's path once it listens.
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_SECONDS
        while True:
            lines = active.read_text().splitlines() if active.exists() else []
            if len(lines) >= 2:
                self.endpoint = f"ws://127.0.0.1:{lines[0]}{lines[1]}"
                return self.endpoint
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{self.executable} did not start (exit code {self._process.returncode})")
            time.sleep(0.05)

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._profile is not None:
            self._profile.cleanup()
            self._profile = None

    def __enter__(self) -> ChromiumProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


@dataclass
class BrowserPage:
    """A Playwright ``page`` in a fresh context, keeping a screenshot of every page visited.

    ``console_errors`` gathers what the console reported as an error (Chromium reports each
    CSP violation there) and uncaught script errors; :meth:`visited` fails on any.
    """

    page: Page
    screenshots: Path
    console_errors: list[str] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    _documents: set[str] = field(default_factory=set)
    _failed_loads: list[str] = field(default_factory=list)

    def listen(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = str(message.location.get("url") or self.page.url)
        if message.text.startswith("Failed to load resource"):
            # judged when the problems are asked for: a refused script request whose page the
            # script then posts the ordinary way becomes that page's own status
            self._failed_loads.append(source)
            return
        self.console_errors.append(f"{source}: {message.text}")

    def _unexplained_failed_loads(self) -> list[str]:
        """Loads that failed and are not a page's own status (a 403 refusal page is the answer
        a test expects) nor the favicon Chromium asks every site for."""
        return [f"{source}: Failed to load resource" for source in self._failed_loads
                if source not in self._documents and urlsplit(source).path != "/favicon.ico"]

    def _on_request(self, request: Request) -> None:
        if request.is_navigation_request():
            self._documents.add(request.url)

    def _on_page_error(self, error: PageError) -> None:
        self.console_errors.append(f"{self.page.url}: {error}")

    async def visited(self, name: str) -> Path:
        """Keep a full-page screenshot of the current page as ``NN-name.png`` and check it."""
        await self.page.wait_for_load_state("load")
        self.screenshots.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "page"
        path = self.screenshots / f"{len(self.kept) + 1:02d}-{slug}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        self.kept.append(path)
        await self.check(name)
        return path

    async def check(self, name: str) -> None:
        """Fail, naming each problem, when the current page has any (no screenshot kept)."""
        problems = await self.problems()
        assert not problems, f"{name} ({self.page.url}):\n  " + "\n  ".join(problems)

    async def problems(self) -> list[str]:
        """What is wrong on the current page (empty when nothing), console errors included."""
        return await page_problems(self.page) + self.console_errors + self._unexplained_failed_loads()

    async def tab_to(self, target: Locator, *, max_presses: int = 40) -> None:
        """Press Tab until ``target`` has the focus, and check the focus can be seen there."""
        for _ in range(max_presses):
            await self.page.keyboard.press("Tab")
            if await target.evaluate("el => el === document.activeElement"):
                assert await focus_is_visible(self.page), f"the focus on {target} is not visible"
                return
        raise AssertionError(f"{target} was not reached with Tab ({max_presses} presses)")


@asynccontextmanager
async def open_browser_page(endpoint: str, screenshots: Path, *, viewport: dict[str, int] | None = None,
                            color_scheme: str = "light", timeout_seconds: float = ACTION_SECONDS,
                            **context_options: Any) -> AsyncIterator[BrowserPage]:
    """A :class:`BrowserPage` in a fresh context of the Chromium at ``endpoint``.

    An action waits ``timeout_seconds`` for its element (Playwright's own default is 30 s:
    a missing link would hold a failing test that long).
    """
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.connect_over_cdp(endpoint)
        context = await browser.new_context(viewport=viewport or DESKTOP, color_scheme=color_scheme,  # type: ignore[arg-type]
                                            **context_options)
        context.set_default_timeout(timeout_seconds * 1000)
        try:
            page = BrowserPage(await context.new_page(), screenshots)
            page.listen()
            yield page
        finally:
            await context.close()
            await browser.close()


def screenshot_folder(test_name: str, tmp_path: Path) -> Path:
    """``ALPHAPY_SCREENSHOTS/<test>`` when set (kept after the run), else under ``tmp_path``."""
    configured = os.environ.get(SCREENSHOTS_ENV)
    if configured:
        return Path(configured) / re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name)
    return tmp_path / "screenshots"


__all__ = [
    "CHROMIUM_ARGS", "CHROMIUM_ENV", "DESKTOP", "NO_CHROMIUM", "PHONE", "SCREENSHOTS_ENV", "BrowserPage",
    "ChromiumProcess", "find_chromium", "open_browser_page", "screenshot_folder",
]
