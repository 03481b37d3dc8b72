"""The tables against the schema reference, the guarded SQL under concurrency, metrics
arithmetic on known data, /ticket stats and the operator's CLI, and data-subject requests."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alphapy_tickets import store
from alphapy_tickets.metrics import take_snapshot
from tickets_helpers import Desk

from alphapy.testing import assert_tables_match_reference

TABLES = ["support_tickets", "ticket_summaries", "ticket_metrics"]
GUILD_A = 1 << 40
GUILD_B = 2 << 40


def test_tables_match_the_reference_and_roll_back(migrated_database_url: str, plugin_manager: Any) -> None:
    from alphapy.testing import MigrationRunner

    assert_tables_match_reference(migrated_database_url, TABLES)
    runner = MigrationRunner(migrated_database_url, plugin_manager.migration_sources())
    assert runner.rollback("tickets") == ["tickets_0001_init"]
    with pytest.raises(AssertionError, match="support_tickets: table does not exist"):
        assert_tables_match_reference(migrated_database_url, TABLES)
    assert runner.apply() == ["tickets_0001_init"]
    assert_tables_match_reference(migrated_database_url, TABLES)


async def insert(db: Any, guild_id: int, status: str, created_at: datetime, closed_after: float | None = None,
                 user_id: int = 7, **extra: Any) -> int:
    closed_at = created_at + timedelta(seconds=closed_after) if closed_after is not None else None
    columns = {"guild_id": guild_id, "user_id": user_id, "username": "someone", "description": "d",
               "status": status, "created_at": created_at, "updated_at": created_at, "closed_at": closed_at,
               "channel_id": None, **extra}
    names = ", ".join(columns)
    marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return await db.fetchval(f"INSERT INTO support_tickets ({names}) VALUES ({marks}) RETURNING id", *columns.values())


async def test_metrics_arithmetic_on_known_data(db: Any) -> None:
    now = await db.fetchval("SELECT now()")
    amsterdam = ZoneInfo("Europe/Amsterdam")
    local_yesterday = (now.astimezone(amsterdam) - timedelta(days=1)).date()
    # 00:30 in Amsterdam yesterday is the day before in UTC: the daily count must use local days
    just_after_midnight = datetime.combine(local_yesterday, datetime.min.time(), amsterdam) + timedelta(minutes=30)
    created = {
        "open": now - timedelta(hours=1),
        "closed": just_after_midnight,
        "archived": now - timedelta(days=3),
        "claimed": now - timedelta(days=10),
        "old": now - timedelta(days=40),
    }
    await insert(db, GUILD_A, "open", created["open"])
    await insert(db, GUILD_A, "closed", created["closed"], closed_after=3600)
    await insert(db, GUILD_A, "archived", created["archived"], closed_after=3 * 3600)
    await insert(db, GUILD_A, "claimed", created["claimed"])
    await insert(db, GUILD_A, "closed", created["old"], closed_after=100)
    await insert(db, GUILD_B, "closed", now - timedelta(hours=2), closed_after=50)  # another guild

    week = await take_snapshot(db, guild_id=GUILD_A, scope="7d", timezone="Europe/Amsterdam", triggered_by=99)
    assert week.counts == {"open": 1, "claimed": 0, "waiting_for_user": 0, "escalated": 0, "closed": 1, "archived": 1}
    assert (week.total, week.closed, week.average_cycle_time) == (3, 2, (3600 + 3 * 3600) // 2)
    assert week.per_day == pytest.approx(3 / 7)
    expected_days: dict[str, int] = {}
    for name in ("open", "closed", "archived"):
        day = created[name].astimezone(amsterdam).date().isoformat()
        expected_days[day] = expected_days.get(day, 0) + 1
    assert dict(week.daily) == expected_days
    assert local_yesterday.isoformat() in expected_days and just_after_midnight.astimezone(UTC).date() != local_yesterday

    month = await take_snapshot(db, guild_id=GUILD_A, scope="30d", timezone="UTC", triggered_by=99)
    assert (month.total, month.counts["claimed"], month.average_cycle_time) == (4, 1, 7200)
    assert month.per_day == pytest.approx(4 / 30)

    ever = await take_snapshot(db, guild_id=GUILD_A, scope="all", timezone="UTC", triggered_by=None)
    assert (ever.total, ever.closed, ever.average_cycle_time) == (5, 3, round((3600 + 10800 + 100) / 3))
    assert ever.per_day == pytest.approx(5 / 41) and ever.daily == []  # 40 days ago to today: 41 days

    operator = await take_snapshot(db, guild_id=None, scope="7d", timezone="UTC", triggered_by=None)
    assert (operator.total, operator.closed, operator.average_cycle_time) == (4, 3, round((3600 + 10800 + 50) / 3))

    rows = [dict(r) for r in await db.fetch("SELECT * FROM ticket_metrics ORDER BY id")]
    assert [(r["guild_id"], r["scope"], r["triggered_by"]) for r in rows] == [
        (GUILD_A, "7d", 99), (GUILD_A, "30d", 99), (GUILD_A, "all", None), (None, "7d", None)]
    assert rows[0]["counts"] == week.counts and rows[0]["average_cycle_time"] == 7200
    assert rows[0]["snapshot"]["per_day"] == round(3 / 7, 3) and rows[0]["snapshot"]["timezone"] == "Europe/Amsterdam"
    assert rows[0]["id"] == week.id


async def test_an_empty_guild_has_zero_numbers(db: Any) -> None:
    snapshot = await take_snapshot(db, guild_id=GUILD_B, scope="all", timezone="UTC", triggered_by=1)
    assert snapshot.total == 0 and snapshot.average_cycle_time is None and snapshot.per_day == 0


async def test_concurrent_openings_and_claims_at_the_sql_level(db: Any) -> None:
    async def attempt() -> Any:
        async with db.acquire() as conn:
            return await store.open_ticket(conn, guild_id=GUILD_A, user_id=5, username="m", description="d",
                                           max_open=1, cooldown=timedelta(0))

    attempts = await asyncio.gather(*(attempt() for _ in range(10)))
    made = [a.ticket for a in attempts if a.ticket is not None]
    assert len(made) == 1
    ticket = made[0]
    assert all(a.open_channels == [None] for a in attempts if a.ticket is None)  # the one being opened counts

    async def claim(staff_id: int) -> Any:
        async with db.acquire() as conn:
            return await store.claim(conn, ticket.id, GUILD_A, staff_id)

    claims = await asyncio.gather(*(claim(100 + n) for n in range(10)))
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    assert await db.fetchval("SELECT claimed_by FROM support_tickets WHERE id = $1", ticket.id) == winners[0].claimed_by
    assert await store.claim(db, ticket.id, GUILD_B, 1) is None  # another guild never matches
    assert await store.close(db, ticket.id, GUILD_B, 1, "x") is None
    assert await store.get(db, GUILD_B, ticket.id) is None


async def test_a_crash_while_opening_leaves_nothing_that_counts_for_long(db: Any) -> None:
    stale = await insert(db, GUILD_A, "open", datetime.now(UTC) - timedelta(minutes=30), user_id=5)
    async with db.acquire() as conn:
        attempt = await store.open_ticket(conn, guild_id=GUILD_A, user_id=5, username="m", description="d",
                                          max_open=1, cooldown=timedelta(0))
    assert attempt.ticket is not None  # a channel-less left-over older than the grace does not block
    assert await store.purge_unopened(db) == 1
    assert await db.fetchval("SELECT count(*) FROM support_tickets WHERE id = $1", stale) == 0


async def test_user_data_and_forget_user(db: Any, plugin_manager: Any) -> None:
    from alphapy import export_user, forget_user

    now = datetime.now(UTC)
    mine_a = await insert(db, GUILD_A, "closed", now, closed_after=60, user_id=5, close_reason="mail me@x.org")
    mine_b = await insert(db, GUILD_B, "open", now, user_id=5)
    worked = await insert(db, GUILD_A, "archived", now, closed_after=60, user_id=6, claimed_by=5, archived_by=5,
                          closed_by=9)
    ticket = await store.get(db, GUILD_A, mine_a)
    assert ticket is not None
    await store.insert_summary(db, ticket, "Member 5 could not pay", "payment")
    await take_snapshot(db, guild_id=GUILD_A, scope="7d", timezone="UTC", triggered_by=5)

    exported = await export_user(db, plugin_manager, 5)
    data = exported["tickets"]
    json.dumps(data)  # JSON-ready
    assert [t["id"] for t in data["tickets_opened"]] == [mine_a, mine_b]
    assert data["tickets_opened"][0]["summary"] == "Member 5 could not pay"
    assert data["tickets_worked_on"] == [{"id": worked, "guild_id": GUILD_A, "status": "archived",
                                          "claimed": True, "archived": True}]
    assert len(data["stats_snapshots_requested"]) == 1
    assert "tickets" not in await export_user(db, plugin_manager, 12345)  # holds nothing: says nothing

    removed = await forget_user(db, plugin_manager, 5, GUILD_A)  # one guild first
    assert removed["tickets"] == 4  # summary, own ticket, worked-on ticket, snapshot
    forgotten = dict(await db.fetchrow("SELECT * FROM support_tickets WHERE id = $1", mine_a))
    assert (forgotten["user_id"], forgotten["username"], forgotten["description"], forgotten["close_reason"]) == (
        0, None, store.FORGOTTEN_DESCRIPTION, None)
    assert forgotten["status"] == "closed" and forgotten["closed_at"] is not None  # statistics stay right
    other = dict(await db.fetchrow("SELECT * FROM support_tickets WHERE id = $1", worked))
    assert (other["claimed_by"], other["archived_by"], other["closed_by"], other["user_id"]) == (None, None, 9, 6)
    assert await db.fetchval("SELECT count(*) FROM ticket_summaries") == 0
    assert await db.fetchval("SELECT triggered_by FROM ticket_metrics") is None
    assert await db.fetchval("SELECT user_id FROM support_tickets WHERE id = $1", mine_b) == 5  # guild B untouched

    assert (await forget_user(db, plugin_manager, 5, None))["tickets"] == 1
    assert "tickets" not in await export_user(db, plugin_manager, 5)


async def test_ticket_stats_command(bot, emulator, desk: Desk, member) -> None:
    await emulator.slash(member, "ticket open", description="help")
    await bot.settings.set(desk.guild.id, "core", "timezone", "Asia/Tokyo")
    stats = await emulator.slash(desk.staff, "ticket stats", period="30d")
    assert stats.ephemeral and stats.embed["title"] == "Tickets — last 30 days"
    assert "Open: **1**" in stats.embed["description"]
    assert stats.embed["fields"][0] == {"name": "Opened", "value": "1", "inline": True}
    assert stats.embed["fields"][3]["name"] == "By day (Asia/Tokyo)"
    stored = await bot.db.fetchrow("SELECT * FROM ticket_metrics")
    assert stored["guild_id"] == desk.guild.id and stored["triggered_by"] == desk.staff.id and stored["scope"] == "30d"
    refused = await emulator.slash(member, "ticket stats")
    assert refused.ephemeral and refused.content == "Only staff can use this command."
    with pytest.raises(ValueError, match="not one of the choices"):
        await emulator.slash(desk.staff, "ticket stats", period="1y")


def test_operator_stats_across_all_guilds(migrated_database_url: str, tmp_path: Any) -> None:
    import psycopg

    with psycopg.connect(migrated_database_url, autocommit=True) as conn:
        for guild_id, status in ((GUILD_A, "open"), (GUILD_A, "closed"), (GUILD_B, "closed")):
            conn.execute("INSERT INTO support_tickets (guild_id, user_id, description, status, created_at, closed_at) "
                         "VALUES (%s, 1, 'd', %s, now() - interval '1 hour', "
                         "CASE WHEN %s = 'closed' THEN now() ELSE NULL END)", (guild_id, status, status))
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "ALPHAPY_PLUGINS": "tickets"}
    env.pop("LOG_LEVEL", None)
    done = subprocess.run([sys.executable, "-m", "alphapy", "tickets", "stats", "all", "--json"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["guild_id"] is None and shown["total"] == 3 and shown["counts"]["closed"] == 2
    assert shown["average_cycle_time"] == 3600
    table = subprocess.run([sys.executable, "-m", "alphapy", "tickets", "stats"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=60, check=False)
    assert table.returncode == 0 and "total 3 · per day 0.4" in table.stdout and table.stderr == ""
    with psycopg.connect(migrated_database_url) as conn:
        rows = conn.execute("SELECT guild_id, scope, triggered_by FROM ticket_metrics ORDER BY id").fetchall()
    assert rows == [(None, "all", None), (None, "7d", None)]
