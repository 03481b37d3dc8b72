"""Plugin pages on the dashboard (issue 16, register_dashboard). Prints ``name: value unit`` lines.

The real bot with the premium and greeter plugins against the emulator, the dashboard beside
it, PostgreSQL local: a signed-in browser opens "Your premium" (a member's your-page), the
host's "Premium" page and the greeter's staff page opened by a staff member (roles asked of
Discord, then reused for the re-check minute), one request at a time. Target: p95 < 50 ms.
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from alphapy_premium import ledger, plugin as premium
from dashboard_bench import greeter_plugin, percentile, timed

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.dashboard import DashboardBrowser, running_dashboard
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

greeter = greeter_plugin()


async def measure(url: str) -> dict[str, list[float]]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0)
    helpers = guild.add_role("Helpers")
    host, member = guild.owner, guild.add_member("member")
    helper = guild.add_member("helper", roles=[helpers])
    await emulator.start()
    plugins = [("greeter", greeter), ("premium", premium)]
    try:
        async with running_alphapy(emulator, url, plugins=plugins) as runner:
            await runner.bot.settings.set(guild.id, "core", "staff_role", helpers.id)
            await ledger.grant(runner.bot.db, user_id=member.id, guild_id=guild.id, tier="yearly")
            with tempfile.TemporaryDirectory() as data_dir:
                async with running_dashboard(runner, emulator, Path(data_dir)) as dashboard:
                    found = {}
                    for name, person, path, expect in (
                            ("your_premium", member, "/me/premium", "<dd>yearly</dd>"),
                            ("host_premium", host, f"/guilds/{guild.id}/premium", "(1 yearly)"),
                            ("staff_greeter", helper, f"/guilds/{guild.id}/greeter", "Members greeted")):
                        async with DashboardBrowser(dashboard) as browser:
                            await browser.log_in(person)
                            found[name] = await timed(browser, path, expect)
                    return found
    finally:
        await emulator.stop()


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(greeter, "greeter")
    manager.register(premium, "premium")
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        for name, samples in (await measure(url)).items():
            print(f"dashboard_page_{name}_p50: {statistics.median(samples):.1f} ms ({len(samples)} requests)")
            print(f"dashboard_page_{name}_p95: {percentile(samples, 0.95):.1f} ms")
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
