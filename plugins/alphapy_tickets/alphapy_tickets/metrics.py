"""Ticket statistics: counts per status, average open-to-close time, tickets per day.

A snapshot covers the tickets *opened* in its window (7 days, 30 days or all time), so the
three numbers describe the same set: how many came in, where they stand now, and how long
the closed ones took. Each snapshot is stored in ``ticket_metrics`` (``guild_id`` set for a
guild's ``/ticket stats``, NULL for the operator's ``alphapy tickets stats`` over all guilds).
Days are counted in the guild's ``core.timezone`` (UTC for the all-guild snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from alphapy_tickets import store
from alphapy_tickets.lifecycle import Status

SCOPES: dict[str, timedelta | None] = {"7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Snapshot:
    id: int
    guild_id: int | None
    scope: str
    since: datetime | None
    until: datetime
    timezone: str
    total: int
    counts: dict[str, int]
    closed: int
    average_cycle_time: int | None  # seconds, over the closed tickets
    per_day: float
    daily: list[tuple[str, int]]  # (local date, tickets opened), for 7d and 30d

    def as_json(self) -> dict[str, Any]:
        return {
            "guild_id": self.guild_id, "scope": self.scope,
            "since": self.since.isoformat() if self.since else None, "until": self.until.isoformat(),
            "timezone": self.timezone, "total": self.total, "counts": self.counts, "closed": self.closed,
            "average_cycle_time": self.average_cycle_time, "per_day": round(self.per_day, 3),
            "daily": [{"day": day, "tickets": n} for day, n in self.daily],
        }


async def take_snapshot(db: Any, *, guild_id: int | None, scope: str, timezone: str,
                        triggered_by: int | None) -> Snapshot:
    """Compute the numbers, store the snapshot, return it (one connection, three statements)."""
    window = SCOPES[scope]
    async with db.acquire() as conn:
        until: datetime = await conn.fetchval("SELECT now()")
        since = until - window if window is not None else None
        by_status, daily_rows = await store.metrics_rows(
            conn, guild_id, since or _BEGINNING, daily_timezone=timezone if window is not None else None)
        counts = {str(status): 0 for status in Status}
        closed = 0
        cycle_seconds = 0.0
        first: datetime | None = None
        for row in by_status:
            counts[row["status"] or "unknown"] = row["tickets"]
            closed += row["closed"]
            cycle_seconds += float(row["cycle_seconds"] or 0)
            if row["first_created"] is not None and (first is None or row["first_created"] < first):
                first = row["first_created"]
        total = sum(counts.values())
        average = round(cycle_seconds / closed) if closed else None
        if window is not None:
            days = window.days
        else:  # all time: from the first ticket's day to today, at least one day
            days = max(1, (until - first).days + 1) if first is not None else 1
        daily = [(row["day"].isoformat(), row["tickets"]) for row in daily_rows]
        snapshot = Snapshot(0, guild_id, scope, since, until, timezone, total, counts, closed, average,
                            total / days, daily)
        stored = await store.insert_metrics(
            conn, guild_id=guild_id, scope=scope, counts=counts, average_cycle_time=average,
            snapshot=snapshot.as_json(), triggered_by=triggered_by)
    return Snapshot(**{**snapshot.__dict__, "id": stored["id"]})
