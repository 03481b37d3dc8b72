"""pytest fixtures for Alphapy and its plugins (registered via the ``pytest11`` entry point).

A plugin author's end-to-end test is a few lines::

    @pytest.fixture
    def alphapy_plugins():
        from alphapy_reminders import plugin
        return [("reminders", plugin)]

    async def test_add(bot, emulator, guild, host):
        reply = await emulator.slash(host, "reminder add", name="Raid", ...)
        assert "saved" in reply.content

Fixtures: ``database_url`` (fresh, empty), ``migrated_database_url`` and ``db`` (with the
core's and the test's plugins' migrations), ``emulator`` (the Discord emulator, checking
every request against Discord's OpenAPI description when ``ALPHAPY_DISCORD_OPENAPI``
names it), ``guild``/``host``/``member``/``channel`` (a server with a manager, a member
and a text channel), ``fake_ai`` (an OpenAI-compatible server), ``bot`` (the running bot
with ``alphapy_plugins`` and ``alphapy_config``), ``dashboard_url`` and ``dashboard_clock``
(the hosts' dashboard beside that bot, for plugin pages). Override ``alphapy_plugins`` to choose
the plugins and ``alphapy_config`` for settings (e.g. ``fake_ai.config_overrides()``);
nothing installed on the machine leaks in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

from alphapy.testing.database import TestDatabaseServer

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot
    from alphapy.db import Database
    from alphapy.plugins import PluginManager
    from alphapy.runner import BotRunner
    from alphapy.testing.emulator import Channel, DiscordEmulator, Guild, Member
    from alphapy.testing.fake_ai import FakeAI


@pytest.fixture(scope="session")
def alphapy_test_server() -> Iterator[TestDatabaseServer]:
    """One PostgreSQL server for the session: ``TEST_DATABASE_URL`` or an embedded one."""
    server = TestDatabaseServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def database_url(alphapy_test_server: TestDatabaseServer) -> Iterator[str]:
    """URL of a fresh, empty database, dropped after the test."""
    url = alphapy_test_server.create_database()
    try:
        yield url
    finally:
        alphapy_test_server.drop_database(url)


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    """The ``(name, plugin module)`` pairs a test loads; override it to load some."""
    return []


@pytest.fixture
def plugin_manager(alphapy_plugins: list[tuple[str, Any]]) -> PluginManager:
    """A plugin manager with exactly the plugins of ``alphapy_plugins`` registered."""
    from alphapy.plugins import PluginManager

    manager = PluginManager()
    for name, plugin in alphapy_plugins:
        info = manager.register(plugin, name)
        if info.status != "loaded":
            raise RuntimeError(f"plugin {name} failed to register: {info.error}")
    return manager


@pytest.fixture
def migrated_database_url(alphapy_test_server: TestDatabaseServer, plugin_manager: PluginManager) -> Iterator[str]:
    """A fresh database with the core's and the test's plugins' migrations applied."""
    url = alphapy_test_server.migrated_database(plugin_manager.migration_sources())
    try:
        yield url
    finally:
        alphapy_test_server.drop_database(url)


@pytest_asyncio.fixture
async def db(migrated_database_url: str) -> AsyncIterator[Database]:
    """An open :class:`alphapy.db.Database` (main and tracker pools) on a migrated database."""
    from alphapy.db import Database

    database = Database(migrated_database_url, min_size=1, max_size=5, tracker_size=2)
    await database.open()
    try:
        yield database
    finally:
        await database.close()


# --- a real browser (Chromium through Playwright) ------------------------------------------

@pytest.fixture(scope="session")
def alphapy_chromium() -> Iterator[str]:
    """One headless Chromium for the session; its DevTools endpoint. Skips without one."""
    from alphapy.testing.browser import (
        NO_CHROMIUM,
        NO_PLAYWRIGHT,
        ChromiumProcess,
        find_chromium,
        playwright_installed,
    )

    executable = find_chromium()
    if executable is None:
        pytest.skip(NO_CHROMIUM)
    if not playwright_installed():
        pytest.skip(NO_PLAYWRIGHT)
    with ChromiumProcess(executable) as chromium:
        yield chromium.endpoint


@pytest.fixture
def browser_screenshots(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """Where ``browser_page`` keeps its screenshots: ``ALPHAPY_SCREENSHOTS/<test>`` or under ``tmp_path``."""
    from alphapy.testing.browser import screenshot_folder

    return screenshot_folder(request.node.name, tmp_path)


@pytest_asyncio.fixture
async def browser_page(alphapy_chromium: str, browser_screenshots: Any) -> AsyncIterator[Any]:
    """A :class:`~alphapy.testing.browser.BrowserPage` in a fresh browser context (desktop, light)."""
    from alphapy.testing.browser import open_browser_page

    async with open_browser_page(alphapy_chromium, browser_screenshots) as page:
        yield page


# --- Discord, AI and the bot -----------------------------------------------------------

@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[DiscordEmulator]:
    """A Discord emulator on 127.0.0.1; the test fails on any OpenAPI violation."""
    from alphapy.testing.emulator.fixtures import running_emulator

    async with running_emulator() as emu:
        yield emu


@pytest.fixture
def guild(emulator: DiscordEmulator) -> Guild:
    """A server "Test Guild" with #general, its owner, ``host`` and ``member``."""
    created = emulator.add_guild("Test Guild", owner_name="owner", text_channels=("general", "staff-room"))
    created.add_member("host", permissions=["manage_guild"])
    created.add_member("member")
    return created


@pytest.fixture
def host(guild: Guild) -> Member:
    """A member with Manage Server (not the owner)."""
    return guild.member("host")


@pytest.fixture
def member(guild: Guild) -> Member:
    """A member without special permissions."""
    return guild.member("member")


@pytest.fixture
def channel(guild: Guild) -> Channel:
    """The guild's #general."""
    return guild.channel("general")


@pytest_asyncio.fixture
async def fake_ai() -> AsyncIterator[FakeAI]:
    """An OpenAI-compatible server on loopback (point the bot at it with ``alphapy_config``)."""
    from alphapy.testing.fake_ai import FakeAI

    async with FakeAI() as fake:
        yield fake


@pytest.fixture
def alphapy_config() -> dict[str, Any]:
    """Config overrides for the ``bot`` fixture (override it: ``return fake_ai.config_overrides()``)."""
    return {}


@pytest_asyncio.fixture
async def bot_runner(emulator: DiscordEmulator, guild: Guild, migrated_database_url: str,
                     alphapy_plugins: list[tuple[str, Any]],
                     alphapy_config: dict[str, Any]) -> AsyncIterator[BotRunner]:
    """The running bot's runner (``.bot``, ``.services``); ``bot`` is its bot."""
    from alphapy.testing.bot import running_alphapy

    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins,
                               **alphapy_config) as runner:
        yield runner


@pytest.fixture
def bot(bot_runner: BotRunner) -> AlphapyBot:
    """The running Alphapy bot (discord.py) with the test's plugins, against ``emulator``."""
    assert bot_runner.bot is not None  # running_alphapy yields a started runner
    return bot_runner.bot


@pytest.fixture
def dashboard_clock() -> Any:
    """The dashboard's clock: ``dashboard_clock.advance(61)`` passes the one-minute re-check."""
    from alphapy.testing.dashboard import MovableClock

    return MovableClock()


@pytest_asyncio.fixture
async def dashboard_url(bot_runner: Any, emulator: Any, dashboard_clock: Any, tmp_path: Any) -> AsyncIterator[str]:
    """The hosts' dashboard beside the running bot, on a free loopback port: its URL.

    Open it with ``async with DashboardBrowser(dashboard_url) as browser:`` and
    ``await browser.log_in(host)``.
    """
    from alphapy.testing.dashboard import running_dashboard

    async with running_dashboard(bot_runner, emulator, tmp_path, dashboard_clock) as url:
        yield url
