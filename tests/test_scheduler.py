"""The scheduler: periodic tasks, and the due-work loop against real PostgreSQL.

Nothing here asserts on timing: tests wait (with generous hang guards) for a state, then
assert on counts, ordering and rows. "It slept rather than polled" is proven by a huge
``poll_interval`` and a count of claim queries.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from alphapy.config import load_config
from alphapy.db import Database
from alphapy.db.pool import connect
from alphapy.log import configure_logging
from alphapy.scheduler import DueWork, Scheduler, jittered, notify_due, shard_of

WORKER = Path(__file__).resolve().parent / "scheduler_worker.py"
CHANNEL = "due_items_due"
HOUR = 3600.0

DUE_TABLE = """
    CREATE TABLE due_items (
        id SERIAL PRIMARY KEY,
        guild_id BIGINT NOT NULL,
        due_at TIMESTAMPTZ NOT NULL,
        claimed_at TIMESTAMPTZ,
        claimed_by TEXT
    );
    CREATE INDEX due_items_due ON due_items (due_at) WHERE claimed_at IS NULL;
    CREATE TABLE claims (item_id INT NOT NULL, worker TEXT NOT NULL);
"""

# At-most-once: a claimed row is never claimed again.
CLAIM = """
    UPDATE due_items SET claimed_at = now(), claimed_by = $5
     WHERE id IN (
           SELECT id FROM due_items
            WHERE due_at <= $1 AND claimed_at IS NULL
              AND ((guild_id >> 22) % $2) = ANY($3::int[])
            ORDER BY due_at
              FOR UPDATE SKIP LOCKED
            LIMIT $4)
    RETURNING id, guild_id, due_at
"""
NEXT_DUE = """
    SELECT min(due_at) FROM due_items
     WHERE claimed_at IS NULL AND ((guild_id >> 22) % $1) = ANY($2::int[])
"""

# At-least-once with a lease: a claimed row that was not finished is claimable again.
LEASE_CLAIM = """
    UPDATE due_items SET claimed_at = now(), claimed_by = $5
     WHERE id IN (
           SELECT id FROM due_items
            WHERE due_at <= $1
              AND (claimed_at IS NULL OR claimed_at <= now() - $6::interval)
              AND ((guild_id >> 22) % $2) = ANY($3::int[])
            ORDER BY due_at
              FOR UPDATE SKIP LOCKED
            LIMIT $4)
    RETURNING id, guild_id, due_at
"""
LEASE_NEXT_DUE = """
    SELECT least(
           (SELECT min(due_at) FROM due_items
             WHERE claimed_at IS NULL AND ((guild_id >> 22) % $1) = ANY($2::int[])),
           (SELECT min(claimed_at) FROM due_items
             WHERE claimed_at IS NOT NULL AND ((guild_id >> 22) % $1) = ANY($2::int[])) + $3::interval)
"""


async def eventually(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> None:
    """Wait for ``predicate()`` (sync or async) to be true; a hang guard, not a timing test."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = predicate()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def guild_on_shard(shard: int, shard_count: int, n: int = 0) -> int:
    """A realistic snowflake whose shard is ``shard``."""
    return ((1_000_000 + n) * shard_count + shard) << 22 | (n * 7919) & 0x3FFFFF


@pytest_asyncio.fixture
async def due_db(db: Database) -> Database:
    await db.execute(DUE_TABLE)
    return db


class Items:
    """A plugin's store and handler over ``due_items``, counting its queries."""

    def __init__(self, db: Database, name: str = "worker", *, lease: float | None = None) -> None:
        self.db = db
        self.name = name
        self.lease = timedelta(seconds=lease) if lease is not None else None
        self.handled: list[int] = []
        self.batches: list[list[int]] = []
        self.fail_batches = 0  # make this many next handle calls raise
        self.claim_calls = 0

    async def claim(self, conn: Any, now: datetime, shard_count: int, shard_ids: list[int], limit: int) -> list[Any]:
        self.claim_calls += 1
        if self.lease is None:
            return await conn.fetch(CLAIM, now, shard_count, shard_ids, limit, self.name)
        return await conn.fetch(LEASE_CLAIM, now, shard_count, shard_ids, limit, self.name, self.lease)

    async def next_due(self, conn: Any, shard_count: int, shard_ids: list[int]) -> datetime | None:
        if self.lease is None:
            return await conn.fetchval(NEXT_DUE, shard_count, shard_ids)
        return await conn.fetchval(LEASE_NEXT_DUE, shard_count, shard_ids, self.lease)

    async def handle(self, rows: list[Any]) -> None:
        ids = [r["id"] for r in rows]
        self.batches.append(ids)
        if self.fail_batches:
            self.fail_batches -= 1
            raise RuntimeError(f"cannot send {ids}")
        self.handled.extend(ids)
        await self.db.execute("DELETE FROM due_items WHERE id = ANY($1::int[])", ids)

    def work(self, **kwargs: Any) -> DueWork:
        kwargs.setdefault("channel", CHANNEL)
        kwargs.setdefault("poll_interval", HOUR)
        return DueWork("items", claim=self.claim, next_due=self.next_due, handle=self.handle, **kwargs)


async def insert_item(db: Any, guild_id: int = 1 << 22, due_in: float = 0.0) -> int:
    return await db.fetchval(
        "INSERT INTO due_items (guild_id, due_at) VALUES ($1, now() + $2::interval) RETURNING id",
        guild_id, timedelta(seconds=due_in),
    )


def sleeping(scheduler: Scheduler, name: str = "items") -> Callable[[], bool]:
    return lambda: scheduler.due_stats(name).state == "sleeping"


# ---------------------------------------------------------------------------------------
# Pure helpers and construction
# ---------------------------------------------------------------------------------------


async def test_shard_of_matches_discord_formula_and_sql(db: Database) -> None:
    assert shard_of(0, 1) == 0
    assert shard_of(1 << 22, 2) == 1
    assert shard_of((1 << 22) - 1, 2) == 0
    rng = random.Random(7)
    ids = [rng.randrange(1 << 40, 1 << 62) for _ in range(200)]
    for count in (1, 2, 3, 16, 97):
        in_sql = await db.fetch(
            "SELECT g, ((g >> 22) % $2)::int AS shard FROM unnest($1::bigint[]) AS g", ids, count
        )
        assert [r["shard"] for r in in_sql] == [shard_of(g, count) for g in ids]
    assert all(shard_of(guild_on_shard(s, 5, n), 5) == s for s in range(5) for n in range(10))
    with pytest.raises(ValueError):
        shard_of(1, 0)


def test_jitter_adds_a_bounded_random_fraction() -> None:
    rng = random.Random(1)
    samples = [jittered(10.0, 0.1, rng) for _ in range(1000)]
    assert all(10.0 <= s <= 11.0 for s in samples)
    assert len(set(samples)) > 900  # spread, not lockstep
    assert jittered(10.0, 0.0, rng) == 10.0


def test_construction_and_config() -> None:
    config = load_config(_env_file=None, shard_count=4, shard_ids=[3, 1])
    scheduler = Scheduler.from_config(object(), config)
    assert (scheduler.shard_count, scheduler.shard_ids) == (4, [1, 3])
    assert scheduler.owns_guild(guild_on_shard(1, 4)) and not scheduler.owns_guild(guild_on_shard(2, 4))
    unsharded = Scheduler.from_config(object(), load_config(_env_file=None))
    assert (unsharded.shard_count, unsharded.shard_ids) == (1, [0])
    with pytest.raises(ValueError):
        Scheduler(object(), shard_count=2, shard_ids=[2])
    with pytest.raises(ValueError):
        Scheduler(object(), shard_count=2, shard_ids=[])

    async def noop() -> None:
        return None

    scheduler.every("x", 1, noop)
    with pytest.raises(ValueError, match="already registered"):
        scheduler.every("x", 1, noop)
    with pytest.raises(ValueError):
        scheduler.every("y", 0, noop)
    with pytest.raises(ValueError):
        scheduler.every("y", 1, noop, jitter=2)
    with pytest.raises(ValueError):
        DueWork("w", claim=noop, next_due=noop, handle=noop, batch_size=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        DueWork("w", claim=noop, next_due=noop, handle=noop, channel="c" * 64)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Periodic tasks
# ---------------------------------------------------------------------------------------


async def test_periodic_task_runs_repeatedly_and_reports_stats() -> None:
    scheduler = Scheduler(object())
    calls: list[int] = []

    async def tick() -> None:
        calls.append(len(calls))

    scheduler.every("tick", 0.05, tick)
    await scheduler.start()
    try:
        await eventually(lambda: len(calls) >= 4, what="four runs")
    finally:
        await scheduler.stop()
    stats = scheduler.task_stats("tick")
    assert stats.runs == len(calls) and stats.failures == 0 and stats.last_error is None
    assert stats.last_duration is not None and stats.last_success_at is not None
    exported = scheduler.stats()["tasks"]["tick"]
    assert exported["runs"] == len(calls) and exported["interval"] == 0.05


async def test_run_at_start_and_adding_after_start() -> None:
    scheduler = Scheduler(object())
    seen: list[str] = []

    async def first() -> None:
        seen.append("first")

    async def late() -> None:
        seen.append("late")

    scheduler.every("first", HOUR, first, run_at_start=True)
    await scheduler.start()
    try:
        await eventually(lambda: "first" in seen, what="the run at start")
        scheduler.every("late", 0.05, late)  # registered after start: starts at once
        await eventually(lambda: seen.count("late") >= 2, what="the late task")
    finally:
        await scheduler.stop()
    assert seen.count("first") == 1  # the next run is an hour away


async def test_periodic_task_survives_exceptions_and_logs_its_name() -> None:
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    scheduler = Scheduler(object())
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError(f"boom {calls}")

    scheduler.every("flaky", 0.05, flaky)
    try:
        await scheduler.start()
        await eventually(lambda: calls >= 4, what="runs after the failures")
        await scheduler.stop()
    finally:
        configure_logging("info", "json")
    stats = scheduler.task_stats("flaky")
    assert stats.failures == 2 and stats.runs == calls
    assert stats.last_error == "RuntimeError: boom 2"
    failed = [json.loads(line) for line in stream.getvalue().splitlines() if "task_failed" in line]
    assert [e["task"] for e in failed] == ["flaky", "flaky"]
    assert all("RuntimeError: boom" in e["exception"] for e in failed)


async def test_periodic_timeout_is_a_failure_and_the_task_goes_on() -> None:
    scheduler = Scheduler(object())
    calls = 0

    async def sometimes_stuck() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(HOUR)

    scheduler.every("stuck", 0.05, sometimes_stuck, timeout=0.1)
    await scheduler.start()
    try:
        await eventually(lambda: calls >= 3, what="runs after the timeout")
    finally:
        await scheduler.stop()
    stats = scheduler.task_stats("stuck")
    assert stats.failures == 1 and stats.last_error == "timed out after 0.1 s"


async def test_a_slow_run_never_overlaps_itself() -> None:
    scheduler = Scheduler(object())
    active = 0
    most = 0
    order: list[str] = []

    async def slow() -> None:
        nonlocal active, most
        active += 1
        most = max(most, active)
        order.append("start")
        await asyncio.sleep(0.15)  # three times the interval
        order.append("end")
        active -= 1

    scheduler.every("slow", 0.05, slow)
    await scheduler.start()
    try:
        await eventually(lambda: order.count("end") >= 3, what="three slow runs")
    finally:
        await scheduler.stop()
    assert most == 1
    completed = order[: 2 * order.count("end")]
    assert completed == ["start", "end"] * order.count("end")
    assert scheduler.task_stats("slow").overruns >= 2


async def test_stop_cancels_idle_and_stuck_runs_cleanly() -> None:
    scheduler = Scheduler(object())
    events: list[str] = []
    fast_calls = 0

    async def stuck() -> None:
        events.append("stuck started")
        try:
            await asyncio.sleep(HOUR)
        except asyncio.CancelledError:
            events.append("stuck cancelled")
            raise

    async def fast() -> None:
        nonlocal fast_calls
        fast_calls += 1

    async def idle() -> None:
        events.append("idle ran")

    scheduler.every("stuck", HOUR, stuck, run_at_start=True)
    scheduler.every("fast", 0.02, fast)
    scheduler.every("idle", HOUR, idle)
    await scheduler.start()
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith("scheduler:")]
    assert len(tasks) == 3
    await eventually(lambda: "stuck started" in events and fast_calls >= 2, what="tasks running")
    await scheduler.stop(timeout=0.1)
    assert events == ["stuck started", "stuck cancelled"]
    assert all(t.done() for t in tasks)
    assert not scheduler.running
    assert scheduler.task_stats("stuck").runs == 0  # a cancelled run is not a run
    assert not scheduler.task_stats("stuck").running
    after_stop = fast_calls
    await asyncio.sleep(0.2)
    assert fast_calls == after_stop  # nothing runs after stop
    await scheduler.stop()  # idempotent


async def test_stop_lets_a_run_in_progress_finish() -> None:
    scheduler = Scheduler(object())
    events: list[str] = []
    started = asyncio.Event()

    async def job() -> None:
        started.set()
        await asyncio.sleep(0.2)
        events.append("finished")

    scheduler.every("job", HOUR, job, run_at_start=True)
    await scheduler.start()
    await asyncio.wait_for(started.wait(), 30)
    await scheduler.stop(timeout=30)
    assert events == ["finished"]
    assert scheduler.task_stats("job").runs == 1


async def test_a_task_may_stop_its_own_scheduler() -> None:
    scheduler = Scheduler(object())
    calls = 0
    stopped = asyncio.Event()

    async def last_one() -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            await scheduler.stop()
            stopped.set()

    scheduler.every("last", 0.02, last_one)
    scheduler.every("other", HOUR, last_one)
    await scheduler.start()
    await asyncio.wait_for(stopped.wait(), 30)
    await asyncio.sleep(0.1)
    assert calls == 2 and not scheduler.running
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("scheduler:")]


# ---------------------------------------------------------------------------------------
# Due work
# ---------------------------------------------------------------------------------------


async def test_due_rows_are_handled_when_due_by_sleeping_not_polling(due_db: Database) -> None:
    items = Items(due_db)
    later = await insert_item(due_db, due_in=1.2)
    soon = await insert_item(due_db, due_in=0.6)
    scheduler = Scheduler(due_db)
    scheduler.add_due_work(items.work(channel=None, poll_interval=HOUR))
    async with scheduler:
        await eventually(lambda: len(items.handled) == 2, what="both rows handled")
        await eventually(sleeping(scheduler), what="the loop to sleep again")
        stats = scheduler.due_stats("items")
    assert items.handled == [soon, later]
    # An hour-long poll interval, yet both rows were handled: the loop slept until each
    # due time. Claims: one at start, one per due time (plus, rarely, one per early wake).
    assert items.claim_calls == stats.claims
    assert stats.claims <= 5, stats
    assert stats.claimed == 2 and stats.next_due is None
    # Nothing was claimed before it was due (one clock: PostgreSQL's and ours are the machine's).
    assert await due_db.fetchval("SELECT count(*) FROM due_items") == 0


async def test_rows_are_claimed_no_earlier_than_due(due_db: Database) -> None:
    claimed_early: list[Any] = []

    async def handle(rows: list[Any]) -> None:
        async with due_db.acquire() as conn:
            for r in rows:
                row = await conn.fetchrow("SELECT due_at, claimed_at FROM due_items WHERE id = $1", r["id"])
                if row["claimed_at"] < row["due_at"]:
                    claimed_early.append(row)

    items = Items(due_db)
    for delay in (0.3, 0.5, 0.7):
        await insert_item(due_db, due_in=delay)
    scheduler = Scheduler(due_db)
    scheduler.add_due_work(DueWork("items", claim=items.claim, next_due=items.next_due, handle=handle))
    async with scheduler:
        await eventually(lambda: scheduler.due_stats("items").claimed == 3, what="three claims")
    assert claimed_early == []


async def test_notify_wakes_the_loop_for_an_earlier_row(due_db: Database) -> None:
    items = Items(due_db)
    far = await insert_item(due_db, due_in=HOUR)
    scheduler = Scheduler(due_db)
    scheduler.add_due_work(items.work(poll_interval=HOUR))
    async with scheduler:
        await eventually(sleeping(scheduler), what="the loop to sleep until the far row")
        far_due = await due_db.fetchval("SELECT due_at FROM due_items WHERE id = $1", far)
        assert scheduler.due_stats("items").next_due == far_due
        claims_before = items.claim_calls
        async with due_db.transaction() as conn:
            near = await insert_item(conn)
            await notify_due(conn, CHANNEL)  # delivered at commit
        await eventually(lambda: items.handled == [near], what="the notified row")
        await eventually(sleeping(scheduler), what="the loop to sleep again")
        stats = scheduler.due_stats("items")
    assert stats.wakeups >= 1 and scheduler.listener.notifications >= 1
    assert items.claim_calls - claims_before <= 3
    assert await due_db.fetchval("SELECT id FROM due_items") == far  # still waiting


async def test_only_rows_of_this_process_shards_are_claimed(due_db: Database) -> None:
    rows = {0: [], 1: []}
    for n in range(20):
        for shard in (0, 1):
            guild = guild_on_shard(shard, 2, n)
            assert (guild >> 22) % 2 == shard
            rows[shard].append(await insert_item(due_db, guild_id=guild))

    odd = Items(due_db, "odd")
    scheduler = Scheduler(due_db, shard_count=2, shard_ids=[1])
    scheduler.add_due_work(odd.work(batch_size=7))
    async with scheduler:
        await eventually(lambda: len(odd.handled) == 20, what="shard 1 rows")
        await eventually(sleeping(scheduler), what="the loop to sleep")
        assert scheduler.due_stats("items").next_due is None  # nothing else of its shards
    assert sorted(odd.handled) == sorted(rows[1])
    assert all(len(b) <= 7 for b in odd.batches)
    left = await due_db.fetch("SELECT id, guild_id, claimed_at FROM due_items ORDER BY id")
    assert [r["id"] for r in left] == rows[0]
    assert all(r["claimed_at"] is None and shard_of(r["guild_id"], 2) == 0 for r in left)

    # The process serving shard 0 takes the rest, the other one none of it.
    even = Items(due_db, "even")
    odd_again = Items(due_db, "odd")
    s0 = Scheduler(due_db, shard_count=2, shard_ids=[0])
    s1 = Scheduler(due_db, shard_count=2, shard_ids=[1])
    s0.add_due_work(even.work())
    s1.add_due_work(odd_again.work())
    async with s0, s1:
        await eventually(lambda: len(even.handled) == 20, what="shard 0 rows")
    assert sorted(even.handled) == rows[0] and odd_again.handled == []


async def test_an_exception_in_handle_does_not_kill_the_loop(due_db: Database) -> None:
    items = Items(due_db)
    items.fail_batches = 1
    first = await insert_item(due_db)
    scheduler = Scheduler(due_db)
    scheduler.add_due_work(items.work())
    async with scheduler:
        await eventually(lambda: scheduler.due_stats("items").failures == 1, what="the failing batch")
        await eventually(sleeping(scheduler), what="the loop to sleep")
        second = await insert_item(due_db)
        await notify_due(due_db, CHANNEL)
        await eventually(lambda: items.handled == [second], what="the next row")
        stats = scheduler.due_stats("items")
    assert stats.last_error == f"RuntimeError: cannot send [{first}]"
    # Without a lease the failed row stays claimed (at-most-once): never handed over again.
    row = await due_db.fetchrow("SELECT claimed_at, claimed_by FROM due_items WHERE id = $1", first)
    assert row["claimed_at"] is not None and row["claimed_by"] == "worker"
    assert items.batches == [[first], [second]]


async def test_a_lease_retries_a_failed_row_when_it_expires(due_db: Database) -> None:
    items = Items(due_db, lease=0.5)
    items.fail_batches = 1
    row = await insert_item(due_db)
    scheduler = Scheduler(due_db)
    scheduler.add_due_work(items.work(channel=None, poll_interval=HOUR))
    async with scheduler:
        # No notification, an hour of poll interval: next_due names the lease expiry.
        await eventually(lambda: items.handled == [row], what="the retried row")
        stats = scheduler.due_stats("items")
    assert items.batches == [[row], [row]]
    assert stats.failures == 1 and stats.claims <= 5


async def test_a_failing_claim_query_is_retried_with_backoff(due_db: Database) -> None:
    items = Items(due_db)
    row = await insert_item(due_db)
    broken = True

    async def claim(conn: Any, *args: Any) -> list[Any]:
        if broken:
            return await conn.fetch("SELECT * FROM no_such_table")
        return await items.claim(conn, *args)

    scheduler = Scheduler(due_db)
    scheduler.add_due_work(DueWork("items", claim=claim, next_due=items.next_due, handle=items.handle))
    async with scheduler:
        await eventually(lambda: scheduler.due_stats("items").errors >= 1, what="the failed claim")
        assert scheduler.due_stats("items").state == "backoff"
        broken = False
        await eventually(lambda: items.handled == [row], what="the row after recovery")
    assert 'relation "no_such_table" does not exist' in (scheduler.due_stats("items").last_error or "")


async def test_the_listener_survives_being_terminated(due_db: Database) -> None:
    items = Items(due_db)
    scheduler = Scheduler(due_db, reconnect_delay=0.05)
    scheduler.add_due_work(items.work(poll_interval=HOUR))
    async with scheduler:
        await eventually(sleeping(scheduler), what="the loop to sleep")
        assert scheduler.listener.connected and scheduler.listener.channels == [CHANNEL]
        # A row inserted without a notification stands for notifications missed while the
        # listener is down: only the full claim after the reconnect can find it.
        missed = await insert_item(due_db)
        terminated = await due_db.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = 'alphapy scheduler listener' AND datname = current_database()"
        )
        assert terminated == 1
        await eventually(lambda: items.handled == [missed], what="the full claim after the reconnect")
        assert scheduler.listener.reconnects == 1
        await eventually(lambda: scheduler.listener.connected, what="the listener")
        await eventually(sleeping(scheduler), what="the loop to sleep")
        # Listening again: a notification wakes the loop.
        fresh = await insert_item(due_db)
        await notify_due(due_db, CHANNEL)
        await eventually(lambda: items.handled == [missed, fresh], what="the notified row")
    assert scheduler.listener.connects == 2 and not scheduler.listener.connected


async def test_due_work_added_after_start_listens_too(due_db: Database) -> None:
    items = Items(due_db)
    scheduler = Scheduler(due_db)
    async with scheduler:
        assert scheduler.listener.connects == 0  # nothing to listen for yet
        scheduler.add_due_work(items.work(poll_interval=HOUR))
        await eventually(lambda: scheduler.listener.channels == [CHANNEL], what="LISTEN")
        await eventually(sleeping(scheduler), what="the loop to sleep")
        row = await insert_item(due_db)
        await notify_due(due_db, CHANNEL)
        await eventually(lambda: items.handled == [row], what="the notified row")
        exported = scheduler.stats()
    assert exported["due_work"]["items"]["claimed"] == 1
    assert exported["due_work"]["items"]["channel"] == CHANNEL
    assert exported["listener"]["connected"] is True


async def test_stop_waits_for_a_batch_in_progress(due_db: Database) -> None:
    started = asyncio.Event()
    finished: list[int] = []

    async def handle(rows: list[Any]) -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.extend(r["id"] for r in rows)

    items = Items(due_db)
    row = await insert_item(due_db)
    scheduler = Scheduler(due_db)
    scheduler.add_due_work(DueWork("items", claim=items.claim, next_due=items.next_due, handle=handle,
                                   channel=CHANNEL))
    await scheduler.start()
    await asyncio.wait_for(started.wait(), 30)
    await scheduler.stop(timeout=30)
    assert finished == [row]
    assert scheduler.due_stats("items").state == "stopped"
    assert await due_db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'alphapy scheduler listener'"
    ) == 0


# ---------------------------------------------------------------------------------------
# Two real processes, one table
# ---------------------------------------------------------------------------------------


def _start_worker(url: str, name: str, expected: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, name, str(expected), "50", "0.01"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "LOG_LEVEL": "warning"},
    )


async def _read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return (await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)).strip()


async def test_two_processes_claim_each_of_2000_rows_exactly_once(migrated_database_url: str) -> None:
    total = 2000
    conn = await connect(migrated_database_url)
    try:
        await conn.execute(DUE_TABLE)
        workers = [_start_worker(migrated_database_url, name, total) for name in ("alpha", "beta")]
        try:
            # Both are listening before any row exists, so they start on the same notification.
            assert [await _read_line(w) for w in workers] == ["ready", "ready"], [
                w.stderr.read() if w.poll() is not None and w.stderr else "" for w in workers
            ]
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO due_items (guild_id, due_at) "
                    "SELECT (g::bigint << 22) | g, now() - interval '1 second' FROM generate_series(1, $1) AS g",
                    total,
                )
                await notify_due(conn, CHANNEL)
            reports = [json.loads(await _read_line(w)) for w in workers]
            for w in workers:
                assert await asyncio.to_thread(w.wait, 30) == 0
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                    w.wait()
        claims = await conn.fetchrow(
            "SELECT count(*) AS n, count(DISTINCT item_id) AS items, "
            "count(*) FILTER (WHERE worker = 'alpha') AS alpha, "
            "count(*) FILTER (WHERE worker = 'beta') AS beta FROM claims"
        )
        rows = await conn.fetchrow(
            "SELECT count(*) AS n, count(*) FILTER (WHERE claimed_by IS NULL) AS unclaimed FROM due_items"
        )
        mismatched = await conn.fetchval(
            "SELECT count(*) FROM claims c JOIN due_items d ON d.id = c.item_id WHERE d.claimed_by <> c.worker"
        )
        duplicates = await conn.fetchval(
            "SELECT count(*) FROM (SELECT item_id FROM claims GROUP BY item_id HAVING count(*) > 1) AS d"
        )
    finally:
        await conn.close()
    assert rows["n"] == total and rows["unclaimed"] == 0
    assert claims["n"] == total and claims["items"] == total and duplicates == 0
    assert mismatched == 0  # each handler saw exactly the rows its own claim marked
    assert claims["alpha"] > 0 and claims["beta"] > 0, dict(claims)
    by_worker = {r["worker"]: r["claimed"] for r in reports}
    assert by_worker == {"alpha": claims["alpha"], "beta": claims["beta"]}


# ---------------------------------------------------------------------------------------
# The example in docs/scheduler.md runs as written
# ---------------------------------------------------------------------------------------


def _doc_blocks(language: str) -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "scheduler.md").read_text()
    parts = text.split(f"```{language}\n")[1:]
    return [part.split("```", 1)[0] for part in parts]


async def test_the_documented_reminders_store_works(db: Database) -> None:
    migration = next(b for b in _doc_blocks("sql") if "CREATE TABLE reminders" in b)
    store_code = next(b for b in _doc_blocks("python") if "CLAIM = " in b)
    store: dict[str, Any] = {}
    exec(compile(store_code, "docs/scheduler.md", "exec"), store)
    await db.execute(migration)

    sent: list[int] = []
    failures = 1

    async def send_batch(rows: list[Any]) -> None:
        nonlocal failures
        for row in rows:
            if failures:
                failures -= 1
                continue  # a send failed: left claimed, retried when the lease expires
            sent.append(row["id"])
            await store["done"](db, row["id"])

    now = datetime.now(timezone.utc)
    mine = await store["add"](db, guild_on_shard(1, 2), 5, "mine", now)
    theirs = await store["add"](db, guild_on_shard(0, 2), 5, "theirs", now)
    scheduler = Scheduler(db, shard_count=2, shard_ids=[1])
    scheduler.add_due_work(DueWork("reminders", claim=store["claim_due"], next_due=store["next_due"],
                                   handle=send_batch, channel=store["CHANNEL"], poll_interval=HOUR))
    async with scheduler:
        await eventually(lambda: scheduler.due_stats("reminders").claimed == 1, what="the claim")
        await eventually(sleeping(scheduler, "reminders"), what="the loop to sleep")
        # The failed row is leased for five minutes: next_due names the lease expiry.
        claimed_at = await db.fetchval("SELECT claimed_at FROM reminders WHERE id = $1", mine)
        assert scheduler.due_stats("reminders").next_due == claimed_at + timedelta(minutes=5)
        # An expired lease (moved back in time here) makes it claimable again.
        await db.execute("UPDATE reminders SET claimed_at = claimed_at - interval '6 minutes' WHERE id = $1", mine)
        await notify_due(db, store["CHANNEL"])
        await eventually(lambda: sent == [mine], what="the retried reminder")
    left = await db.fetch("SELECT id, claimed_at FROM reminders")
    assert [(r["id"], r["claimed_at"]) for r in left] == [(theirs, None)]


async def test_due_work_waits_for_the_gate(due_db: Database) -> None:
    """The bot holds due work until it is ready: before that, discord.py's cache is empty."""
    items = Items(due_db)
    await insert_item(due_db, due_in=0.0)
    gate = asyncio.Event()
    scheduler = Scheduler(due_db)
    scheduler.hold_due_work(gate)
    scheduler.add_due_work(items.work())
    async with scheduler:
        await eventually(lambda: scheduler.due_stats("items").state == "waiting", what="the loop to wait")
        await asyncio.sleep(0.2)  # a window in which an ungated loop would have claimed the row
        assert items.claim_calls == 0 and items.handled == []
        gate.set()
        await eventually(lambda: len(items.handled) == 1, what="the row handled once the gate opens")


async def test_a_task_failing_because_the_database_is_away_is_a_warning_without_traceback() -> None:
    from alphapy.db import DatabaseUnavailable

    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    scheduler = Scheduler(object())
    calls = 0

    async def away() -> None:
        nonlocal calls
        calls += 1
        raise DatabaseUnavailable("cannot reach PostgreSQL at localhost:5432: connection refused")

    scheduler.every("away", 0.05, away)
    try:
        await scheduler.start()
        await eventually(lambda: calls >= 2, what="two failed runs")
        await scheduler.stop()
    finally:
        configure_logging("info", "json")
    failed = [json.loads(line) for line in stream.getvalue().splitlines() if "task_failed" in line]
    assert len(failed) >= 2 and all(e["task"] == "away" and e["level"] == "warning" for e in failed)
    assert all(e["database_unavailable"] and "exception" not in e for e in failed)


async def test_moving_the_clock_forward_hands_over_what_became_due(due_db: Database) -> None:
    from alphapy import clock

    items = Items(due_db)
    tomorrow = await insert_item(due_db, due_in=24 * 3600)
    scheduler = Scheduler(due_db)
    scheduler.add_due_work(items.work(channel=None, poll_interval=HOUR))
    try:
        async with scheduler:
            await eventually(sleeping(scheduler), what="the loop to sleep until tomorrow")
            assert items.handled == []
            clock.advance(24 * 3600 + 1)  # the playground's "move time forward"
            scheduler.wake_due()
            await eventually(lambda: items.handled == [tomorrow], what="tomorrow's row handled now")
    finally:
        clock.reset()
