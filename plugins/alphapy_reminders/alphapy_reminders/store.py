"""Every SQL statement of the reminders plugin, in one place.

Every statement is parameterised, and every statement on one guild's data filters by
``guild_id``, so that an id from another server finds nothing. Writes that make a
reminder due earlier send ``NOTIFY reminders_due`` inside their transaction, so every
bot process's delivery loop wakes at commit (and not at all on rollback).

Delivery is claimed the way ``docs/scheduler.md`` describes: a lease (``claimed_at``)
taken with ``FOR UPDATE SKIP LOCKED`` for the guilds of this process's shards. A process
that dies after claiming leaves the lease to expire after :data:`LEASE`; another process
then claims the same occurrence again and sends it with the same nonce, which Discord
drops as a repeat (see :mod:`.delivery`).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

import asyncpg

from alphapy import notify_due

CHANNEL = "reminders_due"
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
#: How long a claim protects a row. Well above one batch's sending time (a batch of 50 at
#: Discord's 50 requests/s takes about a second), and well below the few minutes Discord
#: remembers a nonce, so that a retry after a crash is still recognised as a repeat.
LEASE = timedelta(seconds=60)

# What delivery and listings read of a reminder.
_COLUMNS = """
    id, guild_id, name, channel_id, time, call_time, days, message, created_by,
    origin_channel_id, origin_message_id, event_time, location, last_sent_at, image_url,
    next_fire_at, paused, disabled_reason, mention_role_id, ack_message_id,
    EXISTS (SELECT 1 FROM reminder_images i WHERE i.reminder_id = reminders.id) AS has_image
"""

# ---------------------------------------------------------------------------------------
# Delivery: claim, next due, record
# ---------------------------------------------------------------------------------------

CLAIM = f"""
    UPDATE reminders
       SET claimed_at = now(), claimed_by = $5
     WHERE id IN (
           SELECT id FROM reminders
            WHERE next_fire_at <= $1
              AND (claimed_at IS NULL OR claimed_at < now() - $6::interval)
              AND ((guild_id >> 22) % $2) = ANY($3::int[])
            ORDER BY next_fire_at
              FOR UPDATE SKIP LOCKED
            LIMIT $4)
    RETURNING {_COLUMNS}
"""

# The earliest time CLAIM would return something: the first unclaimed due time, or the
# first lease to expire. Two min() sub-selects, each an index scan of a partial index.
NEXT_DUE = """
    SELECT least(
           (SELECT min(next_fire_at) FROM reminders
             WHERE next_fire_at IS NOT NULL AND claimed_at IS NULL
               AND ((guild_id >> 22) % $1) = ANY($2::int[])),
           (SELECT min(claimed_at) FROM reminders
             WHERE claimed_at IS NOT NULL AND next_fire_at IS NOT NULL
               AND ((guild_id >> 22) % $1) = ANY($2::int[])) + $3::interval)
"""


async def claim_due(conn: asyncpg.Connection, now: datetime, shard_count: int, shard_ids: list[int],
                    limit: int) -> list[asyncpg.Record]:
    """Claim up to ``limit`` due reminders of this process's shards (the DueWork claim)."""
    return await conn.fetch(CLAIM, now, shard_count, shard_ids, limit, WORKER_ID, LEASE)


async def next_due(conn: asyncpg.Connection, shard_count: int, shard_ids: list[int]) -> datetime | None:
    """When the claim will next find something (the DueWork ``next_due``)."""
    value: datetime | None = await conn.fetchval(NEXT_DUE, shard_count, shard_ids, LEASE)
    return value


async def mark_sent(conn: Any, guild_id: int, reminder_id: int, occurrence: datetime, sent_at: datetime,
                    next_fire_at: datetime | None) -> bool:
    """Record a sent occurrence and move to the next one; False when the row moved meanwhile
    (edited, deleted, or already recorded by another process)."""
    done = await conn.fetchval(
        """UPDATE reminders
              SET last_sent_at = $4, next_fire_at = $5, claimed_at = NULL, claimed_by = NULL
            WHERE id = $1 AND guild_id = $2 AND next_fire_at = $3
        RETURNING id""",
        reminder_id, guild_id, occurrence, sent_at, next_fire_at,
    )
    return done is not None


async def mark_skipped(conn: Any, guild_id: int, reminder_id: int, occurrence: datetime,
                       next_fire_at: datetime | None) -> bool:
    """Skip a stale occurrence (missed by more than the grace period) without sending it."""
    done = await conn.fetchval(
        """UPDATE reminders SET next_fire_at = $4, claimed_at = NULL, claimed_by = NULL
            WHERE id = $1 AND guild_id = $2 AND next_fire_at = $3
        RETURNING id""",
        reminder_id, guild_id, occurrence, next_fire_at,
    )
    return done is not None


async def disable(conn: Any, guild_id: int, reminder_id: int, occurrence: datetime, reason: str) -> bool:
    """Stop delivering a reminder Discord refuses (deleted channel, missing permission).

    True only for the call that disabled it, so the creator is told once; a row that was
    already disabled keeps its first reason and loses its schedule all the same.
    """
    return bool(await conn.fetchval(
        """WITH before AS (
               SELECT id, disabled_reason FROM reminders
                WHERE id = $1 AND guild_id = $2 AND next_fire_at = $3 FOR UPDATE)
           UPDATE reminders r
              SET disabled_reason = coalesce(before.disabled_reason, $4), next_fire_at = NULL,
                  claimed_at = NULL, claimed_by = NULL, updated_at = now()
             FROM before
            WHERE r.id = before.id
        RETURNING before.disabled_reason IS NULL""",
        reminder_id, guild_id, occurrence, reason[:300],
    ))


async def release(conn: Any, guild_id: int, reminder_id: int, occurrence: datetime) -> None:
    """Give a claim back unsent (this process is stopping), for another process to take at once."""
    await conn.execute(
        "UPDATE reminders SET claimed_at = NULL, claimed_by = NULL WHERE id = $1 AND guild_id = $2 AND next_fire_at = $3",
        reminder_id, guild_id, occurrence,
    )
    await notify_due(conn, CHANNEL)


async def image_of(conn: Any, guild_id: int, reminder_id: int) -> asyncpg.Record | None:
    """The kept bytes of a reminder's image (``filename``, ``content_type``, ``data``)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT filename, content_type, data FROM reminder_images WHERE reminder_id = $1 AND guild_id = $2",
        reminder_id, guild_id,
    )
    return row


# ---------------------------------------------------------------------------------------
# Commands: add, read, edit, delete, pause
# ---------------------------------------------------------------------------------------

async def count_for_guild(conn: Any, guild_id: int) -> int:
    value: int = await conn.fetchval("SELECT count(*) FROM reminders WHERE guild_id = $1", guild_id)
    return value


async def add_recurring(
    conn: asyncpg.Connection, *, guild_id: int, name: str, channel_id: int, at: time, call_time: time,
    days: Sequence[str], message: str | None, created_by: int, mention_role_id: int | None,
    image_url: str | None, next_fire_at: datetime,
) -> int:
    """Insert a recurring reminder and wake the delivery loops (call inside a transaction)."""
    reminder_id: int = await conn.fetchval(
        """INSERT INTO reminders (guild_id, name, channel_id, time, call_time, days, message, created_by,
                                  mention_role_id, image_url, next_fire_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        RETURNING id""",
        guild_id, name, channel_id, at, call_time, list(days), message, created_by, mention_role_id,
        image_url, next_fire_at,
    )
    await notify_due(conn, CHANNEL)
    return reminder_id


async def put_image(conn: Any, guild_id: int, reminder_id: int, filename: str, content_type: str,
                    data: bytes) -> None:
    """Keep (or replace) a reminder's image bytes."""
    await conn.execute(
        """INSERT INTO reminder_images (reminder_id, guild_id, filename, content_type, data)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (reminder_id) DO UPDATE
              SET filename = EXCLUDED.filename, content_type = EXCLUDED.content_type, data = EXCLUDED.data""",
        reminder_id, guild_id, filename, content_type, data,
    )


async def drop_image(conn: Any, guild_id: int, reminder_id: int) -> None:
    await conn.execute("DELETE FROM reminder_images WHERE reminder_id = $1 AND guild_id = $2",
                       reminder_id, guild_id)


async def get(conn: Any, guild_id: int, reminder_id: int) -> asyncpg.Record | None:
    """One reminder of this guild, or None (also for another guild's id)."""
    row: asyncpg.Record | None = await conn.fetchrow(f"SELECT {_COLUMNS} FROM reminders WHERE id = $1 AND guild_id = $2",
                               reminder_id, guild_id)
    return row


async def page(conn: Any, guild_id: int, offset: int, limit: int) -> tuple[int, list[asyncpg.Record]]:
    """A page of the guild's reminders in creation order, with the total count."""
    total = await count_for_guild(conn, guild_id)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM reminders WHERE guild_id = $1 ORDER BY id LIMIT $2 OFFSET $3",
        guild_id, limit, offset,
    )
    return total, rows


STATES = ("all", "scheduled", "paused", "stopped", "sent")
"""The dashboard's state filter: every reminder, or those with a next time, paused, stopped
by the bot (Discord refused them), or events whose reminder went out."""
KINDS = ("all", "recurring", "event")


async def filtered_page(conn: Any, guild_id: int, *, state: str, kind: str, offset: int,
                        limit: int) -> tuple[int, list[asyncpg.Record]]:
    """A page of the guild's reminders for the dashboard, soonest first (the rest after, in
    creation order), with how many match. ``state`` and ``kind`` are values of
    :data:`STATES` and :data:`KINDS` (the page refuses others before asking)."""
    where = """guild_id = $1
           AND ($2 = 'all'
                OR ($2 = 'scheduled' AND next_fire_at IS NOT NULL)
                OR ($2 = 'paused' AND paused)
                OR ($2 = 'stopped' AND disabled_reason IS NOT NULL)
                OR ($2 = 'sent' AND next_fire_at IS NULL AND NOT paused AND disabled_reason IS NULL))
           AND ($3 = 'all' OR ($3 = 'event') = (event_time IS NOT NULL))"""
    total = await conn.fetchval(f"SELECT count(*) FROM reminders WHERE {where}", guild_id, state, kind)
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM reminders WHERE {where} ORDER BY next_fire_at NULLS LAST, id LIMIT $4 OFFSET $5",
        guild_id, state, kind, limit, offset,
    )
    return total, rows


async def search(conn: Any, guild_id: int, text: str, limit: int = 25) -> list[asyncpg.Record]:
    """Reminders whose name contains ``text``, or whose number it is (autocomplete), newest first."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, name, event_time IS NOT NULL AS one_off FROM reminders
            WHERE guild_id = $1 AND (name ILIKE $2 OR id::text = $4) ORDER BY id DESC LIMIT $3""",
        guild_id, pattern, limit, text.strip(),
    )
    return rows


async def save(
    conn: asyncpg.Connection, *, guild_id: int, reminder_id: int, name: str, channel_id: int, at: time | None,
    call_time: time | None, days: Sequence[str], message: str | None, mention_role_id: int | None,
    image_url: str | None, next_fire_at: datetime | None,
) -> bool:
    """Write an edited reminder back (whole), drop any lease on the old occurrence, and wake
    the delivery loops. False when it does not exist in this guild."""
    done = await conn.fetchval(
        """UPDATE reminders
              SET name = $3, channel_id = $4, time = $5, call_time = $6, days = $7, message = $8,
                  mention_role_id = $9, image_url = $10, next_fire_at = $11,
                  claimed_at = NULL, claimed_by = NULL, updated_at = now()
            WHERE id = $1 AND guild_id = $2
        RETURNING id""",
        reminder_id, guild_id, name, channel_id, at, call_time, list(days), message, mention_role_id,
        image_url, next_fire_at,
    )
    if done is not None:
        await notify_due(conn, CHANNEL)
    return done is not None


async def set_schedule(conn: asyncpg.Connection, guild_id: int, reminder_id: int, *, paused: bool,
                       next_fire_at: datetime | None) -> bool:
    """Pause (``next_fire_at`` None) or resume a reminder; resuming also clears a disabled state."""
    done = await conn.fetchval(
        """UPDATE reminders
              SET paused = $3, next_fire_at = $4, disabled_reason = CASE WHEN $3 THEN disabled_reason END,
                  claimed_at = NULL, claimed_by = NULL, updated_at = now()
            WHERE id = $1 AND guild_id = $2
        RETURNING id""",
        reminder_id, guild_id, paused, next_fire_at,
    )
    if done is not None and next_fire_at is not None:
        await notify_due(conn, CHANNEL)
    return done is not None


async def delete(conn: Any, guild_id: int, reminder_id: int) -> asyncpg.Record | None:
    """Delete one reminder of this guild; its image goes with it (ON DELETE CASCADE)."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "DELETE FROM reminders WHERE id = $1 AND guild_id = $2 RETURNING id, name, ack_message_id, origin_channel_id",
        reminder_id, guild_id,
    )
    return row


# ---------------------------------------------------------------------------------------
# One-off events from announcements
# ---------------------------------------------------------------------------------------

async def upsert_event(
    conn: asyncpg.Connection, *, guild_id: int, origin_channel_id: int, origin_message_id: int, name: str,
    channel_id: int, event_time: datetime, call_time: time, at: time, location: str | None,
    created_by: int, mention_role_id: int | None, next_fire_at: datetime,
) -> tuple[int, bool, bool]:
    """Create the event of an announcement, or update it after the announcement was edited.

    Returns ``(id, created, moved)``. A changed start re-arms the reminder (also after it
    was sent: the event moved, so members need the new time); an edit that keeps the start
    keeps the schedule, so nothing is sent twice. A paused reminder stays paused.
    """
    before = await conn.fetchval(
        "SELECT event_time FROM reminders WHERE guild_id = $1 AND origin_message_id = $2 FOR UPDATE",
        guild_id, origin_message_id,
    )
    row = await conn.fetchrow(
        """INSERT INTO reminders (guild_id, origin_channel_id, origin_message_id, name, channel_id, event_time,
                                  call_time, time, days, location, created_by, mention_role_id, next_fire_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}', $9, $10, $11, $12)
           ON CONFLICT (guild_id, origin_message_id) WHERE origin_message_id IS NOT NULL DO UPDATE
              SET name = EXCLUDED.name, location = EXCLUDED.location,
                  event_time = EXCLUDED.event_time, call_time = EXCLUDED.call_time, time = EXCLUDED.time,
                  next_fire_at = CASE
                      WHEN reminders.paused OR reminders.disabled_reason IS NOT NULL THEN NULL
                      WHEN reminders.event_time IS DISTINCT FROM EXCLUDED.event_time THEN EXCLUDED.next_fire_at
                      ELSE reminders.next_fire_at END,
                  claimed_at = CASE WHEN reminders.event_time IS DISTINCT FROM EXCLUDED.event_time
                                    THEN NULL ELSE reminders.claimed_at END,
                  updated_at = now()
        RETURNING id, (xmax = 0) AS created""",
        guild_id, origin_channel_id, origin_message_id, name, channel_id, event_time, call_time, at,
        location, created_by, mention_role_id, next_fire_at,
    )
    moved = before is not None and before != event_time
    assert row is not None  # an upsert returns its row
    if row["created"] or moved:
        await notify_due(conn, CHANNEL)
    return row["id"], row["created"], moved


async def same_event_exists(conn: Any, guild_id: int, name: str, event_time: datetime) -> bool:
    """Whether this guild already has an event of that name (letters and digits compared) at
    that instant: a cross-post, or another bot's reminder of it, makes no second reminder."""
    value: bool = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM reminders
                           WHERE guild_id = $1 AND event_time = $3
                             AND regexp_replace(lower(name), '[^[:alnum:]]', '', 'g')
                                 = regexp_replace(lower($2), '[^[:alnum:]]', '', 'g'))""",
        guild_id, name, event_time,
    )
    return value


async def event_of(conn: Any, guild_id: int, origin_message_id: int) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM reminders WHERE guild_id = $1 AND origin_message_id = $2",
        guild_id, origin_message_id,
    )
    return row


async def set_ack(conn: Any, guild_id: int, reminder_id: int, ack_message_id: int) -> None:
    await conn.execute("UPDATE reminders SET ack_message_id = $3 WHERE id = $1 AND guild_id = $2",
                       reminder_id, guild_id, ack_message_id)


async def delete_by_origin(conn: Any, guild_id: int, origin_message_ids: Sequence[int]) -> list[asyncpg.Record]:
    """Delete the events of deleted announcements; returns what the acknowledgements need."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """DELETE FROM reminders WHERE guild_id = $1 AND origin_message_id = ANY($2::bigint[])
        RETURNING id, name, origin_channel_id, ack_message_id""",
        guild_id, list(origin_message_ids),
    )
    return rows


async def purge_past_events(conn: Any, before: datetime) -> int:
    """Maintenance across all guilds: forget one-off events that ended before ``before``."""
    result = await conn.execute(
        "DELETE FROM reminders WHERE event_time < $1 AND next_fire_at IS NULL", before)
    return int(result.split()[-1])


# ---------------------------------------------------------------------------------------
# People's data, health, operators
# ---------------------------------------------------------------------------------------

async def created_by(conn: Any, user_id: int) -> list[asyncpg.Record]:
    """Everything a person created, in every guild (data subject access)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """SELECT id, guild_id, name, channel_id, days, time, call_time, message, event_time, location,
                  image_url, created_at, last_sent_at
             FROM reminders WHERE created_by = $1 ORDER BY guild_id, id""",
        user_id,
    )
    return rows


async def forget_creator(conn: Any, user_id: int, guild_id: int | None) -> int:
    """Anonymise a person's reminders and delete the images they uploaded (the reminders are
    the guild's; who made them, and their pictures, are theirs). Returns the records changed."""
    row = await conn.fetchrow(
        """WITH theirs AS (
               UPDATE reminders SET created_by = NULL, updated_at = now()
                WHERE created_by = $1 AND ($2::bigint IS NULL OR guild_id = $2)
            RETURNING id),
           images AS (
               DELETE FROM reminder_images WHERE reminder_id IN (SELECT id FROM theirs) RETURNING 1)
           SELECT (SELECT count(*) FROM theirs) AS reminders, (SELECT count(*) FROM images) AS images""",
        user_id, guild_id,
    )
    assert row is not None  # an aggregate always returns its row
    removed: int = row["reminders"] + row["images"]
    return removed


async def health_counts(conn: Any, overdue_before: datetime) -> asyncpg.Record:
    """Scheduled, overdue (due before ``overdue_before`` and still unsent) and disabled counts."""
    row: asyncpg.Record | None = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM reminders WHERE next_fire_at IS NOT NULL) AS scheduled,
                  (SELECT count(*) FROM reminders WHERE next_fire_at < $1) AS overdue,
                  (SELECT count(*) FROM reminders WHERE disabled_reason IS NOT NULL) AS disabled""",
        overdue_before,
    )
    assert row is not None  # the statement returns its row or raises
    return row


async def all_for_guild(conn: Any, guild_id: int) -> list[asyncpg.Record]:
    """Every reminder of a guild (the ``alphapy reminders list`` command)."""
    rows: list[asyncpg.Record] = await conn.fetch(f"SELECT {_COLUMNS} FROM reminders WHERE guild_id = $1 ORDER BY id", guild_id)
    return rows
