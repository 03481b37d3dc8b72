"""A server's overview: command usage charts and top commands from ``audit_logs``, the bot's
health from ``health_check_history``; on the real database and through the emulator's login."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from alphapy.config import load_config
from alphapy.dashboard import store
from alphapy.dashboard.charts import ChartPoint, bar_chart, nice_ceiling
from alphapy.dashboard.overview import NO_REPORT, percent
from alphapy.dashboard.server import DashboardServer, options_from
from alphapy.dashboard.usage_cache import TTL_SECONDS, UsageCache
from alphapy.dashboard.views.pages import NOT_YOURS
from alphapy.db import Database
from alphapy.services import Services
from tests.conftest import test_plugin
from tests.test_dashboard import MovableClock, browser, has_inline_script, log_in

COLUMNS = ("guild_id", "user_id", "command_name", "command_type", "success", "error_message", "created_at")
SVG = "{http://www.w3.org/2000/svg}"
GUILD, OTHER = 111, 222


async def insert_uses(db: Database, rows: list[tuple[int, str, bool | None, datetime]]) -> None:
    """(guild, command, success, when) rows straight into audit_logs, as the tracker writes them."""
    records = [(g, 42, name, "slash", ok, None if ok else "boom", when) for g, name, ok, when in rows]
    async with db.tracker_pool.acquire() as conn:
        await conn.copy_records_to_table("audit_logs", records=records, columns=COLUMNS)


def svg_of(page: str) -> ET.Element:
    found = re.search(r"<svg.*?</svg>", page, re.S)
    assert found, "the page has no chart"
    return ET.fromstring(found.group(0))


def hidden_rows(page: str) -> list[tuple[str, int, int]]:
    table = re.search(r'<table class="visually-hidden">.*?</table>', page, re.S)
    assert table, "the chart has no table of its numbers"
    return [(name, int(uses), int(failed)) for name, uses, failed in
            re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td></tr>', table.group(0))]


def top_rows(page: str) -> list[tuple[str, str, str, str]]:
    table = re.search(r'<table class="data top-commands">.*?</table>', page, re.S)
    if table is None:
        return []
    return re.findall(r'<th scope="row">/([^<]+)</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td>'
                      r'<td class="num">([^<]+)</td>', table.group(0))


# --- buckets on the database, at fixed times ----------------------------------------------------------

async def test_daily_buckets_start_at_local_midnight_across_a_dst_change(db: Database) -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")  # 2026-03-29 has 23 hours there (CET -> CEST)
    now = datetime(2026, 3, 29, 12, 30, tzinfo=UTC)
    at = datetime.fromisoformat
    await insert_uses(db, [
        (GUILD, "ping", True, at("2026-03-22T22:59:59+00:00")),   # Mar 22 23:59:59 local: before the window
        (GUILD, "ping", True, at("2026-03-22T23:00:00+00:00")),   # Mar 23 00:00 local: the first day
        (GUILD, "ping", False, at("2026-03-28T22:59:59+00:00")),  # Mar 28 23:59:59 local
        (GUILD, "help", True, at("2026-03-28T23:00:00+00:00")),   # Mar 29 00:00 local
        (GUILD, "ping", None, at("2026-03-29T21:59:59+00:00")),   # Mar 29 23:59:59 CEST: still today
        (GUILD, "ping", True, at("2026-03-29T22:00:00+00:00")),   # Mar 30 00:00 CEST: tomorrow
        (OTHER, "ping", True, at("2026-03-28T23:30:00+00:00")),   # another server's
    ])
    usage = await store.usage(db, GUILD, store.PERIODS["7d"], amsterdam, now=now)
    days = [(b.start.strftime("%m-%d %H:%M"), b.uses, b.failed) for b in usage.buckets]
    assert days == [("03-23 00:00", 1, 0), ("03-24 00:00", 0, 0), ("03-25 00:00", 0, 0), ("03-26 00:00", 0, 0),
                    ("03-27 00:00", 0, 0), ("03-28 00:00", 1, 1), ("03-29 00:00", 2, 1)]
    last = usage.buckets[-1]
    assert last.end.astimezone(UTC) - last.start.astimezone(UTC) == timedelta(hours=23)
    assert [(c.command_name, c.count, c.failures) for c in usage.top] == [("ping", 3, 2), ("help", 1, 0)]
    assert (usage.total, usage.failed) == (4, 2)


async def test_hourly_buckets_follow_a_half_hour_timezone(db: Database) -> None:
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30: local hours start on the half hour in UTC
    now = datetime(2026, 6, 1, 12, 45, tzinfo=UTC)  # 18:15 local
    at = datetime.fromisoformat
    await insert_uses(db, [
        (GUILD, "a", True, at("2026-05-31T13:29:59+00:00")),  # 18:59:59 local yesterday: outside 24 buckets
        (GUILD, "a", True, at("2026-05-31T13:30:00+00:00")),  # 19:00 local yesterday: the first bucket
        (GUILD, "a", True, at("2026-06-01T12:29:59+00:00")),  # 17:59:59 local
        (GUILD, "a", False, at("2026-06-01T12:30:00+00:00")),  # 18:00 local: the current hour
        (OTHER, "a", True, at("2026-06-01T12:40:00+00:00")),
    ])
    usage = await store.usage(db, GUILD, store.PERIODS["24h"], kolkata, now=now)
    assert len(usage.buckets) == 24
    assert usage.buckets[0].start.strftime("%d %H:%M") == "31 19:00"
    assert usage.buckets[-1].start.strftime("%d %H:%M") == "01 18:00"
    assert [(b.uses, b.failed) for b in usage.buckets if b.uses] == [(1, 0), (1, 0), (1, 1)]
    assert (usage.buckets[0].uses, usage.buckets[-2].uses, usage.buckets[-1].uses) == (1, 1, 1)


async def test_a_server_without_commands_has_empty_buckets(db: Database) -> None:
    await insert_uses(db, [(OTHER, "ping", True, datetime.now(UTC))])
    usage = await store.usage(db, GUILD, store.PERIODS["30d"], UTC)
    assert len(usage.buckets) == 30 and usage.total == 0 and usage.top == ()


async def test_usage_queries_use_the_guild_index_with_100k_rows(db: Database) -> None:
    now = datetime.now(UTC)
    rows = [(1 + i % 10, f"cmd{i % 20}", i % 7 != 0, now - timedelta(seconds=(i * 7919) % (30 * 86400)))
            for i in range(100_000)]
    await insert_uses(db, rows)
    await db.execute("VACUUM ANALYZE audit_logs")
    for period, count in (("30d", 30), ("24h", 1)):  # a whole window, and the open bucket alone
        edges = store.bucket_edges(store.PERIODS[period], UTC, now)[-count - 1:]
        plan = await db.fetch("EXPLAIN " + store.USAGE_SQL, 3, edges, edges[0], edges[-1])
        text = "\n".join(r[0] for r in plan)
        assert "idx_audit_logs_guild_created" in text and "Seq Scan" not in text, text


async def test_closed_buckets_are_counted_once_and_the_open_one_on_every_load(db: Database) -> None:
    clock = MovableClock()
    cache = UsageCache(clock=clock)
    now = datetime.now(UTC)
    edges = store.bucket_edges(store.PERIODS["7d"], UTC, now)
    await insert_uses(db, [(GUILD, "ping", True, now - timedelta(days=3)), (GUILD, "ping", True, now)])
    first = await cache.counts(db, GUILD, edges, now)
    assert first == await store.counts(db, GUILD, edges) and sum(u for c in first.values() for u, _ in c.values()) == 2

    await insert_uses(db, [(GUILD, "late", False, now - timedelta(days=3)), (GUILD, "ping", False, now)])
    second = await cache.counts(db, GUILD, edges, now)
    assert second[6]["ping"] == (2, 1)  # today: counted again
    assert "late" not in second[3]  # three days ago: from the cache
    clock.advance(TTL_SECONDS)
    assert await cache.counts(db, GUILD, edges, now) == await store.counts(db, GUILD, edges)


# --- the chart itself ---------------------------------------------------------------------------------

def test_the_chart_is_well_formed_escaped_and_labelled() -> None:
    points = [ChartPoint(f"<{i}&>", f"bucket {i} <b>", i * 3, i) for i in range(30)]
    svg = ET.fromstring(bar_chart(points, chart_id="Usage 30d", title="Commands & <uses>", description="d <x>"))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "usage-30d-title usage-30d-desc"
    assert svg.find(f"{SVG}title").text == "Commands & <uses>"  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").text == "d <x>"  # type: ignore[union-attr]
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert labels[:3] == ["0", "50", "100"]  # the value axis: max 87 rounds up to 100
    assert "<0&>" in labels and "<28&>" in labels and "<1&>" not in labels  # one bucket label in four
    tips = [g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g")]  # type: ignore[union-attr]
    assert tips[29] == "bucket 29 <b>: 87 uses, 29 failed"
    assert len(list(svg.iter(f"{SVG}rect"))) == 30 + 29  # a failed part on every bar but the empty one


def test_round_axis_maximum_and_failure_rates() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 2, 3, 7, 10, 11, 87, 101, 4_999)] == [1, 1, 2, 5, 10, 10, 20, 100, 200,
                                                                                  5_000]
    assert [percent(0, 0), percent(0, 9), percent(1, 4), percent(3, 200), percent(1, 3), percent(5, 5),
            percent(199, 200)] == ["0%", "0%", "25%", "1.5%", "33%", "100%", "99.5%"]


# --- the page --------------------------------------------------------------------------------------------

@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]


@pytest_asyncio.fixture
async def dashboard(bot_runner: Any, emulator: Any, tmp_path: Any) -> AsyncIterator[str]:
    config = bot_runner.services.config.model_copy(update={"dashboard_port": 0, "data_dir": tmp_path})
    options = options_from(config, bot_runner.services, emulator=emulator)
    options.clock = MovableClock()
    server = DashboardServer(config, options)
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()


async def overview(dashboard: str, person: Any, guild: Any, query: str = "") -> str:
    async with browser() as http:
        await log_in(http, dashboard, person)
        async with http.get(f"{dashboard}/guilds/{guild.id}{query}") as resp:
            assert resp.status == 200
            return await resp.text()


async def test_the_overview_charts_usage_and_top_commands_per_period(dashboard, bot, guild, host) -> None:
    now = datetime.now(UTC)
    await insert_uses(bot.db, [
        (guild.id, "ping", True, now - timedelta(minutes=5)),
        (guild.id, "ping", False, now - timedelta(minutes=6)),
        (guild.id, "ping", True, now - timedelta(hours=30)),
        (guild.id, "remind", True, now - timedelta(days=3)),
        (guild.id, "remind", False, now - timedelta(days=20)),
        (guild.id + 1, "ping", False, now - timedelta(minutes=5)),  # another server's
    ])
    day = await overview(dashboard, host, guild, "?period=24h")
    week = await overview(dashboard, host, guild, "?period=7d")
    month = await overview(dashboard, host, guild, "?period=30d")
    unknown = await overview(dashboard, host, guild, "?period=forever")

    assert 'href="?period=24h" aria-current="page"' in day and len(hidden_rows(day)) == 24
    assert (sum(r[1] for r in hidden_rows(day)), sum(r[2] for r in hidden_rows(day))) == (2, 1)
    assert top_rows(day) == [("ping", "2", "1", "50%")]
    assert top_rows(week) == [("ping", "3", "1", "33%"), ("remind", "1", "0", "0%")]
    assert top_rows(month) == [("ping", "3", "1", "33%"), ("remind", "2", "1", "50%")]
    assert len(hidden_rows(week)) == 7 and len(hidden_rows(month)) == 30
    assert sum(r[1] for r in hidden_rows(month)) == 5 and sum(r[2] for r in hidden_rows(month)) == 2
    assert 'href="?period=7d" aria-current="page"' in unknown and top_rows(unknown) == top_rows(week)
    svg = svg_of(month)
    assert svg.get("role") == "img" and svg.find(f"{SVG}desc").text.startswith("5 commands")  # type: ignore[union-attr]
    assert not has_inline_script(month) and "style=" not in month


async def test_commands_run_in_discord_show_up_on_the_overview(dashboard, emulator, bot, guild, host, member) -> None:
    for person in (host, member, member):
        assert (await emulator.slash(person, "ping")).content.startswith("Pong")
    await bot.tracker.flush()
    page = await overview(dashboard, host, guild, "?period=24h")
    assert top_rows(page) == [("ping", "3", "0", "0%")]
    assert svg_of(page).find(f"{SVG}desc").text.startswith("3 commands")  # type: ignore[union-attr]


async def test_buckets_are_days_of_the_servers_timezone(dashboard, bot, guild, host) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Pacific/Kiritimati")  # UTC+14
    local_today = datetime.now(ZoneInfo("Pacific/Kiritimati"))
    await insert_uses(bot.db, [(guild.id, "ping", True, datetime.now(UTC))])
    page = await overview(dashboard, host, guild, "?period=7d")
    assert "(times in Pacific/Kiritimati)" in page
    assert hidden_rows(page)[-1] == (f"{local_today:%a} {local_today.day} {local_today:%b}", 1, 0)


async def test_a_server_without_usage_says_so_instead_of_an_empty_chart(dashboard, bot, guild, host) -> None:
    await insert_uses(bot.db, [(guild.id + 1, "ping", True, datetime.now(UTC))])
    page = await overview(dashboard, host, guild)
    assert "No commands were used in the last 7 days." in page and "<svg" not in page and top_rows(page) == []


async def test_usage_is_refused_to_people_who_do_not_manage_the_server(dashboard, bot, guild, member) -> None:
    await insert_uses(bot.db, [(guild.id, "secretcommand", True, datetime.now(UTC))])
    async with browser() as http:
        await log_in(http, dashboard, member)
        for query in ("?period=24h", "?period=30d"):
            async with http.get(f"{dashboard}/guilds/{guild.id}{query}") as resp:
                text = await resp.text()
                assert resp.status == 403 and NOT_YOURS in text and "secretcommand" not in text


async def record_health(db: Database, age: timedelta, status: str, plugins: dict[str, str]) -> None:
    await db.execute(
        """INSERT INTO health_check_history (service, version, uptime_seconds, db_status, status, plugins, checked_at)
           VALUES ('alphapy', '9.9', 60, 'ok', $1, $2::jsonb, now() - $3::interval)""",
        status, json.dumps({name: {"status": s} for name, s in plugins.items()}), age)


async def test_health_shows_the_last_report_and_says_when_it_is_stale(dashboard, bot, guild, host) -> None:
    assert NO_REPORT in await overview(dashboard, host, guild)
    await record_health(bot.db, timedelta(minutes=6, seconds=10), "ok", {"hello": "ok"})
    stale = await overview(dashboard, host, guild)
    assert "Last report 6 min ago: the bot may be down." in stale
    await record_health(bot.db, timedelta(seconds=20), "degraded", {"hello": "ok", "tickets": "down", "faq": "failed"})
    fresh = await overview(dashboard, host, guild)
    assert "Last report 20 s ago: the bot is degraded." in fresh and "may be down" not in fresh
    plugins = re.findall(r'<span class="name">(\w+)</span> <span class="status status-(\w+)">([^<]+)</span>', fresh)
    assert plugins == [("faq", "bad", "failed to load"), ("hello", "ok", "OK"), ("tickets", "bad", "down")]


async def test_the_bot_records_its_health_with_each_plugin_without_being_polled(
        migrated_database_url: str, plugin_manager: Any) -> None:
    config = load_config(_env_file=None, database_url=migrated_database_url, health_port=0,
                         openai_api_key=None, openai_base_url=None)
    services = Services(config, plugin_manager, migrated_database_url)
    await services.start()
    try:
        row = None
        for _ in range(500):  # the recording task runs at start; wait for its row
            row = await services.db.fetchrow("SELECT status, plugins FROM health_check_history")
            if row is not None:
                break
            await asyncio.sleep(0.01)
        assert row is not None, "no health row was recorded"
        assert row["status"] == "ok"
        assert json.loads(row["plugins"]) == {name: {"status": "ok"} for name in plugin_manager.infos}
    finally:
        await services.stop()


# --- look and feel ---------------------------------------------------------------------------------------

def unlabelled_controls(page: str) -> list[str]:
    """Visible inputs and selects with neither a ``<label for>`` nor an ``aria-label``."""
    labelled = set(re.findall(r'<label for="([^"]+)"', page))
    missing = []
    for tag in re.findall(r"<(?:input|select)\b[^>]*>", page):
        if 'type="hidden"' in tag or "aria-label=" in tag:
            continue
        found = re.search(r'id="([^"]+)"', tag)
        if found is None or found.group(1) not in labelled:
            missing.append(tag)
    return missing


async def test_every_page_has_a_skip_link_labels_and_no_inline_style(dashboard, bot, guild, host) -> None:
    await insert_uses(bot.db, [(guild.id, "ping", False, datetime.now(UTC))])
    async with browser() as http:
        pages = {"picker": await log_in(http, dashboard, host)}
        for name, path in (("overview", f"/guilds/{guild.id}"), ("history", f"/guilds/{guild.id}/history"),
                           ("refusal", "/guilds/1")):
            async with http.get(dashboard + path) as resp:
                pages[name] = await resp.text()
        async with http.get(dashboard + "/static/style.css") as resp:
            css = await resp.text()
    for name, page in pages.items():
        body = page.split("<body>", 1)[1].lstrip()
        assert body.startswith('<a class="skip-link" href="#main">Skip to content</a>'), name
        assert '<main id="main"' in page, name
        assert " style=" not in page and not has_inline_script(page), name  # the CSP would block them
        assert unlabelled_controls(page) == [], name
    assert "@media (prefers-color-scheme: dark)" in css and ":focus-visible" in css and "http" not in css
    drawn = set(re.findall(r'class="([\w-]+)"', re.search(r"<svg.*?</svg>", pages["overview"], re.S).group(0)))
    drawn |= {"visually-hidden", "skip-link", "health", "stale", "status-ok", "status-bad", "periods"}
    assert {c for c in drawn if not re.search(rf"\.{c}\b", css)} == set()  # every class the pages use is styled
