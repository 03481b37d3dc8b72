"""The FAQ plugin's dashboard pages with 10,000 entries and 10,000 logged searches in the
server (issue 17). Prints ``name: value unit`` lines.

The real bot with the FAQ plugin against the emulator, the dashboard beside it, PostgreSQL
local: a staff member (``faq.staff_role``) opens the entries (the first 200, then a title
search), an entry's editor with its preview, the search analytics over 30 days and the
proposals, one request at a time. The baseline is the core's own server overview
(``/guilds/{id}``) opened by the host in the same run, so the ratio says what the plugin's
queries add. Target: p95 < 50 ms. Uses ``TEST_DATABASE_URL`` when set, else an embedded
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from alphapy_faq import plugin as faq

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.dashboard import DashboardBrowser, running_dashboard
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

ROWS = 10_000
REQUESTS = 300
WARM_UP = 20


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def timed(browser: DashboardBrowser, path: str, expect: str, **params: str) -> list[float]:
    samples = []
    for number in range(REQUESTS + WARM_UP):
        started = time.perf_counter()
        page = await browser.get(path, **params)
        elapsed = (time.perf_counter() - started) * 1000
        assert page.status == 200 and expect in page.text, (path, page.status, page.text[:300])
        if number >= WARM_UP:
            samples.append(elapsed)
    return samples


async def seed(db: Any, guild_id: int) -> None:
    """10,000 entries (the search vocabulary is not needed by these pages) and 10,000 searches
    over 30 days, one in five finding nothing."""
    await db.execute(
        """INSERT INTO faq_entries (guild_id, title, summary, keywords)
           SELECT $1, 'How do I fix problem number ' || n, 'Restart it, then try step ' || n || ' again.',
                  ARRAY['problem', 'fix' || n % 50]
             FROM generate_series(1, $2) AS n""", guild_id, ROWS)
    await db.execute(
        """INSERT INTO faq_search_logs (guild_id, user_id, query, results_count, searched_at)
           SELECT $1, 1000 + n % 300, 'question ' || n % 400, CASE WHEN n % 5 = 0 THEN 0 ELSE 3 END,
                  now() - (n % 30) * interval '1 day'
             FROM generate_series(1, $2) AS n""", guild_id, ROWS)
    await db.execute("VACUUM ANALYZE faq_entries")
    await db.execute("VACUUM ANALYZE faq_search_logs")


async def measure(url: str) -> dict[str, list[float]]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0)
    writers = guild.add_role("Writers")
    host, staff = guild.owner, guild.add_member("staff", roles=[writers])
    await emulator.start()
    try:
        async with running_alphapy(emulator, url, plugins=[("faq", faq)]) as runner:
            db = runner.bot.db
            await runner.bot.settings.set(guild.id, "faq", "staff_role", writers.id)
            await seed(db, guild.id)
            last = await db.fetchval("SELECT max(id) FROM faq_entries WHERE guild_id = $1", guild.id)
            base = f"/guilds/{guild.id}"
            with tempfile.TemporaryDirectory() as data_dir:
                async with running_dashboard(runner, emulator, Path(data_dir)) as dashboard:
                    found = {}
                    async with DashboardBrowser(dashboard) as browser:
                        await browser.log_in(host)
                        found["baseline_overview"] = await timed(browser, base, "Bench")
                    async with DashboardBrowser(dashboard) as browser:
                        await browser.log_in(staff)
                        found["faq_entries"] = await timed(browser, f"{base}/faq", "How do I fix")
                        found["faq_entries_search"] = await timed(browser, f"{base}/faq", "problem number 99",
                                                                  q="number 99")
                        found["faq_editor"] = await timed(browser, f"{base}/faq/entry/{last}", "How it looks")
                        found["faq_searches"] = await timed(browser, f"{base}/faq/searches", "found nothing",
                                                            period="30d")
                        found["faq_proposals"] = await timed(browser, f"{base}/faq/proposals", "Waiting")
                    return found
    finally:
        await emulator.stop()


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(faq, "faq")
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        found = await measure(url)
        baseline = percentile(found["baseline_overview"], 0.95)
        for name, samples in found.items():
            p95 = percentile(samples, 0.95)
            print(f"dashboard_{name}_p50: {statistics.median(samples):.1f} ms ({len(samples)} requests)")
            print(f"dashboard_{name}_p95: {p95:.1f} ms ({p95 / baseline:.2f}x the overview)")
        print(f"dashboard_faq_rows: {ROWS} entries, {ROWS} searches")
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
