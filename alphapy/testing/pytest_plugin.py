"""pytest fixtures for Alphapy and its plugins (registered via the ``pytest11`` entry point).

Override ``alphapy_plugins`` in a test module or conftest to choose which plugins a
test loads; nothing installed on the machine leaks in otherwise::

    @pytest.fixture
    def alphapy_plugins():
        from alphapy_reminders import plugin
        return [("reminders", plugin)]
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
