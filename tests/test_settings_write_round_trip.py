"""A settings change is one round trip (issue 20): the server-side functions of
migration ``core_0006_settings_write`` take the lock, write the value, its history row
and the NOTIFY in the statement's own transaction."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from alphapy.db.pool import init_connection
from alphapy.settings import SettingsRegistry, SettingsService, store
from alphapy.settings.write_batch import WriteBatcher

GUILD = 3_333_333_333_333_333_333


class CountingConnection(asyncpg.Connection):  # type: ignore[misc]
    """A real connection that counts the queries it sends (each one waits for the server)."""

    round_trips = 0

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        if not args:  # with arguments, asyncpg goes through _execute (counted there)
            type(self).round_trips += 1
        return await super().execute(query, *args, timeout=timeout)

    async def _execute(self, *args: Any, **kwargs: Any) -> Any:
        type(self).round_trips += 1
        return await super()._execute(*args, **kwargs)


async def test_a_write_and_a_reset_are_one_round_trip_each(migrated_database_url: str) -> None:
    conn = await asyncpg.connect(migrated_database_url, connection_class=CountingConnection)
    try:
        await init_connection(conn)  # the JSON codecs the bot's pool uses
        CountingConnection.round_trips = 0
        created = await store.write(conn, GUILD, "demo", "lead_minutes", 5, "int", 42)
        assert CountingConnection.round_trips == 1
        updated = await store.write(conn, GUILD, "demo", "lead_minutes", 6, "int", 42)
        CountingConnection.round_trips = 0
        deleted = await store.delete(conn, GUILD, "demo", "lead_minutes", 42)
        assert CountingConnection.round_trips == 1
    finally:
        await conn.close()
    assert (created.change_type, created.old_value) == ("created", None)
    assert (updated.change_type, updated.old_value, updated.new_value) == ("updated", 5, 6)
    assert deleted is not None and (deleted.change_type, deleted.old_value) == ("deleted", 6)


async def test_writers_on_separate_connections_leave_an_exact_history(migrated_database_url: str) -> None:
    """Two hosts writing one setting at once: each history row names the value it replaced."""
    pool = await asyncpg.create_pool(migrated_database_url, min_size=8, max_size=8, init=init_connection)
    assert pool is not None
    try:
        async def write(n: int) -> None:
            async with pool.acquire() as conn:
                await store.write(conn, GUILD, "demo", "lead_minutes", n, "int", n)

        await asyncio.gather(*(write(n) for n in range(40)))
        rows = await pool.fetch(
            "SELECT old_value, new_value, change_type FROM settings_history"
            " WHERE guild_id = $1 AND scope = 'demo' AND key = 'lead_minutes' ORDER BY id", GUILD)
        final = await pool.fetchval(
            "SELECT value FROM bot_settings WHERE guild_id = $1 AND scope = 'demo' AND key = 'lead_minutes'", GUILD)
    finally:
        await pool.close()
    assert len(rows) == 40
    assert rows[0]["old_value"] is None and rows[0]["change_type"] == "created"
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["old_value"] == before["new_value"] and after["change_type"] == "updated"
    assert final == rows[-1]["new_value"]


async def test_a_reset_of_nothing_stored_writes_no_history_and_notifies_nobody(migrated_database_url: str) -> None:
    heard: list[str] = []
    listener = await asyncpg.connect(migrated_database_url)
    writer = await asyncpg.connect(migrated_database_url)
    try:
        await init_connection(writer)
        await listener.add_listener(store.NOTIFY_CHANNEL, lambda *args: heard.append(args[-1]))
        assert await store.delete(writer, GUILD, "demo", "greeting", 42) is None
        await store.write(writer, GUILD, "demo", "enabled", True, "bool", 42)  # a change that is heard
        for _ in range(500):
            if heard:
                break
            await asyncio.sleep(0.01)
        history = await writer.fetchval("SELECT count(*) FROM settings_history WHERE guild_id = $1", GUILD)
    finally:
        await listener.close()
        await writer.close()
    assert heard == [f"{GUILD}:demo:enabled"]
    assert history == 1


async def test_concurrent_writes_of_one_process_share_commits_and_keep_an_exact_history(db: Any) -> None:
    """A burst of changes pays one commit for all that waited, not one each; a batch
    holding several changes of one setting still records each value it replaced."""
    registry = SettingsRegistry()
    registry.registrar("demo")("lead_minutes", "int", default=60, min=0, max=1440)
    settings = SettingsService(db, registry)
    entries = await asyncio.gather(*(settings.set(GUILD + n % 5, "demo", "lead_minutes", n, changed_by=n)
                                     for n in range(40)))
    assert [e.new_value for e in entries] == list(range(40))
    transactions = await db.fetchval(
        "SELECT count(DISTINCT xmin::text) FROM settings_history WHERE guild_id >= $1", GUILD)
    assert transactions < 10  # the first goes alone, the 39 that waited go together
    for guild in range(GUILD, GUILD + 5):
        rows = await db.fetch("SELECT old_value, new_value, change_type FROM settings_history"
                              " WHERE guild_id = $1 ORDER BY id", guild)
        assert [r["new_value"] for r in rows] == list(range(guild - GUILD, 40, 5))  # in arrival order
        assert rows[0]["old_value"] is None and rows[0]["change_type"] == "created"
        for before, after in zip(rows, rows[1:], strict=False):
            assert after["old_value"] == before["new_value"] and after["change_type"] == "updated"


async def test_a_write_the_server_refuses_fails_alone_in_its_batch(db: Any) -> None:
    batcher = WriteBatcher(db)
    good = [store.NewValue(GUILD, "demo", f"key{n}", n, "int", 1) for n in range(5)]
    bad = store.NewValue(GUILD, "demo", "bad", 1, "int", 2**70)  # changed_by beyond BIGINT
    results = await asyncio.gather(*(batcher.write(w) for w in [*good[:3], bad, *good[3:]]),
                                   return_exceptions=True)
    assert isinstance(results[3], Exception)
    assert [r.new_value for r in results if not isinstance(r, BaseException)] == [0, 1, 2, 3, 4]
    stored = await db.fetchval("SELECT count(*) FROM bot_settings WHERE guild_id = $1", GUILD)
    assert stored == 5
