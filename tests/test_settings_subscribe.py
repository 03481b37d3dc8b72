"""Plugins share the settings listener: their channel's notifications, and a reset when some may be lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest_asyncio

from alphapy.db import Database
from alphapy.settings import SettingsRegistry, SettingsService, declare_core_settings

CHANNEL = "alphapy_test_cache"


async def wait_for(predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value if not asyncio.iscoroutine(value) else await value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest_asyncio.fixture
async def settings(db: Database) -> AsyncIterator[SettingsService]:
    registry = SettingsRegistry()
    declare_core_settings(registry)
    service = SettingsService(db, registry)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def test_a_subscriber_hears_other_connections_and_is_reset_on_reconnect(
        settings: SettingsService, db: Database) -> None:
    heard: list[str] = []
    resets: list[int] = []
    await settings.subscribe(CHANNEL, heard.append, lambda: resets.append(1))
    assert resets == [1]  # at once: nothing before the subscription was heard

    await db.execute("SELECT pg_notify($1, $2)", CHANNEL, "42:7")  # any process, any connection
    await wait_for(lambda: heard == ["42:7"])

    listener = settings._listener
    assert listener is not None
    await db.execute("SELECT pg_terminate_backend($1)", listener.get_server_pid())
    await wait_for(lambda: settings.reconnects >= 1 and settings.listening)
    assert len(resets) >= 3  # lost, then connected again: notifications may have been missed
    await db.execute("SELECT pg_notify($1, $2)", CHANNEL, "43:7")  # the new connection listens too
    await wait_for(lambda: heard[-1:] == ["43:7"])

    await settings.unsubscribe(CHANNEL, heard.append)
    await db.execute("SELECT pg_notify($1, $2)", CHANNEL, "44:7")
    await db.execute("SELECT pg_notify($1, $2)", "alphapy_settings", "1:core:x")  # a later, unrelated one
    await wait_for(lambda: settings.invalidations >= 1)  # delivered after ours, in order
    assert heard[-1] == "43:7"
