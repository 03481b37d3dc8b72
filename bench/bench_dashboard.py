"""Dashboard page latency (issue: host dashboard). Prints ``name: value unit`` lines.

A host logged in through the emulator's consent page opens each page of ``ROUTES`` in
turn, sequentially, against a real PostgreSQL holding 100,000 ``audit_logs`` rows of the
guild spread over 30 days (and as many of other guilds). Each round also asks a
baseline: a bare aiohttp handler running ``SELECT 1`` on the same pool, so that machine
noise hits both alike. We report p50 and p95 per page in ms (target p95 < 50 ms) and the
ratio of each page's p95 to the baseline's. Closed usage buckets are cached, so the 30-day
overview is also timed cold (cache emptied before each load): a host's first visit.

Add a page by adding a line to ``ROUTES`` (``{guild}`` is the guild's id).
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from alphapy.config import load_config
from alphapy.dashboard.server import DashboardServer, options_from
from alphapy.dashboard.usage_cache import UsageCache
from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.services import Services
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator.fixtures import running_emulator

ROUTES: list[tuple[str, str]] = [
    ("picker", "/"),
    ("overview", "/guilds/{guild}"),
    ("overview_24h", "/guilds/{guild}?period=24h"),
    ("overview_30d", "/guilds/{guild}?period=30d"),
    ("history", "/guilds/{guild}/history"),
]
AUDIT_ROWS = 100_000
ROUNDS = 300
WARM_UP = 20
COLD_ROUNDS = 30
UNROLLED_ROUNDS = 10
COLUMNS = ("guild_id", "user_id", "command_name", "command_type", "success", "error_message", "created_at")


async def fill(services: Services, guild_id: int) -> None:
    """The guild's 100k command uses over 30 days (one in nine failed), as many of another
    guild's, a fresh health report and a page of settings history."""
    now = datetime.now(UTC)
    span = 30 * 86400
    rows = [(gid, 1000 + i % 500, f"command{i % 25}", "slash", i % 9 != 0, None if i % 9 else "failed",
             now - timedelta(seconds=(i * 7919) % span))
            for gid in (guild_id, guild_id + 1) for i in range(AUDIT_ROWS)]
    async with services.db.tracker_pool.acquire() as conn:
        await conn.copy_records_to_table("audit_logs", records=rows, columns=COLUMNS)
    await services.db.execute("VACUUM ANALYZE audit_logs")
    await services.db.execute(
        "INSERT INTO health_check_history (service, version, uptime_seconds, db_status, status, plugins) "
        "VALUES ('alphapy', 'bench', 60, 'ok', 'ok', '{}'::jsonb)")
    for n in range(60):
        await services.settings.set(guild_id, "core", "timezone", ("Europe/Amsterdam", "UTC")[n % 2], changed_by=1)


async def log_in(http: aiohttp.ClientSession, dashboard: str, user_id: int) -> None:
    """Through the emulator's consent page, as a browser would."""
    async with http.get(dashboard + "/login") as consent:
        page = await consent.text()
        form = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', page))
        consent_url = str(consent.url).split("?")[0]
    form.update(user_id=str(user_id), action="authorize")
    async with http.post(consent_url, data=form) as landed:
        assert landed.status == 200 and str(landed.url) == dashboard + "/", landed.status


async def baseline_server(services: Services) -> tuple[web.AppRunner, str]:
    """The cheapest page there could be on this pool: one ``SELECT 1``."""

    async def select_one(_request: web.Request) -> web.Response:
        return web.Response(text=str(await services.db.fetchval("SELECT 1")))

    app = web.Application()
    app.router.add_get("/", select_one)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


async def timed_get(http: aiohttp.ClientSession, url: str) -> float:
    started = time.perf_counter()
    async with http.get(url, allow_redirects=False) as response:
        await response.read()
        assert response.status == 200, (url, response.status)
    return (time.perf_counter() - started) * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def measure(http: aiohttp.ClientSession, urls: dict[str, str]) -> dict[str, list[float]]:
    """Every page once per round, in turn, the baseline among them."""
    for url in urls.values():
        for _ in range(WARM_UP):
            await timed_get(http, url)
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(ROUNDS):
        for name, url in urls.items():
            samples[name].append(await timed_get(http, url))
    return samples


async def run(url: str, data_dir: Path) -> None:
    config = load_config(_env_file=None, database_url=url, dashboard_port=0, data_dir=data_dir, log_level="warning",
                         openai_api_key=None, openai_base_url=None)
    async with running_emulator() as emulator:
        guild = emulator.add_guild("Bench Guild", owner_name="host", members=10)
        services = Services(config, PluginManager(), url)
        await services.start(health=False)
        options = options_from(config, services, emulator=emulator)
        server = DashboardServer(config, options)
        baseline, baseline_url = await baseline_server(services)
        try:
            await fill(services, guild.id)
            dashboard = await server.start()
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                await log_in(http, dashboard, guild.owner.id)
                urls = {"baseline": baseline_url}
                urls.update({name: dashboard + path.format(guild=guild.id) for name, path in ROUTES})
                samples = await measure(http, urls)
                cold, unrolled = [], []
                for _ in range(COLD_ROUNDS):
                    options.usage_cache = UsageCache()  # a process's first load: hours from the rollup
                    cold.append(await timed_get(http, urls["overview_30d"]))
                for _ in range(UNROLLED_ROUNDS):
                    options.usage_cache = UsageCache()  # the first load ever: the month is rolled up
                    await services.db.execute("TRUNCATE dashboard_usage_hours, dashboard_usage_rollups")
                    unrolled.append(await timed_get(http, urls["overview_30d"]))
        finally:
            await server.stop()
            await baseline.cleanup()
            await services.stop()
    base_p95 = percentile(samples["baseline"], 0.95)
    for name, values in samples.items():
        p95 = percentile(values, 0.95)
        print(f"dashboard_{name}_p50: {statistics.median(values):.2f} ms")
        print(f"dashboard_{name}_p95: {p95:.2f} ms")
        if name != "baseline":
            print(f"dashboard_{name}_p95_vs_baseline: {p95 / base_p95:.1f} x")
    print(f"dashboard_overview_30d_cold_p50: {statistics.median(cold):.2f} ms")
    print(f"dashboard_overview_30d_cold_p95: {percentile(cold, 0.95):.2f} ms")
    print(f"dashboard_overview_30d_cold_p95_vs_baseline: {percentile(cold, 0.95) / base_p95:.1f} x")
    print(f"dashboard_overview_30d_unrolled_p50: {statistics.median(unrolled):.2f} ms")
    print(f"dashboard_overview_30d_unrolled_p95: {percentile(unrolled, 0.95):.2f} ms")


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source()]).apply()
        with tempfile.TemporaryDirectory() as data_dir:
            await run(url, Path(data_dir))
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
