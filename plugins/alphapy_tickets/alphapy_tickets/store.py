"""Every SQL statement of the tickets plugin.

Each change of a ticket's status is ONE guarded UPDATE: the ``WHERE`` names the statuses
the change may start from (:data:`alphapy_tickets.lifecycle.TRANSITIONS`) and the guild, and
``RETURNING`` tells whether it happened. Two staff members clicking Claim at the same
moment therefore end with one owner: PostgreSQL serialises the two UPDATEs on the row, and
the second one, re-checking its ``WHERE`` against the committed row, matches nothing.

Every query of guild data filters by ``guild_id``; only the operator's all-guild metrics
and the data-subject hooks (``user_data``/``forget_user``, keyed by a person) do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from alphapy import notify_due
from alphapy_tickets.lifecycle import ACTIVE, COLUMNS, TRANSITIONS, Ticket

AUTOCLOSE_CHANNEL = "tickets_autoclose"
#: A ticket row whose channel is still being created counts against the member's limit for
#: this long; older ones are left-overs of a crash and are removed by :func:`purge_unopened`.
OPENING_GRACE = timedelta(minutes=2)
FORGOTTEN_DESCRIPTION = "[erased at the member's request]"

_ACTIVE = [str(s) for s in ACTIVE]


def _sources(action: str) -> list[str]:
    return sorted(str(s) for s in TRANSITIONS[action].sources)


def _ticket(record: asyncpg.Record | None) -> Ticket | None:
    return None if record is None else Ticket.from_record(record)


# --- opening ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OpenAttempt:
    """What :func:`open_ticket` did: a new ticket, or why not (the member's open tickets,
    or the time the cooldown ends)."""

    ticket: Ticket | None
    open_channels: list[int | None]
    retry_at: datetime | None


_MEMBER_STATE = """
    SELECT coalesce(array_agg(channel_id ORDER BY created_at)
                    FILTER (WHERE status = ANY($3::text[])
                              AND (channel_id IS NOT NULL OR created_at > now() - $4::interval)),
                    '{}') AS open_channels,
           max(created_at) AS last_opened
      FROM support_tickets
     WHERE guild_id = $1 AND user_id = $2
"""

_INSERT = f"""
    INSERT INTO support_tickets (guild_id, user_id, username, description, status, created_at, updated_at)
    VALUES ($1, $2, $3, $4, 'open', now(), now())
    RETURNING {COLUMNS}
"""


async def open_ticket(conn: asyncpg.Connection, *, guild_id: int, user_id: int, username: str,
                      description: str, max_open: int, cooldown: timedelta) -> OpenAttempt:
    """Insert a ticket unless the member is at ``max_open`` active tickets or in the cooldown.

    A transaction-scoped advisory lock per (guild, member) makes the check and the insert
    one step: two quick clicks cannot both get under the limit. The check runs as its own
    statement after the lock, so its snapshot sees what the previous holder committed.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('tickets.open:' || $1 || ':' || $2, 0))",
                           str(guild_id), str(user_id))
        state = await conn.fetchrow(_MEMBER_STATE, guild_id, user_id, _ACTIVE, OPENING_GRACE)
        assert state is not None
        open_channels = list(state["open_channels"])
        if len(open_channels) >= max_open:
            return OpenAttempt(None, open_channels, None)
        last = state["last_opened"]
        if last is not None and cooldown > timedelta(0):
            retry_at = last + cooldown
            now = await conn.fetchval("SELECT now()")
            if retry_at > now:
                return OpenAttempt(None, open_channels, retry_at)
        record = await conn.fetchrow(_INSERT, guild_id, user_id, username, description)
    return OpenAttempt(_ticket(record), open_channels, None)


async def member_open_channels(conn: Any, guild_id: int, user_id: int) -> tuple[list[int | None], datetime | None]:
    """The member's active tickets' channels and their last opening (a quick pre-check)."""
    state = await conn.fetchrow(_MEMBER_STATE, guild_id, user_id, _ACTIVE, OPENING_GRACE)
    return list(state["open_channels"]), state["last_opened"]


async def attach_channel(conn: Any, ticket_id: int, guild_id: int, channel_id: int, message_id: int) -> Ticket:
    record = await conn.fetchrow(
        f"UPDATE support_tickets SET channel_id = $3, message_id = $4, updated_at = now() "
        f"WHERE id = $1 AND guild_id = $2 RETURNING {COLUMNS}",
        ticket_id, guild_id, channel_id, message_id)
    assert record is not None, "a ticket being opened cannot disappear"
    return Ticket.from_record(record)


async def discard_unopened(conn: Any, ticket_id: int, guild_id: int) -> None:
    """Remove a ticket whose channel could not be created (it never existed for anyone)."""
    await conn.execute("DELETE FROM support_tickets WHERE id = $1 AND guild_id = $2 AND channel_id IS NULL",
                       ticket_id, guild_id)


async def purge_unopened(conn: Any) -> int:
    """Left-overs of a crash between the insert and the channel: tickets nobody can see."""
    status = await conn.execute(
        "DELETE FROM support_tickets WHERE channel_id IS NULL AND status = 'open' "
        "AND created_at < now() - $1::interval * 5", OPENING_GRACE)
    return int(status.split()[-1])


# --- reading ----------------------------------------------------------------------------

async def get(conn: Any, guild_id: int, ticket_id: int) -> Ticket | None:
    return _ticket(await conn.fetchrow(
        f"SELECT {COLUMNS} FROM support_tickets WHERE id = $1 AND guild_id = $2", ticket_id, guild_id))


async def by_channel(conn: Any, guild_id: int, channel_id: int) -> Ticket | None:
    return _ticket(await conn.fetchrow(
        f"SELECT {COLUMNS} FROM support_tickets WHERE channel_id = $1 AND guild_id = $2", channel_id, guild_id))


async def active_of_member(conn: Any, guild_id: int, user_id: int) -> list[Ticket]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM support_tickets WHERE guild_id = $1 AND user_id = $2 "
        f"AND status = ANY($3::text[]) ORDER BY id", guild_id, user_id, _ACTIVE)
    return [Ticket.from_record(r) for r in rows]


async def list_tickets(conn: Any, guild_id: int, statuses: list[str], limit: int) -> tuple[list[Ticket], int]:
    """The oldest ``limit`` tickets in these statuses (oldest first: they waited longest)."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS}, count(*) OVER () AS total FROM support_tickets "
        f"WHERE guild_id = $1 AND status = ANY($2::text[]) ORDER BY created_at, id LIMIT $3",
        guild_id, statuses, limit)
    return [Ticket.from_record(r) for r in rows], (rows[0]["total"] if rows else 0)


_SEARCH_WHERE = """guild_id = $1 AND status = ANY($2::text[])
               AND ($3::bigint IS NULL OR claimed_by = $3)
               AND (NOT $4::boolean OR claimed_by IS NULL)
               AND ($5::timestamptz IS NULL OR created_at < $5)"""


async def search_tickets(conn: Any, guild_id: int, statuses: list[str], *, claimed_by: int | None = None,
                         unclaimed: bool = False, opened_before: datetime | None = None, newest_first: bool = False,
                         limit: int = 50, offset: int = 0) -> tuple[list[Ticket], int]:
    """The dashboard's filtered list: tickets in these statuses, claimed by one person (or by
    nobody), opened before a moment; one page of them and how many match in all.

    Two statements rather than ``count(*) OVER ()``: the window would read every matching row
    in full before the LIMIT, where the page alone stops after ``limit`` rows of the index."""
    order = "created_at DESC, id DESC" if newest_first else "created_at, id"
    values = (guild_id, statuses, claimed_by, unclaimed, opened_before)
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM support_tickets WHERE {_SEARCH_WHERE} ORDER BY {order} LIMIT $6 OFFSET $7",
        *values, limit, offset)
    total = await conn.fetchval(f"SELECT count(*) FROM support_tickets WHERE {_SEARCH_WHERE}", *values)
    return [Ticket.from_record(r) for r in rows], int(total)


async def claimers(conn: Any, guild_id: int, limit: int = 100) -> list[int]:
    """Who has claimed tickets in this guild (the "claimed by" filter's choices)."""
    rows = await conn.fetch(
        "SELECT DISTINCT claimed_by FROM support_tickets WHERE guild_id = $1 AND claimed_by IS NOT NULL "
        "ORDER BY claimed_by LIMIT $2", guild_id, limit)
    return [r["claimed_by"] for r in rows]


# --- the guarded transitions ------------------------------------------------------------

async def claim(conn: Any, ticket_id: int, guild_id: int, staff_id: int) -> Ticket | None:
    return _ticket(await conn.fetchrow(
        f"""UPDATE support_tickets
               SET status = 'claimed', claimed_by = $3, claimed_at = now(), updated_at = now()
             WHERE id = $1 AND guild_id = $2 AND status = ANY($4::text[])
         RETURNING {COLUMNS}""",
        ticket_id, guild_id, staff_id, _sources("claim")))


async def ask_member(conn: Any, ticket_id: int, guild_id: int, staff_id: int,
                     autoclose_after: timedelta | None) -> Ticket | None:
    """Waiting for the member; whoever asks owns the ticket if nobody did (an escalated one)."""
    async with conn.transaction():
        ticket = _ticket(await conn.fetchrow(
            f"""UPDATE support_tickets
                   SET status = 'waiting_for_user', updated_at = now(),
                       claimed_by = coalesce(claimed_by, $3), claimed_at = coalesce(claimed_at, now()),
                       autoclose_at = now() + $4::interval
                 WHERE id = $1 AND guild_id = $2 AND status = ANY($5::text[])
             RETURNING {COLUMNS}""",
            ticket_id, guild_id, staff_id, autoclose_after, _sources("ask")))
        if ticket is not None and ticket.autoclose_at is not None:
            await notify_due(conn, AUTOCLOSE_CHANNEL)  # delivered at commit
    return ticket


async def member_replied(conn: Any, channel_id: int, guild_id: int, user_id: int) -> Ticket | None:
    return _ticket(await conn.fetchrow(
        f"""UPDATE support_tickets
               SET status = 'claimed', autoclose_at = NULL, updated_at = now()
             WHERE channel_id = $1 AND guild_id = $2 AND user_id = $3 AND status = 'waiting_for_user'
         RETURNING {COLUMNS}""",
        channel_id, guild_id, user_id))


async def escalate(conn: Any, ticket_id: int, guild_id: int, staff_id: int, role_id: int) -> Ticket | None:
    return _ticket(await conn.fetchrow(
        f"""UPDATE support_tickets
               SET status = 'escalated', escalated_to = $4, escalated_by = $3, escalated_at = now(),
                   autoclose_at = NULL, updated_at = now()
             WHERE id = $1 AND guild_id = $2 AND status = ANY($5::text[])
         RETURNING {COLUMNS}""",
        ticket_id, guild_id, staff_id, role_id, _sources("escalate")))


async def close(conn: Any, ticket_id: int, guild_id: int, closed_by: int | None, reason: str | None,
                sources: list[str] | None = None) -> Ticket | None:
    """Close from any active status (or only from ``sources``: auto-close needs waiting)."""
    return _ticket(await conn.fetchrow(
        f"""UPDATE support_tickets
               SET status = 'closed', closed_at = now(), closed_by = $3, close_reason = $4,
                   autoclose_at = NULL, updated_at = now()
             WHERE id = $1 AND guild_id = $2 AND status = ANY($5::text[])
         RETURNING {COLUMNS}""",
        ticket_id, guild_id, closed_by, reason, sources or _sources("close")))


async def archive(conn: Any, ticket_id: int, guild_id: int, staff_id: int) -> Ticket | None:
    return _ticket(await conn.fetchrow(
        f"""UPDATE support_tickets
               SET status = 'archived', archived_at = now(), archived_by = $3, updated_at = now()
             WHERE id = $1 AND guild_id = $2 AND status = 'closed'
         RETURNING {COLUMNS}""",
        ticket_id, guild_id, staff_id))


async def unarchive(conn: Any, ticket_id: int, guild_id: int, staff_id: int) -> None:
    """Undo :func:`archive` when the transcript could not be posted (nothing was deleted)."""
    await conn.execute(
        """UPDATE support_tickets SET status = 'closed', archived_at = NULL, archived_by = NULL, updated_at = now()
            WHERE id = $1 AND guild_id = $2 AND status = 'archived' AND archived_by = $3""",
        ticket_id, guild_id, staff_id)


async def channel_gone(conn: Any, guild_id: int, channel_id: int) -> Ticket | None:
    """The channel was deleted by hand: the ticket cannot go on; record it as archived."""
    return _ticket(await conn.fetchrow(
        f"""UPDATE support_tickets
               SET status = 'archived', archived_at = now(), updated_at = now(),
                   closed_at = coalesce(closed_at, now()),
                   close_reason = coalesce(close_reason, 'the ticket channel was deleted'),
                   autoclose_at = NULL
             WHERE channel_id = $1 AND guild_id = $2 AND status <> 'archived'
         RETURNING {COLUMNS}""",
        channel_id, guild_id))


# --- auto-close (the scheduler's due-work loop) -------------------------------------------

_CLAIM_AUTOCLOSE = """
    UPDATE support_tickets SET autoclose_at = NULL
     WHERE id IN (SELECT id FROM support_tickets
                   WHERE status = 'waiting_for_user' AND autoclose_at <= $1
                     AND ((guild_id >> 22) % $2) = ANY($3::int[])
                   ORDER BY autoclose_at
                     FOR UPDATE SKIP LOCKED
                   LIMIT $4)
    RETURNING id, guild_id
"""

_NEXT_AUTOCLOSE = """
    SELECT min(autoclose_at) FROM support_tickets
     WHERE status = 'waiting_for_user' AND autoclose_at IS NOT NULL
       AND ((guild_id >> 22) % $1) = ANY($2::int[])
"""


async def claim_autoclose(conn: Any, now: datetime, shard_count: int, shard_ids: list[int],
                          limit: int) -> list[asyncpg.Record]:
    """Take due auto-closes (at most once: the mark is cleared; the close itself is guarded)."""
    rows: list[asyncpg.Record] = await conn.fetch(_CLAIM_AUTOCLOSE, now, shard_count, shard_ids, limit)
    return rows


async def next_autoclose(conn: Any, shard_count: int, shard_ids: list[int]) -> datetime | None:
    value: datetime | None = await conn.fetchval(_NEXT_AUTOCLOSE, shard_count, shard_ids)
    return value


# --- summaries --------------------------------------------------------------------------

async def insert_summary(conn: Any, ticket: Ticket, summary: str, similarity_key: str | None) -> dict[str, Any] | None:
    """Store the summary (once per ticket); None when the ticket already had one."""
    record = await conn.fetchrow(
        """INSERT INTO ticket_summaries (ticket_id, guild_id, summary, similarity_key, created_at)
           SELECT id, guild_id, $3, $4, now() FROM support_tickets WHERE id = $1 AND guild_id = $2
           ON CONFLICT (ticket_id) DO NOTHING
           RETURNING id, ticket_id, guild_id, summary, similarity_key, created_at""",
        ticket.id, ticket.guild_id, summary, similarity_key)
    return None if record is None else dict(record)


async def summary_of(conn: Any, guild_id: int, ticket_id: int) -> dict[str, Any] | None:
    record = await conn.fetchrow(
        "SELECT id, ticket_id, guild_id, summary, similarity_key, created_at FROM ticket_summaries "
        "WHERE ticket_id = $1 AND guild_id = $2", ticket_id, guild_id)
    return None if record is None else dict(record)


# --- metrics ----------------------------------------------------------------------------

# One pass over the window: per status, how many, and the open-to-close durations of the
# closed ones. The (guild_id, created_at) INCLUDE (status, closed_at) index serves the
# guild form as an index-only scan. Separate statements for one guild and for all, rather
# than "guild_id = $n OR $n IS NULL", which would keep a prepared statement's generic plan
# from using the guild index.
_BY_STATUS = """
    SELECT status, count(*) AS tickets, count(closed_at) AS closed,
           sum(extract(epoch FROM closed_at - created_at)) AS cycle_seconds,
           min(created_at) AS first_created
      FROM support_tickets
     WHERE {where}
     GROUP BY status
"""
_DAILY = """
    SELECT (created_at AT TIME ZONE $2)::date AS day, count(*) AS tickets
      FROM support_tickets
     WHERE {where}
     GROUP BY 1 ORDER BY 1
"""
_BY_STATUS_GUILD = _BY_STATUS.format(where="guild_id = $2 AND created_at >= $1")
_BY_STATUS_ALL = _BY_STATUS.format(where="created_at >= $1")
_DAILY_GUILD = _DAILY.format(where="guild_id = $3 AND created_at >= $1")
_DAILY_ALL = _DAILY.format(where="created_at >= $1")


async def metrics_rows(conn: Any, guild_id: int | None, since: datetime, *,
                       daily_timezone: str | None) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Per-status aggregates (and tickets per local day when ``daily_timezone`` is given)
    of the tickets created since ``since``, in one guild or (``guild_id`` None) in all."""
    if guild_id is None:
        by_status = await conn.fetch(_BY_STATUS_ALL, since)
        daily = await conn.fetch(_DAILY_ALL, since, daily_timezone) if daily_timezone else []
    else:
        by_status = await conn.fetch(_BY_STATUS_GUILD, since, guild_id)
        daily = await conn.fetch(_DAILY_GUILD, since, daily_timezone, guild_id) if daily_timezone else []
    return by_status, daily


async def insert_metrics(conn: Any, *, guild_id: int | None, scope: str, counts: dict[str, int],
                         average_cycle_time: int | None, snapshot: dict[str, Any],
                         triggered_by: int | None) -> asyncpg.Record:
    row: asyncpg.Record | None = await conn.fetchrow(
        """INSERT INTO ticket_metrics (guild_id, scope, counts, average_cycle_time, snapshot, triggered_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, now()) RETURNING id, created_at""",
        guild_id, scope, counts, average_cycle_time, snapshot, triggered_by)
    assert row is not None  # the statement returns its row or raises
    return row


async def recent_metrics(conn: Any, guild_id: int, scope: str, limit: int) -> list[dict[str, Any]]:
    """A guild's latest stored snapshots of one scope, newest first (the dashboard's statistics)."""
    rows = await conn.fetch(
        "SELECT id, scope, counts, average_cycle_time, snapshot, triggered_by, created_at FROM ticket_metrics "
        "WHERE guild_id = $1 AND scope = $2 ORDER BY created_at DESC, id DESC LIMIT $3", guild_id, scope, limit)
    return [dict(r) for r in rows]


# --- people (data subject requests) ---------------------------------------------------------

def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


async def user_data(conn: Any, user_id: int) -> dict[str, Any] | None:
    """Tickets the person opened (with their summaries), tickets they worked on as staff,
    and the statistics snapshots they asked for; JSON-ready."""
    opened = await conn.fetch(
        f"""SELECT {COLUMNS}, (SELECT summary FROM ticket_summaries s WHERE s.ticket_id = t.id) AS summary
              FROM support_tickets t WHERE user_id = $1 ORDER BY id""", user_id)
    worked = await conn.fetch(
        """SELECT id, guild_id, status,
                  claimed_by = $1 AS claimed, escalated_by = $1 AS escalated,
                  closed_by = $1 AS closed, archived_by = $1 AS archived
             FROM support_tickets
            WHERE $1 IN (claimed_by, escalated_by, closed_by, archived_by) ORDER BY id""", user_id)
    snapshots = await conn.fetch(
        "SELECT id, guild_id, scope, created_at FROM ticket_metrics WHERE triggered_by = $1 ORDER BY id", user_id)
    if not (opened or worked or snapshots):
        return None
    tickets = []
    for row in opened:
        ticket = Ticket.from_record(row).as_dict()
        ticket["summary"] = row["summary"]
        tickets.append(_jsonable(ticket))
    return {
        "tickets_opened": tickets,
        "tickets_worked_on": [{k: v for k, v in row.items() if v not in (None, False)} for row in worked],
        "stats_snapshots_requested": [_jsonable(dict(r)) for r in snapshots],
    }


async def forget_user(conn: Any, user_id: int, guild_id: int | None) -> int:
    """Anonymise what the plugin holds on a person; returns the rows changed.

    Tickets are kept (other people worked on them, and guild statistics count them), but the
    person's id, name, description and close reason are erased and their AI summaries
    deleted; where they were the staff member, their id is removed from the ticket.
    """
    async with conn.transaction():
        summaries = await conn.execute(
            """DELETE FROM ticket_summaries WHERE ticket_id IN (
                   SELECT id FROM support_tickets WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2))""",
            user_id, guild_id)
        opened = await conn.execute(
            """UPDATE support_tickets SET user_id = 0, username = NULL, description = $3, close_reason = NULL
                WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2)""",
            user_id, guild_id, FORGOTTEN_DESCRIPTION)
        worked = await conn.execute(
            """UPDATE support_tickets
                  SET claimed_by = nullif(claimed_by, $1), escalated_by = nullif(escalated_by, $1),
                      closed_by = nullif(closed_by, $1), archived_by = nullif(archived_by, $1)
                WHERE $1 IN (claimed_by, escalated_by, closed_by, archived_by)
                  AND ($2::bigint IS NULL OR guild_id = $2)""",
            user_id, guild_id)
        snapshots = await conn.execute(
            """UPDATE ticket_metrics SET triggered_by = NULL
                WHERE triggered_by = $1 AND ($2::bigint IS NULL OR guild_id = $2)""",
            user_id, guild_id)
    return sum(int(status.split()[-1]) for status in (summaries, opened, worked, snapshots))

