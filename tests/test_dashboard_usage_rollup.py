"""Usage from rolled-up hours: the same numbers as a direct count of audit_logs, in every
timezone (whole, half and three-quarter hour offsets, DST), after retention deletes old rows,
and with the open hour counted live; the rolled hours are kept for the next process."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alphapy.dashboard import store, usage_rollup
from alphapy.db import Database
from tests.test_dashboard_overview import GUILD, OTHER, insert_uses

ZONES = ("UTC", "Asia/Kolkata", "Asia/Kathmandu", "Europe/Amsterdam", "America/St_Johns")


async def spread_rows(db: Database, now: datetime, count: int = 3000) -> None:
    """Rows of two guilds over 33 days up to ``now`` (some in the open hour), some failed."""
    rows = [(GUILD if i % 4 else OTHER, f"cmd{i % 7}", None if i % 11 == 0 else i % 5 != 0,
             now - timedelta(seconds=(i * 7919) % (33 * 86400))) for i in range(count)]
    rows += [(GUILD, "fresh", True, now - timedelta(seconds=s)) for s in (1, 30, 200)]
    await insert_uses(db, rows)


@pytest.mark.parametrize("zone_name", ZONES)
async def test_rolled_counts_equal_a_direct_count_in_every_period(db: Database, zone_name: str) -> None:
    now = datetime.now(UTC)
    await spread_rows(db, now)
    zone = ZoneInfo(zone_name)
    for period in store.PERIODS.values():
        edges = store.bucket_edges(period, zone, now)
        direct = await store.counts(db, GUILD, edges)
        assert await usage_rollup.counts(db, GUILD, edges) == direct, period.key  # rolls up
        assert await usage_rollup.counts(db, GUILD, edges) == direct, period.key  # reads the rollup


async def test_rolled_hours_are_kept_for_every_process_and_the_open_hour_is_live(db: Database) -> None:
    now = datetime.now(UTC)
    await spread_rows(db, now)
    edges = store.bucket_edges(store.PERIODS["30d"], UTC, now)
    await usage_rollup.counts(db, GUILD, edges)
    state = await db.fetchrow("SELECT rolled_from, rolled_until FROM dashboard_usage_rollups WHERE guild_id = $1",
                              GUILD)
    assert state is not None and state["rolled_until"] == usage_rollup.floor_hour(now - usage_rollup.GRACE)
    rolled = await db.fetchval("SELECT sum(uses) FROM dashboard_usage_hours WHERE guild_id = $1", GUILD)
    direct = await db.fetchval("SELECT count(*) FROM audit_logs WHERE guild_id = $1 AND created_at >= $2 "
                               "AND created_at < $3", GUILD, state["rolled_from"], state["rolled_until"])
    assert rolled == direct > 0
    await insert_uses(db, [(GUILD, "fresh", False, datetime.now(UTC))])  # the open hour: counted on every read
    assert await usage_rollup.counts(db, GUILD, edges) == await store.counts(db, GUILD, edges)


async def test_after_retention_deletes_old_rows_the_counts_still_agree(db: Database) -> None:
    now = datetime.now(UTC)
    await spread_rows(db, now)
    edges = store.bucket_edges(store.PERIODS["30d"], ZoneInfo("Europe/Amsterdam"), now)
    await usage_rollup.counts(db, GUILD, edges)
    await db.execute("DELETE FROM audit_logs WHERE guild_id = $1 AND created_at < $2", GUILD,
                     now - timedelta(days=9, minutes=17))  # as audit retention of 9 days does
    assert await usage_rollup.counts(db, GUILD, edges) == await store.counts(db, GUILD, edges)


async def test_a_guild_without_usage_and_windows_in_the_past_count_directly(db: Database) -> None:
    long_ago = datetime(2025, 3, 30, 12, tzinfo=UTC)
    await insert_uses(db, [(GUILD, "old", True, long_ago - timedelta(hours=5))])
    edges = store.bucket_edges(store.PERIODS["7d"], ZoneInfo("Europe/Amsterdam"), long_ago)
    assert await usage_rollup.counts(db, GUILD, edges) == await store.counts(db, GUILD, edges) != {}
    assert await usage_rollup.counts(db, OTHER, edges) == {}


async def test_two_processes_rolling_the_same_guild_at_once_agree(db: Database, migrated_database_url: str) -> None:
    now = datetime.now(UTC)
    await spread_rows(db, now)
    other_process = Database(migrated_database_url, min_size=1, max_size=2, tracker_size=1)
    await other_process.open()
    try:
        edges = store.bucket_edges(store.PERIODS["30d"], ZoneInfo("Asia/Kolkata"), now)
        answers = await asyncio.gather(*(usage_rollup.counts(d, GUILD, edges) for d in (db, other_process) * 3))
    finally:
        await other_process.close()
    direct = await store.counts(db, GUILD, edges)
    assert all(answer == direct for answer in answers)
