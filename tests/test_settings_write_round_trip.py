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


def test_a_notify_payload_names_the_guilds_to_forget() -> None:
    assert store.changed_guilds(f"{GUILD}:demo:enabled") == {GUILD}
    assert store.changed_guilds("*\n1:demo:a\n2:demo:b\n1:core:c") == {1, 2}  # a batch over several guilds
    assert store.changed_guilds("1:demo:a\n1:demo:b") == {1}
    assert store.changed_guilds("not a guild") is None  # unreadable: forget everything
    assert store.changed_guilds("1:demo:a\nx:demo:b") is None
    assert store.changed_guilds("*") is None


async def listen(url: str, heard: list[str]) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await conn.add_listener(store.NOTIFY_CHANNEL, lambda *args: heard.append(args[-1]))
    return conn


async def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


async def test_a_batch_sends_one_notify_naming_every_setting_it_changed(db: Any) -> None:
    registry = SettingsRegistry()
    register = registry.registrar("demo")
    register("lead_minutes", "int", default=60, min=0, max=1440)
    register("enabled", "bool", default=False)
    settings = SettingsService(db, registry)
    heard: list[str] = []
    listener = await listen(db.url, heard)
    try:
        writes = [(GUILD + n % 3, "lead_minutes" if n % 2 else "enabled", n) for n in range(24)]
        await asyncio.gather(*(settings.set(g, "demo", key, n if key == "lead_minutes" else n % 4 == 0, changed_by=1)
                               for g, key, n in writes))
        expected = {f"{g}:demo:{key}" for g, key, _n in writes}

        def named() -> set[str]:
            return {line for payload in heard for line in payload.split("\n") if line != "*"}

        await wait_until(lambda: named() >= expected)
        await asyncio.sleep(0.2)  # anything later would be an extra NOTIFY
    finally:
        await listener.close()
    stats = settings.stats()
    assert stats["writes"] == 24 and stats["write_batches"] < 24  # they did share statements
    assert len(heard) == stats["write_batches"]  # one NOTIFY per statement, not one per write
    assert named() == expected
    several = [payload for payload in heard if len({line.partition(":")[0] for line in payload.split("\n")} - {"*"}) > 1]
    assert several and all(payload.startswith("*\n") for payload in several)


async def test_a_batch_too_long_for_one_notify_is_split_under_the_payload_limit(migrated_database_url: str) -> None:
    heard: list[str] = []
    listener = await listen(migrated_database_url, heard)
    writer = await asyncpg.connect(migrated_database_url)
    try:
        await init_connection(writer)
        keys = [f"a_rather_long_setting_name_number_{n:04d}" for n in range(300)]
        entries = await store.write_many(writer, [store.NewValue(GUILD + n % 2, "demo", key, n, "int", 1)
                                                  for n, key in enumerate(keys)])
        expected = {f"{GUILD + n % 2}:demo:{key}" for n, key in enumerate(keys)}
        await wait_until(lambda: {line for p in heard for line in p.split("\n")} >= expected)
    finally:
        await listener.close()
        await writer.close()
    assert [e.new_value for e in entries] == list(range(300))
    assert [e.id for e in entries] == sorted(e.id for e in entries)  # history in the order given
    assert len(heard) > 1 and all(len(payload.encode()) < 8000 for payload in heard)
    assert {line for p in heard for line in p.split("\n")} - {"*"} == expected


async def test_batches_and_single_writes_of_other_connections_keep_one_exact_chain(db: Any) -> None:
    """A batch of this process and lone writes of another process on one setting."""
    registry = SettingsRegistry()
    registry.registrar("demo")("lead_minutes", "int", default=60, min=0, max=100_000)
    settings = SettingsService(db, registry)
    other = await asyncpg.connect(db.url)
    try:
        await init_connection(other)

        async def elsewhere() -> None:
            for n in range(20):
                await store.write(other, GUILD, "demo", "lead_minutes", 1000 + n, "int", 2)

        await asyncio.gather(elsewhere(), *(settings.set(GUILD, "demo", "lead_minutes", n, changed_by=1)
                                            for n in range(40)))
    finally:
        await other.close()
    rows = await db.fetch("SELECT old_value, new_value, change_type FROM settings_history"
                          " WHERE guild_id = $1 ORDER BY id", GUILD)
    assert len(rows) == 60
    assert rows[0]["old_value"] is None and rows[0]["change_type"] == "created"
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["old_value"] == before["new_value"] and after["change_type"] == "updated"
    assert [r["new_value"] for r in rows if r["new_value"] < 1000] == list(range(40))  # ours in arrival order
    assert settings.stats()["write_batches"] < 40


async def test_writes_that_keep_coming_are_not_each_followed_by_a_reset(db: Any) -> None:
    """Between back-to-back writes the sender keeps its connection: returning it to the
    pool is a round trip of its own (asyncpg resets the session), paid once at the end.
    A session variable counts the writes a session saw; the pool's reset clears it."""
    await db.execute("CREATE TABLE seen_by_session (n INT)")
    await db.execute("""
        CREATE FUNCTION count_in_session() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE n INT := coalesce(nullif(current_setting('alphapy_test.writes', true), ''), '0')::int + 1;
        BEGIN
            PERFORM set_config('alphapy_test.writes', n::text, false);
            INSERT INTO seen_by_session VALUES (n);
            RETURN NEW;
        END $$""")
    await db.execute("CREATE TRIGGER count_in_session AFTER INSERT ON settings_history"
                     " FOR EACH ROW EXECUTE FUNCTION count_in_session()")
    registry = SettingsRegistry()
    registry.registrar("demo")("lead_minutes", "int", default=60, min=0, max=1440)
    settings = SettingsService(db, registry)
    for n in range(20):  # one writer, one change after the other
        await settings.set(GUILD, "demo", "lead_minutes", n, changed_by=1)
    seen = [row["n"] for row in await db.fetch("SELECT n FROM seen_by_session ORDER BY ctid")]
    assert seen == list(range(1, 21))  # one session, never reset in between
    assert settings.stats()["write_batches"] == 20  # each went alone, at once
    await settings.set(GUILD, "demo", "lead_minutes", 99, changed_by=1)  # later: after the release
    assert (await db.fetch("SELECT n FROM seen_by_session ORDER BY ctid"))[-1]["n"] == 1  # the release did reset it
