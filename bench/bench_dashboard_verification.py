"""The verification page on the dashboard with 10,000 verifications in one server (issue 17).
Prints ``name: value unit`` lines.

The real bot with the verification plugin and the worked example's greeter against the
emulator, the dashboard beside it, PostgreSQL local. A staff member opens the greeter's
staff page (the baseline: a plugin page that reads one count), then the Verification page
(the first 50 of 1,000 verifications waiting for staff) and its statistics page (7 days,
30 days and all time of 10,000), one request at a time. Target: p95 < 50 ms.
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from alphapy_verification import plugin as verification
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
WAITING = 1_000


async def measure(url: str) -> dict[str, list[float]]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0, text_channels=("general",))
    helpers = guild.add_role("Helpers")
    helper = guild.add_member("helper", roles=[helpers])
    await emulator.start()
    try:
        async with running_alphapy(emulator, url, plugins=[("greeter", greeter),
                                                           ("verification", verification)]) as runner:
            db = runner.bot.db
            await runner.bot.settings.set(guild.id, "core", "staff_role", helpers.id)
            # one member each; the first WAITING wait for staff, the rest were decided over 60 days
            await db.execute(
                """INSERT INTO verification_tickets (guild_id, user_id, channel_id, status, ai_can_verify,
                                                     ai_needs_manual_review, ai_reason, review_cause, decision,
                                                     created_at, resolved_at)
                   SELECT $1, 1000 + n, 2000 + n,
                          CASE WHEN n <= $3 THEN 'manual_review' WHEN n % 3 = 0 THEN 'closed_manual'
                               ELSE 'verified' END,
                          n % 2 = 0, true, 'The date is not visible.', 'ai_unsure',
                          CASE WHEN n <= $3 THEN NULL WHEN n % 3 = 0 THEN 'rejected' ELSE 'auto' END,
                          now() - (n % 60) * interval '1 day',
                          CASE WHEN n <= $3 THEN NULL ELSE now() - (n % 60) * interval '1 day' + interval '5 minutes' END
                     FROM generate_series(1, $2) AS n""",
                guild.id, STORED, WAITING)
            await db.execute("ANALYZE verification_tickets")
            with tempfile.TemporaryDirectory() as data_dir:
                async with running_dashboard(runner, emulator, Path(data_dir)) as dashboard:
                    async with DashboardBrowser(dashboard) as browser:
                        await browser.log_in(helper)
                        return {
                            "greeter_baseline": await timed(browser, f"/guilds/{guild.id}/greeter", "Members greeted"),
                            "verification": await timed(browser, f"/guilds/{guild.id}/verification",
                                                        f"Waiting for staff: {WAITING}"),
                            "verification_stats": await timed(browser, f"/guilds/{guild.id}/verification/stats",
                                                              f"All time: {STORED}"),
                        }
    finally:
        await emulator.stop()


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(greeter, "greeter")
    manager.register(verification, "verification")
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
