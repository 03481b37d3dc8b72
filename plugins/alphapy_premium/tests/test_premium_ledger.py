"""The table and its rules: the reference schema, one active subscription per person (under
concurrency), grants, revocation, expiry, and a person's data."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest
from alphapy_premium import ledger, store
from alphapy_premium.ledger import AlreadyActive, Refusal
from alphapy_premium.model import add_months
from alphapy_premium.plugin import EXPIRY_TASK

from alphapy import export_user, forget_user
from alphapy.testing import assert_tables_match_reference, running_alphapy

USER = 444_000_000_000_000_001
GUILD, OTHER_GUILD = 555_000_000_000_000_001, 555_000_000_000_000_002


def now() -> datetime:
    return datetime.now(timezone.utc)


async def add(db: Any, user: int, *, status: str = "active", tier: str = "monthly",
              expires_at: datetime | None = None, guild: int = GUILD) -> int:
    async with db.transaction() as conn:
        return (await store.insert(conn, user_id=user, guild_id=guild, tier=tier, status=status,
                                   expires_at=expires_at))["id"]


def test_the_table_is_the_reference_schema(migrated_database_url: str, plugin_manager: Any) -> None:
    assert_tables_match_reference(migrated_database_url, ["premium_subs"])
    from alphapy.testing import MigrationRunner

    runner = MigrationRunner(migrated_database_url, plugin_manager.migration_sources())
    assert runner.rollback("premium") == ["premium_0002_notify_changes", "premium_0001_init"]
    assert runner.apply() == ["premium_0001_init", "premium_0002_notify_changes"]
    assert_tables_match_reference(migrated_database_url, ["premium_subs"])


# --- one active subscription per person ---------------------------------------------------

async def test_concurrent_grants_one_wins(db) -> None:
    async def attempt(guild: int) -> Any:
        try:
            return await ledger.grant(db, user_id=USER, guild_id=guild, tier="monthly")
        except AlreadyActive as refused:
            return refused

    results = await asyncio.gather(*(attempt(GUILD + n) for n in range(12)))
    winners = [r for r in results if not isinstance(r, AlreadyActive)]
    losers = [r for r in results if isinstance(r, AlreadyActive)]
    assert len(winners) == 1 and len(losers) == 11
    assert {r.existing["id"] for r in losers if r.existing is not None} <= {winners[0].id}
    assert await db.fetchval("SELECT count(*) FROM premium_subs WHERE user_id = $1", USER) == 1


async def test_the_database_itself_refuses_a_second_active_row(db) -> None:
    await ledger.grant(db, user_id=USER, guild_id=GUILD, tier="lifetime")
    with pytest.raises(asyncpg.UniqueViolationError) as refused:
        await db.execute("INSERT INTO premium_subs (user_id, guild_id, tier, status) "
                         "VALUES ($1, $2, 'lifetime', 'active')", USER, OTHER_GUILD)
    assert refused.value.constraint_name == "idx_premium_subs_one_active_per_user"
    # cancelled and expired ones do not count
    await add(db, USER, status="cancelled", expires_at=now() + timedelta(days=2), guild=OTHER_GUILD)
    await add(db, USER, status="expired", expires_at=now() - timedelta(days=2), guild=OTHER_GUILD)


async def test_reactivating_beside_an_active_one_is_refused(db) -> None:
    old = await add(db, USER, status="cancelled", expires_at=now() + timedelta(days=2))
    await ledger.grant(db, user_id=USER, guild_id=OTHER_GUILD, tier="yearly")
    async with db.transaction() as conn:
        with pytest.raises(AlreadyActive):
            await store.set_status(conn, old, "active", from_statuses=("cancelled",))
        assert (await store.get(conn, old))["status"] == "cancelled"  # the savepoint kept the transaction usable


async def test_a_grant_frees_the_slot_of_one_that_ran_out(db) -> None:
    stale = await add(db, USER, expires_at=now() - timedelta(hours=30))
    fresh = await ledger.grant(db, user_id=USER, guild_id=OTHER_GUILD, tier="monthly", grace=timedelta(hours=24))
    assert (await store.get(db, stale))["status"] == "expired" and fresh.status == "active"


# --- grants and revocation -----------------------------------------------------------------

async def test_tiers_and_their_expiry(db) -> None:
    start = now()
    monthly = await ledger.grant(db, user_id=USER, guild_id=GUILD, tier="monthly", now=start)
    assert monthly.expires_at == add_months(start, 1) and 28 <= (monthly.expires_at - start).days <= 31
    assert add_months(datetime(2025, 1, 31, tzinfo=timezone.utc), 1) == datetime(2025, 2, 28, tzinfo=timezone.utc)
    assert add_months(datetime(2024, 2, 29, tzinfo=timezone.utc), 12) == datetime(2025, 2, 28, tzinfo=timezone.utc)
    lifetime = await ledger.grant(db, user_id=USER + 1, guild_id=GUILD, tier="lifetime")
    assert lifetime.expires_at is None
    until = now() + timedelta(days=3)
    chosen = await ledger.grant(db, user_id=USER + 2, guild_id=GUILD, tier="yearly", expires_at=until)
    assert chosen.expires_at == until


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tier": "platinum"}, "tier must be one of monthly, yearly, lifetime, not 'platinum'"),
    ({"tier": "lifetime", "expires_at": datetime(2040, 1, 1, tzinfo=timezone.utc)},
     "a lifetime subscription has no expiry"),
    ({"expires_at": datetime(2001, 1, 1, tzinfo=timezone.utc)}, "the expiry must be in the future"),
    ({"expires_at": datetime(2040, 1, 1)}, "the expiry needs a timezone"),
    ({"user_id": 0}, "user id must be a Discord id (a positive 64-bit number), not 0"),
    ({"user_id": 2**63}, "user id must be a Discord id"),
    ({"guild_id": -5}, "guild id must be a Discord id"),
    ({"external_id": ""}, "an external id has 1 to 200 characters"),
    ({"external_id": "x" * 201}, "an external id has 1 to 200 characters"),
])
async def test_grants_that_are_refused_store_nothing(db, kwargs: dict[str, Any], message: str) -> None:
    values = {"user_id": USER, "guild_id": GUILD, "tier": "monthly", **kwargs}
    with pytest.raises(Refusal, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        await ledger.grant(db, **values)
    assert await db.fetchval("SELECT count(*) FROM premium_subs") == 0


async def test_an_external_id_belongs_to_one_subscription(db) -> None:
    await ledger.grant(db, user_id=USER, guild_id=GUILD, tier="monthly", external_id="sub_42")
    with pytest.raises(Refusal, match="a subscription with external id 'sub_42' exists already"):
        await ledger.grant(db, user_id=USER + 1, guild_id=GUILD, tier="monthly", external_id="sub_42")


async def test_revoke_one_or_all_of_a_user(db) -> None:
    a = await ledger.grant(db, user_id=USER, guild_id=GUILD, tier="monthly")
    cancelled = await add(db, USER, status="cancelled", expires_at=now() + timedelta(days=1), guild=OTHER_GUILD)
    other = await ledger.grant(db, user_id=USER + 1, guild_id=GUILD, tier="lifetime")
    assert [s.id for s in await ledger.revoke(db, user_id=USER)] == [cancelled, a.id]
    assert await ledger.revoke(db, user_id=USER) == []
    assert [s.status for s in await ledger.revoke(db, sub_id=other.id)] == ["expired"]
    for bad in (0, -1, 2**31, 987_654):
        with pytest.raises(Refusal, match=f"there is no subscription #{bad}"):
            await ledger.revoke(db, sub_id=bad)


# --- expiry ---------------------------------------------------------------------------------

async def test_expiry_marks_what_ran_out(db) -> None:
    grace = timedelta(hours=24)
    rows = {
        "active, ran out long ago": (await add(db, USER, expires_at=now() - timedelta(hours=25)), "expired"),
        "active, in the grace period": (await add(db, USER + 1, expires_at=now() - timedelta(hours=1)), "active"),
        "active, running": (await add(db, USER + 2, expires_at=now() + timedelta(days=1)), "active"),
        "lifetime": (await add(db, USER + 3, tier="lifetime"), "active"),
        "cancelled, ended": (await add(db, USER + 4, status="cancelled", expires_at=now() - timedelta(minutes=1)),
                             "expired"),
        "cancelled, running": (await add(db, USER + 5, status="cancelled", expires_at=now() + timedelta(hours=1)),
                               "cancelled"),
    }
    assert len(await ledger.expire_due(db, grace)) == 2
    for what, (sub_id, status) in rows.items():
        assert (await store.get(db, sub_id))["status"] == status, what
    assert await ledger.expire_due(db, grace) == []  # a second run (another process) finds nothing


async def test_the_periodic_task_runs_with_the_bot(emulator, guild, migrated_database_url, alphapy_plugins,
                                                   premium_env) -> None:
    from alphapy import Database

    premium_env(expiry_grace_hours=0)
    async with Database(migrated_database_url, min_size=1, max_size=1) as db:
        overdue = await add(db, USER, expires_at=now() - timedelta(minutes=5))
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as runner:
        bot = runner.bot

        async def expired() -> bool:
            return (await store.get(bot.db, overdue))["status"] == "expired"

        await emulator.wait_until(expired)
        assert bot.scheduler.task_stats(EXPIRY_TASK).runs >= 1
        assert not (await bot.premium_status(USER, GUILD)).active


# --- a person's data ---------------------------------------------------------------------

async def test_export_and_forget_a_person(db, plugin_manager) -> None:
    kept = await ledger.grant(db, user_id=USER + 1, guild_id=GUILD, tier="lifetime")
    await ledger.grant(db, user_id=USER, guild_id=GUILD, tier="monthly", external_id="sub_7")
    await add(db, USER, status="expired", expires_at=now() - timedelta(days=40), guild=OTHER_GUILD)

    exported = (await export_user(db, plugin_manager, USER))["premium"]["premium_subs"]
    assert [(s["guild_id"], s["status"], s["external_id"]) for s in exported] == [
        (str(OTHER_GUILD), "expired", None), (str(GUILD), "active", "sub_7")]
    assert set(exported[0]) == {"id", "user_id", "guild_id", "tier", "status", "external_id", "expires_at",
                                "created_at", "last_transferred_at"}
    assert "premium" not in await export_user(db, plugin_manager, USER + 99)

    assert (await forget_user(db, plugin_manager, USER, OTHER_GUILD))["premium"] == 1
    assert (await forget_user(db, plugin_manager, USER, None))["premium"] == 1
    assert await store.of_user(db, USER) == []
    assert [r["id"] for r in await store.of_user(db, USER + 1)] == [kept.id]  # nobody else's rows


async def test_processed_event_ids_are_kept_for_the_retention_only(db) -> None:
    await db.execute("INSERT INTO premium_webhook_events (event_id, event_type, processed_at) VALUES "
                     "('evt_old', 'subscription.created', now() - interval '31 days'), "
                     "('evt_new', 'subscription.created', now() - interval '29 days')")
    assert await store.purge_events(db, 30) == 1
    assert await db.fetchval("SELECT array_agg(event_id) FROM premium_webhook_events") == ["evt_new"]
