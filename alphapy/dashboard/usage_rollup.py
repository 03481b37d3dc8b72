"""Usage counts from hours rolled up once, so a cold overview does not count a month of rows.

Whole UTC hours that closed more than ``GRACE`` ago are counted from ``audit_logs`` once per
guild into ``dashboard_usage_hours`` (migration ``core_0005_dashboard_usage``) when a page
first needs them, and reused by every process and after a restart. A page then reads those
hours and counts raw rows only where an hour cannot answer: the open hours, hours cut by a
bucket edge (a zone 5:30 from UTC), and hours outside the rolled range. So the numbers stay
those of a direct count. Rolled hours older than the guild's oldest remaining audit row are
not read (retention deleted their rows), and rolled hours beyond ``KEEP`` are deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from alphapy.dashboard.store import Counts

HOUR = timedelta(hours=1)
GRACE = timedelta(minutes=5)  # the tracker writes in batches, shortly after each command
KEEP = timedelta(days=32)  # the longest period (30 days) and a day of local offsets

STATE_SQL = """
SELECT r.rolled_from, r.rolled_until,
       (SELECT min(created_at) FROM audit_logs WHERE guild_id = $1) AS oldest
FROM (SELECT 1) AS one LEFT JOIN dashboard_usage_rollups r ON r.guild_id = $1
"""
ROLL_SQL = """
INSERT INTO dashboard_usage_hours (guild_id, hour, command_name, uses, ok)
SELECT $1, to_timestamp(floor(extract(epoch FROM created_at) / 3600) * 3600), command_name,
       count(*), count(*) FILTER (WHERE success)
FROM audit_logs
WHERE guild_id = $1 AND created_at >= $2 AND created_at < $3
GROUP BY 2, 3
ON CONFLICT (guild_id, hour, command_name) DO UPDATE SET uses = EXCLUDED.uses, ok = EXCLUDED.ok
"""
MARK_SQL = """
INSERT INTO dashboard_usage_rollups (guild_id, rolled_from, rolled_until) VALUES ($1, $2, $3)
ON CONFLICT (guild_id) DO UPDATE SET rolled_from = EXCLUDED.rolled_from, rolled_until = EXCLUDED.rolled_until
"""
# one roller per guild at a time (two processes' upserts of the same hours could deadlock)
LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtextextended('alphapy.dashboard_usage:' || $1::bigint, 0))"
PRUNE_SQL = "DELETE FROM dashboard_usage_hours WHERE guild_id = $1 AND hour < $2"
INFINITY = datetime.max.replace(tzinfo=UTC)
ROLLED_SQL = """
SELECT width_bucket(hour, $2::timestamptz[]) AS bucket, command_name, sum(uses)::bigint AS uses, sum(ok)::bigint AS ok
FROM dashboard_usage_hours
WHERE guild_id = $1 AND hour >= $3 AND hour < $4 AND NOT (hour = ANY($5::timestamptz[]))
GROUP BY bucket, command_name
"""
RAW_SQL = """
SELECT width_bucket(a.created_at, $2::timestamptz[]) AS bucket, a.command_name,
       count(*) AS uses, count(*) FILTER (WHERE a.success) AS ok
FROM unnest($3::timestamptz[], $4::timestamptz[]) AS r(lo, hi)
JOIN audit_logs a ON a.guild_id = $1 AND a.created_at >= r.lo AND a.created_at < r.hi
GROUP BY bucket, a.command_name
"""


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floored = floor_hour(moment)
    return floored if floored == moment else floored + HOUR


async def rolled_range(db: Any, guild_id: int, now: datetime) -> tuple[datetime, datetime] | None:
    """The hours of ``guild_id`` that can be read from the rollup, rolling what closed since
    the last call; None when the guild has no usage at all."""
    until = floor_hour(now - GRACE)
    async with db.acquire() as conn:
        state = await conn.fetchrow(STATE_SQL, guild_id)
        if state["oldest"] is None:
            return None
        start, done = state["rolled_from"], state["rolled_until"]
        wanted_from = until - KEEP
        fresh = start is None or done < wanted_from or done > until
        if fresh:
            start = done = wanted_from  # first time, or idle for longer than kept: roll it all
        if done < until:
            async with conn.transaction():
                await conn.execute(LOCK_SQL, guild_id)
                if fresh:
                    await conn.execute(PRUNE_SQL, guild_id, INFINITY)
                await conn.execute(ROLL_SQL, guild_id, done, until)
                if start < wanted_from:
                    await conn.execute(PRUNE_SQL, guild_id, wanted_from)
                    start = wanted_from
                await conn.execute(MARK_SQL, guild_id, start, until)
            done = until
    return max(start, ceil_hour(state["oldest"])), done


def _plan(edges: Sequence[datetime], rolled: tuple[datetime, datetime] | None
          ) -> tuple[datetime, datetime, list[datetime], list[tuple[datetime, datetime]]]:
    """(first rolled hour, end of rolled hours, hours an edge cuts, raw intervals)."""
    first, last = edges[0], edges[-1]
    if rolled is None:
        return first, first, [], [(first, last)]
    lo = max(ceil_hour(first), rolled[0])
    hi = min(floor_hour(last), rolled[1])
    if hi <= lo:
        return first, first, [], [(first, last)]
    cut = sorted({floor_hour(e) for e in edges if lo <= floor_hour(e) < hi and floor_hour(e) != e})
    raw = [(first, lo), *((h, h + HOUR) for h in cut), (hi, last)]
    merged: list[tuple[datetime, datetime]] = []
    for start, end in raw:
        if end <= start:
            continue
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return lo, hi, cut, merged


async def counts(db: Any, guild_id: int, edges: Sequence[datetime]) -> Counts:
    """What :func:`alphapy.dashboard.store.counts` answers, from rolled hours where they can
    (rolled by the real clock: ``edges`` may be anywhere in time)."""
    found: Counts = {}
    if len(edges) < 2:
        return found
    rolled = await rolled_range(db, guild_id, datetime.now(UTC))
    lo, hi, cut, raw = _plan(edges, rolled)
    rows = []
    if hi > lo:
        rows += await db.fetch(ROLLED_SQL, guild_id, list(edges), lo, hi, cut)
    if raw:
        rows += await db.fetch(RAW_SQL, guild_id, list(edges), [a for a, _ in raw], [b for _, b in raw])
    for row in rows:
        commands = found.setdefault(row["bucket"] - 1, {})
        uses, ok = commands.get(row["command_name"], (0, 0))
        commands[row["command_name"]] = (uses + int(row["uses"]), ok + int(row["ok"]))
    return found
