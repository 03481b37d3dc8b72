"""The core's asyncpg pools: JSONB in binary (COPY works), clear errors, clean close."""

from __future__ import annotations

import asyncio

import pytest

from alphapy.db import Database, DatabaseUnavailable


async def test_jsonb_round_trips_and_copy_works(db: Database) -> None:
    value = {"channels": [1, 2], "nested": {"ok": True, "name": "Café ☕"}, "n": None}
    await db.execute(
        "INSERT INTO bot_settings (guild_id, scope, key, value, value_type) VALUES ($1, $2, $3, $4, $5)",
        1, "core", "complex", value, "json",
    )
    assert await db.fetchval("SELECT value FROM bot_settings WHERE key = 'complex'") == value
    assert await db.fetchval("SELECT value->'nested'->>'name' FROM bot_settings") == "Café ☕"
    # COPY with a JSONB column: asyncpg's default text codec breaks this.
    async with db.tracker_pool.acquire() as conn:
        await conn.copy_records_to_table(
            "settings_history",
            records=[(1, "core", f"k{i}", None, {"i": i}, "json", 5, "created") for i in range(100)],
            columns=["guild_id", "scope", "key", "old_value", "new_value", "value_type", "changed_by", "change_type"],
        )
    assert await db.fetchval("SELECT sum((new_value->>'i')::int) FROM settings_history") == sum(range(100))


async def test_transaction_helper_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO audit_logs (guild_id, user_id, command_name, command_type) VALUES (1, 2, 'x', 'slash')")
            raise RuntimeError("abort")
    assert await db.fetchval("SELECT count(*) FROM audit_logs") == 0


async def test_stats_report_sizes_and_use(db: Database) -> None:
    async with db.acquire():
        stats = db.stats()
        assert stats["in_use"] >= 1
        assert stats["max_size"] == 5
    assert db.stats()["in_use"] == 0


async def test_unreachable_server_is_a_clear_error() -> None:
    database = Database("postgresql://alphapy:topsecret@127.0.0.1:1/alphapy", connect_timeout=2)
    with pytest.raises(DatabaseUnavailable) as caught:
        await database.open()
    message = str(caught.value)
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:1/alphapy: ")
    assert "topsecret" not in message
    assert not database.is_open


async def test_close_waits_for_borrowed_connections(migrated_database_url: str) -> None:
    database = await Database(migrated_database_url, min_size=1, max_size=2).open()

    borrowed = asyncio.Event()

    async def borrow() -> None:
        async with database.acquire() as conn:
            borrowed.set()
            await conn.execute("SELECT pg_sleep(0.2)")

    task = asyncio.create_task(borrow())
    await asyncio.wait_for(borrowed.wait(), 30)  # the connection is out before close() begins, however slow
    await database.close(timeout=5)
    await task  # the borrowed connection finished its work before the pool closed
    assert not database.is_open


async def test_a_connection_lost_mid_block_is_database_unavailable_and_other_errors_are_not(db: Database) -> None:
    import asyncpg

    with pytest.raises(DatabaseUnavailable) as lost:
        async with db.acquire() as conn:
            pid = conn.get_server_pid()
            await db.fetchval("SELECT pg_terminate_backend($1)", pid)  # the server drops it
            # Let the client read the server's goodbye: a query sent while it arrives races
            # with it inside asyncpg's protocol (an InternalClientError, not the lost connection).
            async with asyncio.timeout(10):
                while not conn.is_closed():
                    await asyncio.sleep(0.01)
            await conn.fetchval("SELECT 1")
    assert isinstance(lost.value.__cause__, asyncpg.PostgresError | asyncpg.InterfaceError)
    with pytest.raises(asyncpg.UndefinedTableError):  # a bad query is no outage
        async with db.acquire() as conn:
            await conn.fetch("SELECT * FROM no_such_table")
    with pytest.raises(asyncpg.InterfaceError):  # nor is a misuse of a live connection
        async with db.acquire() as conn:
            await asyncio.gather(conn.fetch("SELECT pg_sleep(0.1)"), conn.fetch("SELECT 1"))
    with pytest.raises(OSError):  # nor is the caller's own OSError inside the block
        async with db.acquire():
            raise ConnectionRefusedError("the caller's HTTP request")
    assert await db.fetchval("SELECT 1") == 1  # and the pool goes on

