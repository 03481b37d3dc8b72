"""Testing dashboard pages: the dashboard beside a test's bot, and a browser-like client.

A plugin's page tests log in through the emulator's consent page as any emulated person,
open pages and post forms with the page's own CSRF token, exactly as a person's browser
does; the clock is moved instead of sleeping past the one-minute re-check.
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
MESSAGE = re.compile(r'<p class="message" role="(?:status|alert)"[^>]*>([^<]+)</p>')
HIDDEN_FIELD = re.compile(r'type="hidden" name="(\w+)" value="([^"]*)"')


class MovableClock:
    """Monotonic seconds a test moves forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def running_dashboard(bot_runner: Any, emulator: Any, data_dir: Path,
                            clock: MovableClock | None = None, *, with_bot: bool = True) -> AsyncIterator[str]:
    """The dashboard on a free loopback port beside ``bot_runner``'s bot; yields its URL.

    ``with_bot=False`` serves the same database and settings without reaching the bot, as
    ``alphapy dashboard`` alone does (``ctx.bot`` is None): what a page does without it."""
    from alphapy.dashboard.server import DashboardServer, options_from

    config = bot_runner.services.config.model_copy(update={"dashboard_port": 0, "data_dir": data_dir})
    options = options_from(config, bot_runner.services, emulator=emulator)
    if clock is not None:
        options.clock = clock
    if not with_bot:
        options.bot_source = lambda: None
    server = DashboardServer(config, options)
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()


@dataclass
class WebPage:
    """What the dashboard answered: status, final URL (after redirects) and HTML."""

    status: int
    url: str
    text: str

    @property
    def sentence(self) -> str:
        """The sentence the page says to the person (a saved notice or a refusal: the
        dashboard's ``<p class="message" role="status|alert">``), unescaped; fails the
        test when the page shows none."""
        found = MESSAGE.search(self.text)
        if found is None:
            raise AssertionError(f"the page shows no sentence: {self.status} {self.text[:300]}")
        return html.unescape(found.group(1))

    @property
    def csrf_token(self) -> str:
        found = CSRF_FIELD.search(self.text)
        if found is None:
            raise AssertionError("the page has no form with a CSRF token")
        return found.group(1)


class DashboardBrowser:
    """A cookie-keeping client of one dashboard, as a browser would be."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        # unsafe=True keeps the cookies of an IP address host (127.0.0.1), as a browser does
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf_token = ""

    async def __aenter__(self) -> DashboardBrowser:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.http.close()

    async def log_in(self, user: Any) -> WebPage:
        """Through the emulator's consent page as ``user``; the page the dashboard lands on."""
        async with self.http.get(self.base_url + "/login") as consent:
            text = await consent.text()
            if consent.status != 200 or "Who are you?" not in text:
                raise AssertionError(f"no consent page: {consent.status} {text[:200]}")
            form = dict(HIDDEN_FIELD.findall(text))
            consent_url = str(consent.url).split("?")[0]
        form.update(user_id=str(user.id), action="authorize")
        async with self.http.post(consent_url, data=form) as landed:
            page = WebPage(landed.status, str(landed.url), await landed.text())
        self.csrf_token = page.csrf_token
        return page

    async def get(self, path: str, **params: str) -> WebPage:
        async with self.http.get(self.base_url + path, params=params) as resp:
            return WebPage(resp.status, str(resp.url), await resp.text())

    async def post(self, path: str, data: dict[str, str] | None = None, *, csrf: str | None = None) -> WebPage:
        """Post a form with the session's CSRF token (``csrf=""`` sends none, as a forger would)."""
        form = {"csrf_token": self.csrf_token if csrf is None else csrf, **(data or {})}
        if csrf == "":
            del form["csrf_token"]
        async with self.http.post(self.base_url + path, data=form) as resp:
            return WebPage(resp.status, str(resp.url), await resp.text())
