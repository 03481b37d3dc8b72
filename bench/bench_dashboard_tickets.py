"""The tickets plugin's dashboard pages with 10,000 tickets in the server (issue 17). Prints
``name: value unit`` lines.

The real bot with the tickets plugin against the emulator, the dashboard beside it,
PostgreSQL local: a staff member (``tickets.staff_role``) opens the tickets list (default
filter, then claimed by nobody and older than 7 days), a ticket's page and the statistics,
one request at a time. The baseline is the core's own server overview (``/guilds/{id}``)
opened by the host in the same run, so the ratio says what the plugin's queries add.
Target: p95 < 50 ms. Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from alphapy_tickets import plugin as tickets
from alphapy_tickets.metrics import take_snapshot

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.dashboard import DashboardBrowser, running_dashboard
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

TICKETS = 10_000
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


async def seed(db: Any, guild_id: int, staff_id: int) -> None:
    """10,000 tickets over 90 days in every status, a third of them claimed by the staff member."""
    await db.execute(
        """INSERT INTO support_tickets (guild_id, user_id, username, description, status, created_at,
                                        updated_at, claimed_by, closed_at)
           SELECT $1, 1000 + n % 5000, 'member', 'a problem that needs a hand',
                  (ARRAY['open','claimed','waiting_for_user','escalated','closed','archived',
                         'closed','archived','archived'])[1 + n % 9],
                  now() - (n % 90) * interval '1 day' - (n % 1440) * interval '1 minute', now(),
                  CASE WHEN n % 3 = 0 THEN $3::bigint END,
                  CASE WHEN n % 9 IN (4, 5, 6, 7, 8) THEN now() - (n % 90) * interval '1 day' END
             FROM generate_series(1, $2) AS n""", guild_id, TICKETS, staff_id)
    await db.execute("VACUUM ANALYZE support_tickets")


async def measure(url: str) -> dict[str, list[float]]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0)
    support = guild.add_role("Support")
    host, staff = guild.owner, guild.add_member("staff", roles=[support])
    await emulator.start()
    try:
        async with running_alphapy(emulator, url, plugins=[("tickets", tickets)]) as runner:
            db = runner.bot.db
            await runner.bot.settings.set(guild.id, "tickets", "staff_role", support.id)
            await seed(db, guild.id, staff.id)
            await take_snapshot(db, guild_id=guild.id, scope="30d", timezone="UTC", triggered_by=staff.id)
            oldest = await db.fetchval("SELECT min(id) FROM support_tickets WHERE guild_id = $1", guild.id)
            base = f"/guilds/{guild.id}"
            with tempfile.TemporaryDirectory() as data_dir:
                async with running_dashboard(runner, emulator, Path(data_dir)) as dashboard:
                    found = {}
                    async with DashboardBrowser(dashboard) as browser:
                        await browser.log_in(host)
                        found["baseline_overview"] = await timed(browser, base, "Bench")
                    async with DashboardBrowser(dashboard) as browser:
                        await browser.log_in(staff)
                        found["tickets_list"] = await timed(browser, f"{base}/tickets", "ticket")
                        found["tickets_list_filtered"] = await timed(browser, f"{base}/tickets", "ticket",
                                                                     claimed="none", older="7", status="all")
                        found["ticket_page"] = await timed(browser, f"{base}/tickets/ticket/{oldest}",
                                                           f"Ticket #{oldest}")
                        found["ticket_stats"] = await timed(browser, f"{base}/tickets/stats", "Opened",
                                                            period="30d")
                    return found
    finally:
        await emulator.stop()


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(tickets, "tickets")
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        found = await measure(url)
        baseline = percentile(found["baseline_overview"], 0.95)
        for name, samples in found.items():
            p95 = percentile(samples, 0.95)
            print(f"dashboard_{name}_p50: {statistics.median(samples):.1f} ms ({len(samples)} requests)")
            print(f"dashboard_{name}_p95: {p95:.1f} ms ({p95 / baseline:.2f}x the overview)")
        print(f"dashboard_tickets_rows: {TICKETS} tickets")
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
