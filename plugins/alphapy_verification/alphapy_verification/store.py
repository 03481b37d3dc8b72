"""Every SQL statement of the verification plugin.

All statements take parameters, never formatted text, and every query of guild data
filters by ``guild_id``, so an id from another server finds nothing. Status changes are
single ``UPDATE ... WHERE status = ANY(...)`` statements: two staff members clicking
Approve at once, or Approve and Reject, cannot both win.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from alphapy import Queryable, notify_due

OPEN = ("pending", "manual_review", "error")
WITH_STAFF = ("manual_review", "error")
CLOSE_CHANNEL = "verification_close_due"
CLOSE_LEASE_SECONDS = 300.0  # a claimed closing not finished by then is claimed again
PROCESSING_LEASE = "5 minutes"
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"

HASH_BITS = 256

Conn = Queryable  # an asyncpg connection or the core's Database (both have execute/fetch...)


def as_bits(value: int) -> asyncpg.BitString:
    return asyncpg.BitString.from_int(value, length=HASH_BITS)


# --- opening ------------------------------------------------------------------------------
async def open_ticket(conn: Conn, guild_id: int, user_id: int, channel_id: int, opened_by: int) -> int | None:
    """A new ``pending`` ticket; None when the member already has an open one."""
    try:
        value: int | None = await conn.fetchval(
            "INSERT INTO verification_tickets (guild_id, user_id, channel_id, opened_by) "
            "VALUES ($1, $2, $3, $4) RETURNING id",
            guild_id, user_id, channel_id, opened_by,
        )
        return value
    except asyncpg.UniqueViolationError:
        return None


async def open_ticket_of(conn: Conn, guild_id: int, user_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM verification_tickets WHERE guild_id = $1 AND user_id = $2 AND status = ANY($3::text[])",
        guild_id, user_id, list(OPEN),
    )
    return row


async def attempts(conn: Conn, guild_id: int, user_id: int) -> int:
    """Verifications the member started themselves here (staff-opened ones do not count)."""
    value: int = await conn.fetchval(
        "SELECT count(*) FROM verification_tickets WHERE guild_id = $1 AND user_id = $2 AND opened_by = $2",
        guild_id, user_id,
    )
    return value


async def last_rejection(conn: Conn, guild_id: int, user_id: int) -> datetime | None:
    value: datetime | None = await conn.fetchval(
        "SELECT max(resolved_at) FROM verification_tickets "
        "WHERE guild_id = $1 AND user_id = $2 AND decision = 'rejected'",
        guild_id, user_id,
    )
    return value


# --- reading ------------------------------------------------------------------------------
async def ticket(conn: Conn, guild_id: int, ticket_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM verification_tickets WHERE guild_id = $1 AND id = $2", guild_id, ticket_id)
    return row


async def ticket_in_channel(conn: Conn, guild_id: int, channel_id: int) -> asyncpg.Record | None:
    """The ticket whose private channel this is (the newest, should a channel id repeat)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT * FROM verification_tickets WHERE guild_id = $1 AND channel_id = $2 ORDER BY id DESC LIMIT 1",
        guild_id, channel_id,
    )
    return row


# --- a screenshot -------------------------------------------------------------------------
async def claim_for_processing(conn: Conn, guild_id: int, ticket_id: int) -> bool:
    """Mark a pending ticket as being checked; False when it is not pending or already taken."""
    claimed = await conn.fetchval(
        f"""UPDATE verification_tickets SET processing_since = now()
             WHERE guild_id = $1 AND id = $2 AND status = 'pending'
               AND (processing_since IS NULL OR processing_since < now() - interval '{PROCESSING_LEASE}')
         RETURNING id""",
        guild_id, ticket_id,
    )
    return claimed is not None


async def release_processing(conn: Conn, guild_id: int, ticket_id: int) -> None:
    await conn.execute(
        "UPDATE verification_tickets SET processing_since = NULL WHERE guild_id = $1 AND id = $2",
        guild_id, ticket_id,
    )


async def add_evidence(conn: Conn, guild_id: int, ticket_id: int, message_id: int) -> None:
    await conn.execute(
        "UPDATE verification_tickets SET evidence_message_ids = array_append(evidence_message_ids, $3) "
        "WHERE guild_id = $1 AND id = $2",
        guild_id, ticket_id, message_id,
    )


async def take_evidence(conn: Conn, guild_id: int, ticket_id: int) -> list[int]:
    """The screenshot messages to delete, forgotten in the same statement."""
    ids = await conn.fetchval(
        """UPDATE verification_tickets t SET evidence_message_ids = '{}'
             FROM (SELECT id, evidence_message_ids AS old FROM verification_tickets
                    WHERE guild_id = $1 AND id = $2 FOR UPDATE) previous
            WHERE t.id = previous.id
        RETURNING previous.old""",
        guild_id, ticket_id,
    )
    return list(ids or [])


async def near_duplicate(conn: Conn, guild_id: int, user_id: int, dhash: int, max_distance: int) -> int | None:
    """Another member of this guild who sent a screenshot within ``max_distance`` bits."""
    value: int | None = await conn.fetchval(
        "SELECT user_id FROM verification_image_hashes "
        "WHERE guild_id = $1 AND user_id <> $2 AND bit_count(dhash # $3::bit(256)) <= $4 "
        "ORDER BY bit_count(dhash # $3::bit(256)) LIMIT 1",
        guild_id, user_id, as_bits(dhash), max_distance,
    )
    return value


async def add_hash(conn: Conn, guild_id: int, user_id: int, ticket_id: int, dhash: int) -> None:
    await conn.execute(
        "INSERT INTO verification_image_hashes (guild_id, user_id, ticket_id, dhash) VALUES ($1, $2, $3, $4)",
        guild_id, user_id, ticket_id, as_bits(dhash),
    )


@dataclass(frozen=True)
class Outcome:
    """What checking one screenshot decided, as written to the ticket."""

    status: str  # verified, manual_review or error
    cause: str
    ai_can_verify: bool | None
    ai_needs_manual_review: bool | None
    ai_reason: str | None  # already sanitised
    duplicate_of_user: int | None


async def record_outcome(conn: Conn, guild_id: int, ticket_id: int, outcome: Outcome) -> asyncpg.Record | None:
    """Write the outcome of a pending ticket's screenshot (None if it was no longer pending).

    A ``verified`` outcome is written before the role is granted; the channel's closing is
    scheduled (:func:`schedule_close`) only once the role is there.
    """
    row: asyncpg.Record | None = await conn.fetchrow(
        """UPDATE verification_tickets
              SET status = $3, review_cause = $4, ai_can_verify = $5, ai_needs_manual_review = $6,
                  ai_reason = $7, duplicate_of_user = $8, processing_since = NULL,
                  decision = CASE WHEN $3 = 'verified' THEN 'auto' END,
                  resolved_at = CASE WHEN $3 = 'verified' THEN now() END
            WHERE guild_id = $1 AND id = $2 AND status = 'pending'
        RETURNING *""",
        guild_id, ticket_id, outcome.status, outcome.cause, outcome.ai_can_verify,
        outcome.ai_needs_manual_review, outcome.ai_reason, outcome.duplicate_of_user,
    )
    return row


async def schedule_close(conn: Conn, guild_id: int, ticket_id: int, delay: float) -> None:
    """The private channel is deleted ``delay`` seconds from now (by the due-work loop)."""
    await conn.execute(
        "UPDATE verification_tickets SET close_at = now() + make_interval(secs => $3) "
        "WHERE guild_id = $1 AND id = $2 AND closed_at IS NULL",
        guild_id, ticket_id, float(delay),
    )
    await notify_due(conn, CLOSE_CHANNEL)


async def to_review(conn: Conn, guild_id: int, ticket_id: int, cause: str) -> asyncpg.Record | None:
    """Send a ticket back to staff (the role could not be granted after an automatic yes)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """UPDATE verification_tickets
              SET status = 'manual_review', review_cause = $3, decision = NULL, decided_by = NULL,
                  resolved_at = NULL, close_at = NULL
            WHERE guild_id = $1 AND id = $2 AND status = 'verified' AND close_at IS NULL
        RETURNING *""",
        guild_id, ticket_id, cause,
    )
    return row


async def set_review_message(conn: Conn, guild_id: int, ticket_id: int, message_id: int) -> None:
    await conn.execute(
        "UPDATE verification_tickets SET review_message_id = $3 WHERE guild_id = $1 AND id = $2",
        guild_id, ticket_id, message_id,
    )


# --- decisions ----------------------------------------------------------------------------
async def resolve(
    conn: Conn,
    guild_id: int,
    ticket_id: int,
    *,
    status: str,
    decision: str,
    decided_by: int | None,
    from_statuses: tuple[str, ...],
    staff_reason: str | None = None,
) -> asyncpg.Record | None:
    """Move a ticket to ``verified`` or ``closed_manual`` if it is in one of ``from_statuses``.

    Returns the updated row, or None when someone else decided first (or the id is not
    this guild's). The channel's closing is scheduled afterwards (:func:`schedule_close`),
    once the member has been told.
    """
    row: asyncpg.Record | None = await conn.fetchrow(
        """UPDATE verification_tickets
              SET status = $3, decision = $4, decided_by = $5, staff_reason = $6, resolved_at = now(),
                  processing_since = NULL
            WHERE guild_id = $1 AND id = $2 AND status = ANY($7::text[])
        RETURNING *""",
        guild_id, ticket_id, status, decision, decided_by, staff_reason, list(from_statuses),
    )
    return row


async def channel_deleted(conn: Conn, guild_id: int, channel_id: int) -> asyncpg.Record | None:
    """Someone deleted a ticket's channel: an open ticket is cancelled, every one is closed."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """UPDATE verification_tickets
              SET status = CASE WHEN status = ANY($3::text[]) THEN 'closed_manual' ELSE status END,
                  decision = CASE WHEN status = ANY($3::text[]) THEN 'cancelled' ELSE decision END,
                  resolved_at = coalesce(resolved_at, now()),
                  closed_at = now(), processing_since = NULL
            WHERE guild_id = $1 AND channel_id = $2 AND closed_at IS NULL
        RETURNING *""",
        guild_id, channel_id, list(OPEN),
    )
    return row


# --- closing channels (the scheduler's due work) --------------------------------------------
_CLAIM_CLOSE = """
    UPDATE verification_tickets
       SET close_claimed_at = now()
     WHERE id IN (
           SELECT id FROM verification_tickets
            WHERE close_at <= $1 AND closed_at IS NULL
              AND (close_claimed_at IS NULL OR close_claimed_at < now() - make_interval(secs => $5))
              AND ((guild_id >> 22) % $2) = ANY($3::int[])
            ORDER BY close_at
              FOR UPDATE SKIP LOCKED
            LIMIT $4)
    RETURNING id, guild_id, channel_id, status
"""

_NEXT_CLOSE = """
    SELECT least(
           (SELECT min(close_at) FROM verification_tickets
             WHERE close_at IS NOT NULL AND closed_at IS NULL AND close_claimed_at IS NULL
               AND ((guild_id >> 22) % $1) = ANY($2::int[])),
           (SELECT min(close_claimed_at) FROM verification_tickets
             WHERE close_at IS NOT NULL AND closed_at IS NULL AND close_claimed_at IS NOT NULL
               AND ((guild_id >> 22) % $1) = ANY($2::int[]))
           + make_interval(secs => $3))
"""


async def claim_closing(conn: Conn, now: datetime, shard_count: int, shard_ids: list[int],
                        limit: int) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(_CLAIM_CLOSE, now, shard_count, shard_ids, limit, CLOSE_LEASE_SECONDS)
    return rows


async def next_closing(conn: Conn, shard_count: int, shard_ids: list[int]) -> datetime | None:
    value: datetime | None = await conn.fetchval(_NEXT_CLOSE, shard_count, shard_ids, CLOSE_LEASE_SECONDS)
    return value


async def mark_closed(conn: Conn, guild_id: int, ticket_id: int) -> None:
    await conn.execute(
        "UPDATE verification_tickets SET closed_at = now() WHERE guild_id = $1 AND id = $2",
        guild_id, ticket_id,
    )


async def cancel_open(conn: Conn, guild_id: int, user_id: int, close_delay: float) -> asyncpg.Record | None:
    """The member left: their open verification is cancelled and its channel closed."""
    row = await conn.fetchrow(
        """UPDATE verification_tickets
              SET status = 'closed_manual', decision = 'cancelled', resolved_at = now(),
                  processing_since = NULL, close_at = now() + make_interval(secs => $4)
            WHERE guild_id = $1 AND user_id = $2 AND status = ANY($3::text[])
        RETURNING *""",
        guild_id, user_id, list(OPEN), float(close_delay),
    )
    if row is not None:
        await notify_due(conn, CLOSE_CHANNEL)
    return row


# --- staff views --------------------------------------------------------------------------
async def waiting_for_staff(conn: Conn, guild_id: int, limit: int) -> tuple[list[asyncpg.Record], int]:
    """The oldest tickets waiting for a staff decision, and how many there are."""
    rows = await conn.fetch(
        "SELECT id, user_id, channel_id, status, review_cause, created_at FROM verification_tickets "
        "WHERE guild_id = $1 AND status = ANY($2::text[]) ORDER BY created_at, id LIMIT $3",
        guild_id, list(WITH_STAFF), limit,
    )
    total = await conn.fetchval(
        "SELECT count(*) FROM verification_tickets WHERE guild_id = $1 AND status = ANY($2::text[])",
        guild_id, list(WITH_STAFF),
    )
    return rows, total


async def review_queue(conn: Conn, guild_id: int, limit: int) -> list[asyncpg.Record]:
    """The dashboard's queue: the oldest tickets waiting for staff, with what the model said
    (its reason was sanitised before it was written) and whether the screenshot was reused."""
    return await conn.fetch(
        """SELECT id, user_id, channel_id, status, review_cause, created_at, ai_can_verify,
                  ai_needs_manual_review, ai_reason, duplicate_of_user
             FROM verification_tickets
            WHERE guild_id = $1 AND status = ANY($2::text[]) ORDER BY created_at, id LIMIT $3""",
        guild_id, list(WITH_STAFF), limit,
    )


async def waiting_everywhere(conn: Conn) -> int:
    """For the operator's health report: verifications waiting for staff, all guilds."""
    value: int = await conn.fetchval(
        "SELECT count(*) FROM verification_tickets WHERE status = ANY($1::text[])", list(WITH_STAFF))
    return value


@dataclass(frozen=True)
class Stats:
    counts: dict[str, int]
    verified: int
    auto_verified: int
    resolved: int
    median_seconds: float | None

    @property
    def auto_share(self) -> float | None:
        return self.auto_verified / self.verified if self.verified else None


async def stats(conn: Conn, guild_id: int, since: datetime | None) -> Stats:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM verification_tickets "
        "WHERE guild_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2) GROUP BY status",
        guild_id, since,
    )
    summary = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE status = 'verified') AS verified,
                  count(*) FILTER (WHERE status = 'verified' AND decision = 'auto') AS auto_verified,
                  count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at))
                      FILTER (WHERE resolved_at IS NOT NULL AND decision IS DISTINCT FROM 'cancelled')
                      AS median_seconds
             FROM verification_tickets
            WHERE guild_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2)""",
        guild_id, since,
    )
    assert summary is not None  # an aggregate always returns its row
    return Stats(
        counts={r["status"]: r["n"] for r in rows},
        verified=summary["verified"],
        auto_verified=summary["auto_verified"],
        resolved=summary["resolved"],
        median_seconds=float(summary["median_seconds"]) if summary["median_seconds"] is not None else None,
    )


# --- a person's data ----------------------------------------------------------------------
_EXPORTED = ("id", "guild_id", "channel_id", "status", "ai_can_verify", "ai_needs_manual_review", "ai_reason",
             "created_at", "resolved_at", "review_cause", "decision", "staff_reason")


async def user_tickets(conn: Conn, user_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT {', '.join(_EXPORTED)} FROM verification_tickets WHERE user_id = $1 ORDER BY id", user_id)
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in dict(r).items()} for r in rows
    ]


async def user_hashes(conn: Conn, user_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT guild_id, ticket_id, dhash, created_at FROM verification_image_hashes WHERE user_id = $1 "
        "ORDER BY id", user_id)
    return [
        {"guild_id": r["guild_id"], "ticket_id": r["ticket_id"], "perceptual_hash": f"{r['dhash'].to_int():064x}",
         "created_at": r["created_at"].isoformat()}
        for r in rows
    ]


async def forget(conn: Conn, user_id: int, guild_id: int | None) -> int:
    """Delete the person's hashes and tickets (in one guild, or everywhere)."""
    hashes = await conn.fetch(
        "DELETE FROM verification_image_hashes WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2) "
        "RETURNING id", user_id, guild_id)
    tickets = await conn.fetch(
        "DELETE FROM verification_tickets WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2) "
        "RETURNING id", user_id, guild_id)
    return len(hashes) + len(tickets)
