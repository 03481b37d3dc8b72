"""What a server's overview shows beside the plugin switches: command usage over the chosen
period (a chart and the top commands) and the bot's health as it last recorded it.

The health comes from ``health_check_history``, never from the bot's process: ``alphapy
dashboard`` runs without the bot, and inside ``alphapy run`` the same rows are just as
fresh (the bot records one every ``HEALTH_RECORD_INTERVAL``), so there is one code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

from alphapy.dashboard import store
from alphapy.dashboard.charts import ChartPoint, bar_chart
from alphapy.dashboard.usage_cache import UsageCache
from alphapy.health import SERVICE_NAME

NO_REPORT = "The bot has not reported its health yet: it may not have started."
STATUS_WORDS = {"ok": "OK", "degraded": "degraded", "down": "down", "failed": "failed to load",
                "missing": "not installed"}


def stale_after(record_interval: float) -> float:
    """Seconds after which the last report means trouble: three missed recordings."""
    return 3 * (record_interval if record_interval > 0 else 60.0)


def period_of(query_value: str | None) -> store.Period:
    """The period a link asked for; an unknown one shows the default rather than an error."""
    return store.PERIODS.get(query_value or "", store.PERIODS[store.DEFAULT_PERIOD])


def zone_of(name: Any) -> tzinfo:
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def how_long(seconds: float) -> str:
    """A short English duration: ``45 s``, ``6 min``, ``3 h``, ``2 days``."""
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"


def percent(part: int, whole: int) -> str:
    """``25%``, ``1.5%``, ``99.5%``: whole numbers, unless rounding would hide a failure (a
    rate near 0) or a success (near 100)."""
    if not whole or not part:
        return "0%"
    rate = 100 * part / whole
    return f"{rate:.1f}%" if (rate < 10 or rate > 99) and rate != int(rate) else f"{rate:.0f}%"


def bucket_label(bucket: store.Bucket, unit: str) -> str:
    return f"{bucket.start:%H}:00" if unit == "hour" else f"{bucket.start.day} {bucket.start:%b}"


def bucket_name(bucket: store.Bucket, unit: str) -> str:
    day = f"{bucket.start:%a} {bucket.start.day} {bucket.start:%b}"
    return f"{day} {bucket.start:%H:%M}–{bucket.end:%H:%M}" if unit == "hour" else day


@dataclass(frozen=True, slots=True)
class UsageView:
    usage: store.Usage
    rows: list[tuple[str, int, int]]  # (bucket name, uses, failed) for the hidden table
    top: list[tuple[str, int, int, str]]  # (command, uses, failed, failure rate as text)
    chart: Markup | None  # None when nothing was used: the page says so instead
    timezone: str


@dataclass(frozen=True, slots=True)
class HealthView:
    report: store.HealthReport | None
    stale: bool
    sentence: str
    plugins: list[tuple[str, str, bool]]  # (plugin, status word, whether it is ok)


async def usage_view(cache: UsageCache, db: Any, guild_id: int, period: store.Period,
                     timezone_name: Any) -> UsageView:
    zone = zone_of(timezone_name)
    now = datetime.now(UTC)
    edges = store.bucket_edges(period, zone, now)
    usage = store.summarize(period, edges, zone, await cache.counts(db, guild_id, edges, now))
    rows = [(bucket_name(b, period.unit), b.uses, b.failed) for b in usage.buckets]
    chart = None
    if usage.total:
        points = [ChartPoint(bucket_label(b, period.unit), name, b.uses, b.failed)
                  for b, (name, _, _) in zip(usage.buckets, rows, strict=True)]
        per = "hour" if period.unit == "hour" else "day"
        chart = bar_chart(points, chart_id=f"usage-{period.key}", title=f"Commands per {per}, last {period.label}",
                          description=f"{usage.total:,} commands in the last {period.label}, {usage.failed:,} failed; "
                                      f"times in {zone}.")
    top = [(c.command_name, c.count, c.failures, percent(c.failures, c.count)) for c in usage.top]
    return UsageView(usage, rows, top, chart, str(zone))


async def health_view(db: Any, stale_seconds: float) -> HealthView:
    report = await store.latest_health(db, SERVICE_NAME)
    if report is None:
        return HealthView(None, True, NO_REPORT, [])
    ago = how_long(report.age_seconds)
    stale = report.age_seconds > stale_seconds
    if stale:
        sentence = f"Last report {ago} ago: the bot may be down."
    else:
        sentence = f"Last report {ago} ago: the bot is {STATUS_WORDS.get(report.status or 'ok', report.status)}."
    plugins = [(name, STATUS_WORDS.get(status, status), status == "ok") for name, status in report.plugins.items()]
    return HealthView(report, stale, sentence, plugins)
