"""The playground under test: the bot with real plugins, the playground beside its emulator,
a visitor (an HTTP client keeping its session cookie) and, for the browser tests, Chromium.

Chromium comes from the testing kit (``alphapy_chromium``: one per session, skipped with a
sentence when missing).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from alphapy.testing.emulator.playground import Playground

#: where the test run started (a relative ALPHAPY_SCREENSHOTS is from here, even if a test chdirs)
STARTED_IN = Path.cwd()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_onboarding import plugin as onboarding
    from alphapy_reminders import plugin as reminders
    from alphapy_tickets import plugin as tickets

    return [("onboarding", onboarding), ("reminders", reminders), ("tickets", tickets)]


@pytest_asyncio.fixture
async def playground(bot_runner: Any, emulator: Any) -> AsyncIterator[Playground]:
    """The playground on a free loopback port, beside the running bot (whose clock it
    moves; the clock is put back afterwards)."""
    from alphapy import clock

    try:
        async with Playground(emulator) as started:
            started.follow_bot(bot_runner.services.scheduler)
            yield started
    finally:
        clock.reset()


@dataclass
class Visitor:
    """Someone using the playground without JavaScript: plain forms, one session cookie."""

    base: str
    http: aiohttp.ClientSession
    csrf: str = ""

    async def get(self, path: str, status: int = 200) -> str:
        async with self.http.get(self.base + path, allow_redirects=True) as response:
            text = await response.text()
            assert response.status == status, (response.status, text[:500])
        if (found := CSRF.search(text)) is not None:
            self.csrf = found[1]
        return text

    async def post(self, path: str, data: dict[str, Any] | aiohttp.FormData, status: int = 200) -> str:
        if not self.csrf:
            await self.get("/")
        if isinstance(data, dict):
            data = {**data, "csrf_token": self.csrf}
        else:
            data.add_field("csrf_token", self.csrf)
        async with self.http.post(self.base + path, data=data, allow_redirects=True) as response:
            text = await response.text()
            assert response.status == status, (response.status, text[:500])
            self.last_url = str(response.url)
        if (found := CSRF.search(text)) is not None:
            self.csrf = found[1]
        return text

    async def become(self, person: Any) -> None:
        await self.post("/identity", {"user_id": str(person.id), "back": f"/g/{person.guild.id}"})


@pytest_asyncio.fixture
async def visitor(playground: Playground) -> AsyncIterator[Visitor]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Visitor(playground.url, http)


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a test keeps its screenshots: ``$ALPHAPY_SCREENSHOTS`` when set, else its tmp dir."""
    where = STARTED_IN / Path(os.environ.get("ALPHAPY_SCREENSHOTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where
