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
with ``alphapy_plugins`` and ``alphapy_config``). Override ``alphapy_plugins`` to choose
the plugins and ``alphapy_config`` for settings (e.g. ``fake_ai.config_overrides()``);
nothing installed on the machine leaks in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from alphapy.testing.database import TestDatabaseServer


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
def plugin_manager(alphapy_plugins: list[tuple[str, Any]]) -> Any:
    """A plugin manager with exactly the plugins of ``alphapy_plugins`` registered."""
    from alphapy.plugins import PluginManager

    manager = PluginManager()
    for name, plugin in alphapy_plugins:
        info = manager.register(plugin, name)
        if info.status != "loaded":
            raise RuntimeError(f"plugin {name} failed to register: {info.error}")
    return manager


@pytest.fixture
def migrated_database_url(alphapy_test_server: TestDatabaseServer, plugin_manager: Any) -> Iterator[str]:
    """A fresh database with the core's and the test's plugins' migrations applied."""
    url = alphapy_test_server.migrated_database(plugin_manager.migration_sources())
    try:
        yield url
    finally:
        alphapy_test_server.drop_database(url)


@pytest_asyncio.fixture
async def db(migrated_database_url: str) -> AsyncIterator[Any]:
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
async def emulator() -> AsyncIterator[Any]:
    """A Discord emulator on 127.0.0.1; the test fails on any OpenAPI violation."""
    from alphapy.testing.emulator.fixtures import running_emulator

    async with running_emulator() as emu:
        yield emu


@pytest.fixture
def guild(emulator: Any) -> Any:
    """A server "Test Guild" with #general, its owner, ``host`` and ``member``."""
    created = emulator.add_guild("Test Guild", owner_name="owner", text_channels=("general", "staff-room"))
    created.add_member("host", permissions=["manage_guild"])
    created.add_member("member")
    return created


@pytest.fixture
def host(guild: Any) -> Any:
    """A member with Manage Server (not the owner)."""
    return guild.member("host")


@pytest.fixture
def member(guild: Any) -> Any:
    """A member without special permissions."""
    return guild.member("member")


@pytest.fixture
def channel(guild: Any) -> Any:
    """The guild's #general."""
    return guild.channel("general")


@pytest_asyncio.fixture
async def fake_ai() -> AsyncIterator[Any]:
    """An OpenAI-compatible server on loopback (point the bot at it with ``alphapy_config``)."""
    from alphapy.testing.fake_ai import FakeAI

    async with FakeAI() as fake:
        yield fake


@pytest.fixture
def alphapy_config() -> dict[str, Any]:
    """Config overrides for the ``bot`` fixture (override it: ``return fake_ai.config_overrides()``)."""
    return {}


@pytest_asyncio.fixture
async def bot_runner(emulator: Any, guild: Any, migrated_database_url: str,
                     alphapy_plugins: list[tuple[str, Any]], alphapy_config: dict[str, Any]) -> AsyncIterator[Any]:
    """The running bot's runner (``.bot``, ``.services``); ``bot`` is its bot."""
    from alphapy.testing.bot import running_alphapy

    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins,
                               **alphapy_config) as runner:
        yield runner


@pytest.fixture
def bot(bot_runner: Any) -> Any:
    """The running Alphapy bot (discord.py) with the test's plugins, against ``emulator``."""
    return bot_runner.bot
