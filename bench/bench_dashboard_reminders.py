"""The reminders page on the dashboard with 10,000 reminders in one server (issue 17).
Prints ``name: value unit`` lines.

The real bot with the reminders plugin and the worked example's greeter against the
emulator, the dashboard beside it, PostgreSQL local. A staff member opens the greeter's
staff page (the baseline: a plugin page that reads one count) and then the Reminders page
(its first page of 50, soonest first, and the "paused" filter), one request at a time; the
ratio says what the 10,000-row table costs over the baseline. Target: p95 < 50 ms.
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from alphapy_reminders import plugin as reminders
from bench_dashboard_plugin_pages import percentile, timed

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.dashboard import DashboardBrowser, running_dashboard
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "example" / "alphapy_greeter"))
from alphapy_greeter import plugin as greeter  # noqa: E402  (the worked example, not installed)

STORED = 10_000


async def measure(url: str) -> dict[str, list[float]]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0, text_channels=("general",))
    helpers = guild.add_role("Helpers")
    helper = guild.add_member("helper", roles=[helpers])
    await emulator.start()
    try:
        async with running_alphapy(emulator, url, plugins=[("greeter", greeter), ("reminders", reminders)]) as runner:
            db = runner.bot.db
            await runner.bot.settings.set(guild.id, "core", "staff_role", helpers.id)
            await runner.bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
            # every tenth one paused; the rest due an hour from now and later (none is sent meanwhile)
            await db.execute(
                """INSERT INTO reminders (guild_id, name, channel_id, time, call_time, days, paused, next_fire_at)
                   SELECT $1, 'r' || n, $2, '19:00', '19:00', '{0,2}', n % 10 = 0,
                          CASE WHEN n % 10 = 0 THEN NULL ELSE now() + interval '1 hour' + n * interval '1 minute' END
                     FROM generate_series(1, $3) AS n""",
                guild.id, guild.channel("general").id, STORED)
            await db.execute("ANALYZE reminders")
            with tempfile.TemporaryDirectory() as data_dir:
                async with running_dashboard(runner, emulator, Path(data_dir)) as dashboard:
                    async with DashboardBrowser(dashboard) as browser:
                        await browser.log_in(helper)
                        page = f"/guilds/{guild.id}/reminders"
                        return {
                            "greeter_baseline": await timed(browser, f"/guilds/{guild.id}/greeter", "Members greeted"),
                            "reminders": await timed(browser, page, f"{STORED:,} reminders".replace(",", "")),
                            "reminders_paused": await timed(browser, f"{page}?state=paused", "1000 reminders"),
                        }
    finally:
        await emulator.stop()


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(greeter, "greeter")
    manager.register(reminders, "reminders")
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        found = await measure(url)
        baseline = percentile(found["greeter_baseline"], 0.95)
        for name, samples in found.items():
            p95 = percentile(samples, 0.95)
            print(f"dashboard_{name}_p50: {statistics.median(samples):.1f} ms ({len(samples)} requests)")
            print(f"dashboard_{name}_p95: {p95:.1f} ms")
            print(f"dashboard_{name}_p95_ratio: {p95 / baseline:.2f} x the baseline")
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
