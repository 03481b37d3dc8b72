"""Command tracking against real PostgreSQL: writes, outages, stop, reads, retention."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alphapy.config import Config
from alphapy.db import Database
from alphapy.db.pool import connect
from alphapy.log import configure_logging
from alphapy.tracking import (
    COUNT_ALL_SQL,
    COUNT_GUILD_SQL,
    ERROR_MESSAGE_LIMIT,
    RETENTION_SQL,
    USAGE_BY_COMMAND_SQL,
    USAGE_TOP_USERS_SQL,
    CommandTracker,
    CommandUsage,
    UserUsage,
)

COLUMNS = ("guild_id", "user_id", "command_name", "command_type", "success", "error_message", "created_at")
FAST_RETRY = {"retry_initial": 0.01, "retry_max": 0.05}


async def eventually(condition: Callable[[], Any], what: str, limit: float = 30.0) -> None:
    """Wait until ``condition()`` holds; the limit only stops a broken test from hanging."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.01)


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)

    def events() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]

    yield events
    configure_logging("info", "json")


async def audit_rows(db: Database) -> list[Any]:
    return await db.fetch(f"SELECT {', '.join(COLUMNS)} FROM audit_logs ORDER BY id")


async def user_ids(db: Database) -> list[int]:
    return [r["user_id"] for r in await db.fetch("SELECT user_id FROM audit_logs ORDER BY user_id")]


# --- writing ---------------------------------------------------------------------------------
async def test_records_land_with_the_right_columns(db: Database) -> None:
    tracker = CommandTracker(db)
    before = datetime.now(UTC)
    assert tracker.record(111, 7, "ping", "slash", True)
    assert tracker.record(None, 8, "help", "text", False, "Forbidden: missing permissions")
    assert tracker.record(0, 9, "remind", "slash", False, "x" * 5000)
    assert tracker.record(111, 10, "echo", "text", False, "bad\x00byte")
    recorded = datetime.now(UTC)
    await asyncio.sleep(0.2)  # the write happens later: created_at must not be its time
    await tracker.start()
    assert await tracker.stop() == 0

    rows = await audit_rows(db)
    assert [tuple(r)[:5] for r in rows] == [
        (111, 7, "ping", "slash", True),
        (0, 8, "help", "text", False),
        (0, 9, "remind", "slash", False),
        (111, 10, "echo", "text", False),
    ]
    assert rows[0]["error_message"] is None
    assert rows[1]["error_message"] == "Forbidden: missing permissions"
    assert len(rows[2]["error_message"]) == ERROR_MESSAGE_LIMIT and rows[2]["error_message"].endswith("…")
    assert rows[3]["error_message"] == "bad\ufffdbyte"
    for row in rows:
        assert before <= row["created_at"] <= recorded
    stats = tracker.stats()
    assert (stats.written, stats.queued, stats.dropped, stats.rejected) == (4, 0, 0, 0)
    assert stats.last_flush_at is not None and stats.last_error is None


async def test_record_never_touches_the_database(db: Database) -> None:
    assert not inspect.iscoroutinefunction(CommandTracker.record)
    # A database that was never opened: any access would raise.
    offline = CommandTracker(Database("postgresql://nobody@127.0.0.1:1/none"))
    assert all(offline.record(1, i, "ping", "slash", True) for i in range(1000))
    assert offline.queued == 1000

    # The tracker pool exhausted: recording still returns at once, and rows wait.
    tracker = CommandTracker(db, flush_interval=0.01)
    held = [await db.tracker_pool.acquire() for _ in range(db.tracker_size)]
    try:
        await tracker.start()
        for i in range(50):
            tracker.record(1, i, "ping", "slash", True)
        await asyncio.sleep(0.1)
        assert tracker.queued == 50
        assert await db.fetchval("SELECT count(*) FROM audit_logs") == 0
    finally:
        for conn in held:
            await db.tracker_pool.release(conn)
    await eventually(lambda: tracker.queued == 0, "rows written once a connection is free")
    assert await user_ids(db) == list(range(50))
    await tracker.stop()


async def test_invalid_command_type_is_refused_at_record_time(db: Database) -> None:
    tracker = CommandTracker(db)
    with pytest.raises(ValueError, match="command_type"):
        tracker.record(1, 2, "ping", "context_menu", True)
    assert tracker.queued == 0


async def test_batch_is_written_when_full(db: Database) -> None:
    tracker = CommandTracker(db, flush_interval=3600, batch_size=100)
    await tracker.start()
    for i in range(99):
        tracker.record(5, i, "ping", "slash", True)
    await asyncio.sleep(0.1)
    assert tracker.stats().written == 0  # the interval is an hour: nothing yet
    tracker.record(5, 99, "ping", "slash", True)
    await eventually(lambda: tracker.stats().written == 100, "a full batch written")
    tracker.record(5, 100, "ping", "slash", True)
    await asyncio.sleep(0.1)
    assert tracker.queued == 1  # a partial batch waits for the interval (or stop)
    assert await tracker.stop() == 0
    assert await user_ids(db) == list(range(101))


async def test_batch_is_written_on_interval(db: Database) -> None:
    tracker = CommandTracker(db, flush_interval=0.05, batch_size=10_000)
    await tracker.start()
    for i in range(3):
        tracker.record(5, i, "ping", "slash", True)
    await eventually(lambda: tracker.stats().written == 3, "a partial batch written on the interval")
    assert await user_ids(db) == [0, 1, 2]
    await tracker.stop()


async def test_from_config(db: Database) -> None:
    config = Config(tracker_flush_interval=2.5, tracker_batch_size=42, tracker_backlog_limit=1234)
    tracker = CommandTracker.from_config(db, config)
    assert (tracker.flush_interval, tracker.batch_size, tracker.backlog_limit) == (2.5, 42, 1234)


# --- failures -----------------------------------------------------------------------------------
async def test_database_outage_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alphapy.db.embedded import EmbeddedPostgres
    from alphapy.db.migrate import MigrationRunner, core_source

    # EmbeddedPostgres sets XDG_RUNTIME_DIR if unset: keep that inside this test.
    monkeypatch.setenv("XDG_RUNTIME_DIR", os.environ.get("XDG_RUNTIME_DIR", str(tmp_path / "run")))
    server = EmbeddedPostgres(tmp_path)
    url = server.start()
    db = None
    tracker = None
    try:
        MigrationRunner(url, [core_source()]).apply()
        db = await Database(url, min_size=1, max_size=2, tracker_size=1, connect_timeout=5).open()
        tracker = CommandTracker(db, flush_interval=0.02, batch_size=50, **FAST_RETRY)
        await tracker.start()
        for i in range(300):
            tracker.record(1, i, "ping", "slash", True)
        await eventually(lambda: tracker.stats().written == 300, "rows written while the server is up")

        server.stop()
        for i in range(300, 600):
            tracker.record(1, i, "ping", "slash", True)
        await eventually(lambda: tracker.stats().write_failures >= 2, "the writer failing during the outage")
        for i in range(600, 900):
            tracker.record(2, i, "help", "text", False, "boom")
        assert tracker.stats().written == 300 and tracker.queued == 600
        assert tracker.stats().last_error is not None

        assert server.start() == url
        await eventually(lambda: tracker.queued == 0, "the backlog written after the outage")
        assert await tracker.stop() == 0
        stats = tracker.stats()
        assert (stats.written, stats.dropped, stats.rejected) == (900, 0, 0)
        assert stats.consecutive_failures == 0
        assert await user_ids(db) == list(range(900))  # every row, exactly once
    finally:
        if tracker is not None:
            await tracker.stop(timeout=1)
        if db is not None:
            await db.close(timeout=1)
        server.stop()


@pytest.fixture
async def table_away(db: Database) -> Any:
    """Make every write fail (the table is missing) until the returned coroutine runs."""
    await db.execute("ALTER TABLE audit_logs RENAME TO audit_logs_away")
    restored = False

    async def restore() -> None:
        nonlocal restored
        if not restored:
            await db.execute("ALTER TABLE audit_logs_away RENAME TO audit_logs")
            restored = True

    yield restore
    await restore()


async def test_full_backlog_drops_new_rows_counts_and_logs_them(
    db: Database, table_away: Any, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    tracker = CommandTracker(db, flush_interval=0.02, batch_size=10, backlog_limit=50, **FAST_RETRY)
    await tracker.start()
    accepted = [tracker.record(3, i, "ping", "slash", True) for i in range(80)]
    assert accepted == [True] * 50 + [False] * 30
    assert tracker.stats().dropped == 30 and tracker.queued == 50

    await eventually(
        lambda: any(e["event"] == "tracking.rows_dropped" for e in log_lines()), "a log event for the drops"
    )
    dropped_event = next(e for e in log_lines() if e["event"] == "tracking.rows_dropped")
    assert dropped_event["dropped_total"] == 30 and dropped_event["level"] == "warning"
    failed = [e for e in log_lines() if e["event"] == "tracking.write_failed"]
    assert failed and "audit_logs" in failed[0]["error"]

    await table_away()
    await eventually(lambda: tracker.queued == 0, "the kept rows written once the table is back")
    assert await tracker.stop() == 0
    assert await user_ids(db) == list(range(50))  # the oldest 50 kept, the newest 30 dropped
    assert tracker.stats().dropped == 30
    assert any(e["event"] == "tracking.write_recovered" for e in log_lines())


async def test_rows_the_database_refuses_do_not_block_the_others(
    db: Database, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    tracker = CommandTracker(db)
    for i in range(20):
        tracker.record(4, i, "ping", "slash", True)
    tracker.record(4, 2**70, "overflow", "slash", True)  # refused by the client encoder
    tracker.record(4, 99, "nul\x00name", "slash", True)  # refused by the server
    for i in range(20, 40):
        tracker.record(4, i, "ping", "slash", True)
    await tracker.start()
    assert await tracker.stop() == 0
    assert await user_ids(db) == list(range(40))
    assert tracker.stats().rejected == 2 and tracker.stats().written == 40
    rejected = [e for e in log_lines() if e["event"] == "tracking.row_rejected"]
    assert sorted(e["command_name"] for e in rejected) == ["nul\x00name", "overflow"]


async def _open_transaction_with(url: str, rows: list[tuple[Any, ...]]) -> tuple[Any, str]:
    """A separate session that inserted ``rows`` inside a still-open transaction."""
    conn = await connect(url)
    await conn.execute("BEGIN")
    xid = await conn.fetchval("SELECT pg_current_xact_id()::text")
    await conn.copy_records_to_table("audit_logs", records=rows, columns=COLUMNS)
    return conn, xid


async def test_unanswered_commit_that_did_commit_is_not_resent(db: Database, migrated_database_url: str) -> None:
    # The state a lost COMMIT answer leaves (white-box: set directly, the race is not
    # reproducible on demand): the first 3 queued rows were in fact committed.
    tracker = CommandTracker(db, **FAST_RETRY)
    for i in range(5):
        tracker.record(6, i, "ping", "slash", True)
    conn, xid = await _open_transaction_with(migrated_database_url, list(tracker._queue)[:3])
    pid = conn.get_server_pid()
    await conn.execute("COMMIT")
    await conn.close()
    tracker._unconfirmed = (xid, pid, 3)
    await tracker.start()
    assert await tracker.stop() == 0
    assert await user_ids(db) == [0, 1, 2, 3, 4]
    assert tracker.stats().written == 5


async def test_unanswered_commit_still_open_is_ended_then_resent(db: Database, migrated_database_url: str) -> None:
    # The COMMIT never reached the server and its session still holds the transaction:
    # the tracker ends that session (the rows roll back) and writes the rows itself.
    tracker = CommandTracker(db, **FAST_RETRY)
    for i in range(5):
        tracker.record(6, i, "ping", "slash", True)
    conn, xid = await _open_transaction_with(migrated_database_url, list(tracker._queue)[:3])
    tracker._unconfirmed = (xid, conn.get_server_pid(), 3)
    try:
        await tracker.start()
        assert await tracker.stop() == 0
    finally:
        conn.terminate()
    assert await user_ids(db) == [0, 1, 2, 3, 4]
    assert tracker.stats().write_failures >= 1  # one round waited for the outcome


# --- stopping -------------------------------------------------------------------------------------
async def test_stop_flushes_everything(db: Database) -> None:
    tracker = CommandTracker(db, flush_interval=3600, batch_size=100_000)
    await tracker.start()
    for i in range(25_000):
        tracker.record(i % 3, i, f"cmd{i % 7}", "slash", i % 5 != 0)
    assert await tracker.stop() == 0
    assert not tracker.running
    assert await db.fetchval("SELECT count(*), count(DISTINCT user_id) FROM audit_logs") == 25_000
    assert (tracker.stats().written, tracker.stats().queued) == (25_000, 0)


async def test_stop_without_start_still_flushes(db: Database) -> None:
    tracker = CommandTracker(db)
    tracker.record(1, 1, "ping", "slash", True)
    assert await tracker.stop() == 0
    assert await user_ids(db) == [1]


async def test_stop_reports_what_it_could_not_write(
    db: Database, table_away: Any, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    tracker = CommandTracker(db, **FAST_RETRY)
    await tracker.start()
    for i in range(10):
        tracker.record(1, i, "ping", "slash", True)
    assert await tracker.stop(timeout=0.3) == 10
    event = next(e for e in log_lines() if e["event"] == "tracking.stop_incomplete")
    assert event["rows_not_written"] == 10 and event["level"] == "error"
    # The rows are still queued: a later start (the database back) writes them.
    await table_away()
    assert await tracker.stop() == 0
    assert await user_ids(db) == list(range(10))


# --- reading ----------------------------------------------------------------------------------------
GUILD_A, GUILD_B = 1001, 2002


async def _insert(db: Database, rows: list[tuple[Any, ...]]) -> None:
    async with db.tracker_pool.acquire() as conn:
        await conn.copy_records_to_table("audit_logs", records=rows, columns=COLUMNS)


async def test_usage_and_counts_on_a_known_data_set(db: Database) -> None:
    now = datetime.now(UTC)
    recent, old = now - timedelta(hours=1), now - timedelta(days=3)
    rows = (
        # guild A, in the window: ping x5 (4 ok), help x3 (3 ok), ban x1 (failed)
        [(GUILD_A, 10, "ping", "slash", True, None, recent)] * 3
        + [(GUILD_A, 11, "ping", "slash", True, None, recent)]
        + [(GUILD_A, 12, "ping", "slash", False, "boom", recent)]
        + [(GUILD_A, 11, "help", "text", True, None, recent)] * 3
        + [(GUILD_A, 12, "ban", "slash", False, "forbidden", recent)]
        # guild A, before the window
        + [(GUILD_A, 13, "ping", "slash", True, None, old)] * 50
        # guild B, in the window: must never show in A's figures
        + [(GUILD_B, 10, "ping", "slash", True, None, recent)] * 20
        + [(GUILD_B, 99, "secret", "slash", True, None, recent)] * 7
        # DMs
        + [(0, 10, "help", "slash", True, None, recent)] * 2
    )
    await _insert(db, rows)
    tracker = CommandTracker(db)
    since = now - timedelta(days=1)

    report = await tracker.usage(GUILD_A, since)
    assert report.guild_id == GUILD_A and report.since == since
    assert report.commands == (
        CommandUsage("ping", 5, 4),
        CommandUsage("help", 3, 3),
        CommandUsage("ban", 1, 0),
    )
    assert [c.success_rate for c in report.commands] == [0.8, 1.0, 0.0]
    assert report.commands[0].failures == 1
    assert (report.total, report.successes) == (9, 7)
    assert report.success_rate == pytest.approx(7 / 9)
    assert report.top_users == (UserUsage(11, 4), UserUsage(10, 3), UserUsage(12, 2))
    assert (await tracker.usage(GUILD_A, since, top=1)).top_users == (UserUsage(11, 4),)

    wide = await tracker.usage(GUILD_A, timedelta(days=7))  # a timedelta reads back from now
    assert wide.total == 59 and wide.top_users[0] == UserUsage(13, 50)

    b = await tracker.usage(GUILD_B, since)
    assert b.total == 27 and {c.command_name for c in b.commands} == {"ping", "secret"}
    dms = await tracker.usage(None, since)
    assert dms.guild_id == 0 and dms.commands == (CommandUsage("help", 2, 2),)

    empty = await tracker.usage(3003, since)
    assert (empty.total, empty.commands, empty.top_users, empty.success_rate) == (0, (), (), None)

    assert await tracker.count_since(since, guild_id=GUILD_A) == 9
    assert await tracker.count_since(since, guild_id=GUILD_B) == 27
    assert await tracker.count_since(since, guild_id=0) == 2
    assert await tracker.count_since(since) == 9 + 27 + 2
    assert await tracker.count_since(timedelta(days=7)) == 9 + 27 + 2 + 50
    assert await tracker.count_since(now + timedelta(minutes=1)) == 0


async def test_reads_on_an_empty_table(db: Database) -> None:
    tracker = CommandTracker(db)
    assert await tracker.count_since(timedelta(hours=24)) == 0
    assert (await tracker.usage(1, timedelta(hours=24))).total == 0


async def test_read_queries_use_the_audit_indexes(db: Database) -> None:
    now = datetime.now(UTC)
    rows = [
        (g, u, f"cmd{(g + u) % 20}", "slash", True, None, now - timedelta(minutes=(g * 7919 + u * 104729) % 43200))
        for g in range(1, 11)
        for u in range(3000)
    ]
    await _insert(db, rows)
    await db.execute("VACUUM ANALYZE audit_logs")
    since = now - timedelta(hours=6)

    async def plan(sql: str, *args: Any) -> str:
        return "\n".join(r[0] for r in await db.fetch("EXPLAIN " + sql, *args))

    for sql, args in (
        (USAGE_BY_COMMAND_SQL, (3, since)),
        (USAGE_TOP_USERS_SQL, (3, since, 10)),
        (COUNT_GUILD_SQL, (3, since)),
    ):
        text = await plan(sql, *args)
        assert "idx_audit_logs_guild_created" in text and "Seq Scan" not in text, text
    text = await plan(COUNT_ALL_SQL, since)
    assert "idx_audit_logs_command" in text and "Seq Scan" not in text, text
    text = await plan(RETENTION_SQL, "core", "audit_retention_days", 1e6, 10_000)
    assert "idx_audit_logs_guild_created" in text and "Seq Scan on audit_logs" not in text, text


# --- retention -----------------------------------------------------------------------------------------
async def test_retention_deletes_only_old_rows_of_guilds_that_set_it(db: Database) -> None:
    now = datetime.now(UTC)
    ages = (1, 10, 40, 400)
    rows = [
        (guild, guild * 1000 + age, "ping", "slash", True, None, now - timedelta(days=age, hours=1))
        for guild in (1, 2, 3, 4, 5)
        for age in ages
    ]
    await _insert(db, rows)
    settings = [
        (1, 30),  # keep 30 days
        (2, 7),  # keep 7 days
        (4, "30"),  # not a number: ignored (keep forever)
        (5, 0),  # zero: keep forever
    ]  # guild 3 never set it
    for guild, value in settings:
        await db.execute(
            "INSERT INTO bot_settings (guild_id, scope, key, value, value_type) VALUES ($1, 'core', 'audit_retention_days', $2, 'int')",
            guild,
            value,
        )
    # A same-named key in another scope must not count.
    await db.execute(
        "INSERT INTO bot_settings (guild_id, scope, key, value) VALUES (3, 'other', 'audit_retention_days', '1')"
    )
    tracker = CommandTracker(db)

    assert await tracker.apply_retention(batch=2) == 2 + 3  # several bounded batches
    left = {(r["guild_id"], r["user_id"] % 1000) for r in await db.fetch("SELECT guild_id, user_id FROM audit_logs")}
    expected = {(g, age) for g in (1, 2, 3, 4, 5) for age in ages} - {(1, 40), (1, 400), (2, 10), (2, 40), (2, 400)}
    assert left == expected
    assert await tracker.apply_retention() == 0
