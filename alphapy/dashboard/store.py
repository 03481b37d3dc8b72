"""The dashboard's own reads: command usage per time bucket, the top commands, the bot's
last health report. Every query takes parameters; none writes.

Usage reads are range scans of ``idx_audit_logs_guild_created (guild_id, created_at)``.
Buckets are cut in the server's timezone by Python (local midnights and hours as UTC
instants, so a 23- or 25-hour day around a DST change is one bucket) and counted by
PostgreSQL with ``width_bucket`` over those instants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from alphapy.tracking import CommandUsage

# $2 holds the n+1 bucket edges; rows fall in buckets 1..n as the WHERE keeps them inside.
BUCKETS_SQL = """
SELECT width_bucket(created_at, $2::timestamptz[]) AS bucket,
       count(*) AS uses, count(*) FILTER (WHERE success) AS ok
FROM audit_logs
WHERE guild_id = $1 AND created_at >= $3 AND created_at < $4
GROUP BY bucket
"""
TOP_COMMANDS_SQL = """
SELECT command_name, count(*) AS uses, count(*) FILTER (WHERE success) AS ok
FROM audit_logs
WHERE guild_id = $1 AND created_at >= $2 AND created_at < $3
GROUP BY command_name
ORDER BY uses DESC, command_name
LIMIT $4
"""
LATEST_HEALTH_SQL = """
SELECT version, uptime_seconds, db_status, status, plugins, checked_at,
       extract(epoch FROM now() - checked_at)::float8 AS age_seconds
FROM health_check_history
WHERE service = $1
ORDER BY checked_at DESC
LIMIT 1
"""


@dataclass(frozen=True, slots=True)
class Period:
    """A usage window the overview offers: ``key`` in the URL, ``count`` buckets of ``unit``."""

    key: str
    label: str
    unit: str  # "hour" or "day"
    count: int


PERIODS: dict[str, Period] = {
    p.key: p for p in (Period("24h", "24 hours", "hour", 24), Period("7d", "7 days", "day", 7),
                       Period("30d", "30 days", "day", 30))
}
DEFAULT_PERIOD = "7d"


def bucket_edges(period: Period, zone: tzinfo, now: datetime) -> list[datetime]:
    """The ``count + 1`` edges of the buckets ending with the one holding ``now``.

    Hours start on the local hour (a zone 5:30 ahead of UTC has its buckets on the half
    hour in UTC) and step by 60 real minutes; days start at local midnight, whatever
    their length.
    """
    local = now.astimezone(zone)
    if period.unit == "hour":
        current = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return [current + timedelta(hours=k) for k in range(1 - period.count, 2)]
    today = local.date()
    days = [today + timedelta(days=k) for k in range(1 - period.count, 2)]
    return [datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) for day in days]


@dataclass(frozen=True, slots=True)
class Bucket:
    """Commands used in ``[start, end)``; ``start`` and ``end`` are in the server's timezone."""

    start: datetime
    end: datetime
    uses: int
    failed: int


@dataclass(frozen=True, slots=True)
class Usage:
    """A guild's usage over one period: the buckets (oldest first) and the top commands."""

    period: Period
    buckets: tuple[Bucket, ...]
    top: tuple[CommandUsage, ...]

    @property
    def total(self) -> int:
        return sum(b.uses for b in self.buckets)

    @property
    def failed(self) -> int:
        return sum(b.failed for b in self.buckets)


async def usage(db: Any, guild_id: int, period: Period, zone: tzinfo, *, now: datetime | None = None,
                top: int = 10) -> Usage:
    """One guild's commands per bucket and its ``top`` commands over ``period``, read in one
    snapshot so that the chart and the table agree."""
    edges = bucket_edges(period, zone, now or datetime.now(UTC))
    async with db.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        counted = await conn.fetch(BUCKETS_SQL, guild_id, edges, edges[0], edges[-1])
        commands = await conn.fetch(TOP_COMMANDS_SQL, guild_id, edges[0], edges[-1], top)
    by_bucket = {row["bucket"]: (row["uses"], row["uses"] - row["ok"]) for row in counted}
    buckets = tuple(
        Bucket(edges[i].astimezone(zone), edges[i + 1].astimezone(zone), *by_bucket.get(i + 1, (0, 0)))
        for i in range(len(edges) - 1)
    )
    return Usage(period, buckets, tuple(CommandUsage(r["command_name"], r["uses"], r["ok"]) for r in commands))


@dataclass(frozen=True, slots=True)
class HealthReport:
    """The bot's last recorded health: overall and per plugin, and how old it is."""

    version: str
    uptime_seconds: int
    database: str
    status: str | None
    plugins: dict[str, str]
    checked_at: datetime
    age_seconds: float


def _plugin_statuses(raw: Any) -> dict[str, str]:
    """Plugin name → status word; the rest of a plugin's answer (errors, figures) is for
    operators, not for every host's page."""
    data = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return {str(name): str(report.get("status", "ok")) if isinstance(report, dict) else "ok"
            for name, report in sorted(data.items())}


async def latest_health(db: Any, service: str) -> HealthReport | None:
    """The newest ``health_check_history`` row of ``service``; its age by the database's
    clock (the one that stamped it), so a skewed dashboard host cannot make it look fresh."""
    row = await db.fetchrow(LATEST_HEALTH_SQL, service)
    if row is None:
        return None
    return HealthReport(row["version"], row["uptime_seconds"], row["db_status"], row["status"],
                        _plugin_statuses(row["plugins"]), row["checked_at"], max(row["age_seconds"], 0.0))

