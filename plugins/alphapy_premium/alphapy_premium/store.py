"""Every SQL statement of the premium plugin.

``premium_subs`` is keyed by person, not by guild: a subscription belongs to a user and
applies to one guild at a time. Queries that answer "premium in this guild" filter by
both ``user_id`` and ``guild_id``; the only queries by ``user_id`` alone read or change
the asking person's own subscriptions (``/premium``, ``/premium_transfer``, their data
export). The partial unique index ``idx_premium_subs_one_active_per_user`` makes the
database itself refuse a second active subscription; callers turn that refusal into
:class:`AlreadyActive`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from alphapy import Queryable

Conn = Queryable  # an asyncpg connection or the core's Database: both have fetch/fetchrow/execute
# Writes that may be refused (insert, set_status, update_from_billing) take a connection:
# they run in a savepoint, so the caller's transaction survives the refusal.

COLUMNS = ("id, user_id, guild_id, tier, status, stripe_subscription_id, expires_at, created_at, "
           "last_transferred_at, updated_at")
ONE_ACTIVE_INDEX = "idx_premium_subs_one_active_per_user"
# The trigger of migration premium_0002 sends "user_id:guild_id" here on every change;
# an entitlement event seen by one process goes out as "entitlement:user_id:guild_id".
NOTIFY_CHANNEL = "alphapy_premium"
ENTITLEMENT_PREFIX = "entitlement:"
EXTERNAL_ID_INDEX = "idx_premium_subs_external_id"


class AlreadyActive(Exception):
    """The user already holds an active subscription (the database refused a second)."""

    def __init__(self, user_id: int, existing: asyncpg.Record | None = None) -> None:
        self.user_id = user_id
        self.existing = existing
        where = f" (#{existing['id']} in guild {existing['guild_id']})" if existing is not None else ""
        super().__init__(f"user {user_id} already has an active subscription{where}")


class DuplicateExternalId(Exception):
    """Another subscription already has this external (billing) id."""


def is_one_active_violation(exc: BaseException) -> bool:
    return (isinstance(exc, asyncpg.UniqueViolationError)
            and getattr(exc, "constraint_name", None) == ONE_ACTIVE_INDEX)


@dataclass(frozen=True)
class Change:
    """What a notification on :data:`NOTIFY_CHANNEL` says changed (ids may be None)."""

    entitlement: bool
    user_id: int | None
    guild_id: int | None


def parse_change(payload: str) -> Change | None:
    """The change a notification announces; None for a payload we do not know."""
    entitlement = payload.startswith(ENTITLEMENT_PREFIX)
    user, separator, guild = payload.removeprefix(ENTITLEMENT_PREFIX).partition(":")
    if not separator:
        return None
    try:
        return Change(entitlement, int(user) if user else None, int(guild) if guild else None)
    except ValueError:
        return None


async def announce_entitlement_change(conn: Conn, user_id: int | None, guild_id: int | None) -> None:
    """Tell every process that Discord changed an entitlement (the event reaches one shard)."""
    await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL,
                       f"{ENTITLEMENT_PREFIX}{user_id or ''}:{guild_id or ''}")


# --- reading ------------------------------------------------------------------------------

async def in_guild(conn: Conn, user_id: int, guild_id: int) -> list[asyncpg.Record]:
    """The user's latest subscriptions in one guild (the hook's query, on idx_premium_subs_user_guild)."""
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM premium_subs WHERE user_id = $1 AND guild_id = $2 ORDER BY id DESC LIMIT 20",
        user_id, guild_id)


async def of_user(conn: Conn, user_id: int, *, limit: int = 100) -> list[asyncpg.Record]:
    """All of one person's subscriptions, newest first (their own view and their export)."""
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM premium_subs WHERE user_id = $1 ORDER BY id DESC LIMIT $2", user_id, limit)


async def active_of(conn: Conn, user_id: int, *, lock: bool = False) -> asyncpg.Record | None:
    """The user's one active subscription (the unique index allows at most one)."""
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM premium_subs WHERE user_id = $1 AND status = 'active'"
        + (" FOR UPDATE" if lock else ""), user_id)


async def get(conn: Conn, sub_id: int, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM premium_subs WHERE id = $1" + (" FOR UPDATE" if lock else ""), sub_id)


async def by_external_id(conn: Conn, external_id: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM premium_subs WHERE stripe_subscription_id = $1"
        + (" FOR UPDATE" if lock else ""), external_id)


async def search(conn: Conn, *, guild_id: int | None = None, user_id: int | None = None,
                 status: str | None = None, limit: int = 50) -> list[asyncpg.Record]:
    """For operators: filters are optional and combined; newest first."""
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM premium_subs "
        "WHERE ($1::bigint IS NULL OR guild_id = $1) AND ($2::bigint IS NULL OR user_id = $2) "
        "AND ($3::text IS NULL OR status = $3) ORDER BY id DESC LIMIT $4",
        guild_id, user_id, status, limit)


# --- changing -----------------------------------------------------------------------------

async def expire_overdue_of_user(conn: Conn, user_id: int, grace: timedelta) -> int:
    """Free the one-active slot of a user whose active subscription ran out (before a grant)."""
    status = await conn.execute(
        "UPDATE premium_subs SET status = 'expired', updated_at = now() "
        "WHERE user_id = $1 AND status = 'active' AND expires_at + $2::interval <= now()", user_id, grace)
    return int(status.split()[-1])


async def insert(conn: asyncpg.Connection, *, user_id: int, guild_id: int, tier: str, expires_at: datetime | None,
                 external_id: str | None = None, status: str = "active") -> asyncpg.Record:
    """A new subscription; raises :class:`AlreadyActive` when the user has an active one."""
    try:
        async with conn.transaction():  # a savepoint: the transaction stays usable after a refusal
            row = await conn.fetchrow(
                "INSERT INTO premium_subs (user_id, guild_id, tier, status, stripe_subscription_id, expires_at) "
                f"VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}",
                user_id, guild_id, tier, status, external_id, expires_at)
            assert row is not None  # INSERT ... RETURNING gives its row or raises
            return row
    except asyncpg.UniqueViolationError as exc:
        if is_one_active_violation(exc):
            raise AlreadyActive(user_id, await active_of(conn, user_id)) from None
        if getattr(exc, "constraint_name", None) == EXTERNAL_ID_INDEX:
            raise DuplicateExternalId(external_id) from None
        raise


async def set_status(conn: asyncpg.Connection, sub_id: int, status: str, *, from_statuses: tuple[str, ...]) -> asyncpg.Record | None:
    """Change one subscription's status if it is in one of ``from_statuses``."""
    try:
        async with conn.transaction():
            return await conn.fetchrow(
                f"UPDATE premium_subs SET status = $2, updated_at = now() "
                f"WHERE id = $1 AND status = ANY($3::text[]) RETURNING {COLUMNS}",
                sub_id, status, list(from_statuses))
    except asyncpg.UniqueViolationError as exc:
        if is_one_active_violation(exc):
            user_id = await conn.fetchval("SELECT user_id FROM premium_subs WHERE id = $1", sub_id)
            raise AlreadyActive(user_id, await active_of(conn, user_id)) from None
        raise


async def update_from_billing(conn: asyncpg.Connection, sub_id: int, *, guild_id: int, tier: str, status: str,
                              expires_at: datetime | None) -> asyncpg.Record:
    """Apply what the billing system says about a subscription it owns."""
    try:
        async with conn.transaction():
            row = await conn.fetchrow(
                "UPDATE premium_subs SET guild_id = $2, tier = $3, status = $4, expires_at = $5, updated_at = now() "
                f"WHERE id = $1 RETURNING {COLUMNS}", sub_id, guild_id, tier, status, expires_at)
            assert row is not None, f"subscription {sub_id} vanished"  # the caller holds its row lock
            return row
    except asyncpg.UniqueViolationError as exc:
        if is_one_active_violation(exc):
            user_id = await conn.fetchval("SELECT user_id FROM premium_subs WHERE id = $1", sub_id)
            raise AlreadyActive(user_id, await active_of(conn, user_id)) from None
        raise


async def move(conn: Conn, sub_id: int, guild_id: int) -> asyncpg.Record:
    """Point a subscription at another guild and start the transfer cooldown."""
    row = await conn.fetchrow(
        "UPDATE premium_subs SET guild_id = $2, last_transferred_at = now(), updated_at = now() "
        f"WHERE id = $1 RETURNING {COLUMNS}", sub_id, guild_id)
    assert row is not None, f"subscription {sub_id} vanished"  # the caller holds its row lock
    return row


async def expire_due(conn: Conn, grace: timedelta) -> list[asyncpg.Record]:
    """Mark what ran out as expired: active ones past ``expires_at`` + grace, cancelled ones
    past ``expires_at``. Served by ``idx_premium_subs_expiring``; safe to run in several
    processes at once (the second finds nothing left)."""
    return await conn.fetch(
        "UPDATE premium_subs SET status = 'expired', updated_at = now() "
        "WHERE status IN ('active', 'cancelled') AND expires_at <= now() "
        "AND (status = 'cancelled' OR expires_at + $1::interval <= now()) "
        "RETURNING id, user_id, guild_id", grace)


async def delete_user(conn: Conn, user_id: int, guild_id: int | None) -> int:
    status = await conn.execute(
        "DELETE FROM premium_subs WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2)",
        user_id, guild_id)
    return int(status.split()[-1])


# --- webhook idempotency ------------------------------------------------------------------

async def claim_event(conn: Conn, event_id: str, event_type: str) -> bool:
    """Record an event id; False when it was processed before. Run it in the transaction
    that applies the event, so a failure records nothing and the sender's retry is applied."""
    return await conn.fetchval(
        "INSERT INTO premium_webhook_events (event_id, event_type) VALUES ($1, $2) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING true", event_id, event_type) is True


async def purge_events(conn: Conn, older_than_days: int) -> int:
    status = await conn.execute(
        "DELETE FROM premium_webhook_events WHERE processed_at < now() - make_interval(days => $1)",
        older_than_days)
    return int(status.split()[-1])
