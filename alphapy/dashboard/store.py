"""The dashboard's own reads: command usage per time bucket, the top commands, the bot's
last health report. Every query takes parameters; none writes.

Usage reads are range scans of ``idx_audit_logs_guild_created (guild_id, created_at)``.
Buckets are cut in the server's timezone by Python (local midnights and hours as UTC
instants, so a 23- or 25-hour day around a DST change is one bucket) and counted by
PostgreSQL with ``width_bucket`` over those instants.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

from alphapy.tracking import CommandUsage

# $2 holds the bucket edges; the WHERE keeps rows inside them, so buckets are 1..len-1.
USAGE_SQL = """
SELECT width_bucket(created_at, $2::timestamptz[]) AS bucket, command_name,
       count(*) AS uses, count(*) FILTER (WHERE success) AS ok
FROM audit_logs
WHERE guild_id = $1 AND created_at >= $3 AND created_at < $4
GROUP BY bucket, command_name
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


#: bucket index (0-based) -> command -> (uses, successes)
Counts = dict[int, dict[str, tuple[int, int]]]


async def counts(db: Any, guild_id: int, edges: Sequence[datetime]) -> Counts:
    """Uses and successes per bucket and command between consecutive ``edges``."""
    found: Counts = {}
    if len(edges) < 2:
        return found
    for row in await db.fetch(USAGE_SQL, guild_id, list(edges), edges[0], edges[-1]):
        found.setdefault(row["bucket"] - 1, {})[row["command_name"]] = (row["uses"], row["ok"])
    return found


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


def summarize(period: Period, edges: Sequence[datetime], zone: tzinfo, found: Counts, top: int = 10) -> Usage:
    """The chart's buckets and the ``top`` commands (most used, then by name) from ``found``."""
    buckets = []
    per_command: dict[str, list[int]] = {}
    for index in range(len(edges) - 1):
        commands = found.get(index, {})
        uses = sum(u for u, _ in commands.values())
        ok = sum(k for _, k in commands.values())
        buckets.append(Bucket(edges[index].astimezone(zone), edges[index + 1].astimezone(zone), uses, uses - ok))
        for name, (u, k) in commands.items():
            total = per_command.setdefault(name, [0, 0])
            total[0] += u
            total[1] += k
    ranked = sorted(per_command.items(), key=lambda item: (-item[1][0], item[0]))[:top]
    return Usage(period, tuple(buckets), tuple(CommandUsage(name, u, k) for name, (u, k) in ranked))


async def usage(db: Any, guild_id: int, period: Period, zone: tzinfo, *, now: datetime | None = None,
                top: int = 10) -> Usage:
    """One guild's commands per bucket and its ``top`` commands over ``period``, uncached
    (the overview goes through :class:`alphapy.dashboard.usage_cache.UsageCache`)."""
    edges = bucket_edges(period, zone, now or datetime.now(UTC))
    return summarize(period, edges, zone, await counts(db, guild_id, edges), top)


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

