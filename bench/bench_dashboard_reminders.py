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

from alphapy_reminders import plugin as reminders
from dashboard_bench import Samples, bot_and_dashboard, greeter_plugin, report, run, signed_in, timed

from alphapy.runner import BotRunner
from alphapy.testing.emulator import DiscordEmulator

STORED = 10_000
PLUGINS = [("greeter", greeter_plugin()), ("reminders", reminders)]


async def measure(url: str) -> Samples:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0, text_channels=("general",))
    helpers = guild.add_role("Helpers")
    helper = guild.add_member("helper", roles=[helpers])

    async def prepare(runner: BotRunner) -> None:
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

    async with bot_and_dashboard(emulator, url, PLUGINS, prepare) as (_runner, dashboard):
        async with signed_in(dashboard, helper) as browser:
            page = f"/guilds/{guild.id}/reminders"
            return {
                "greeter_baseline": await timed(browser, f"/guilds/{guild.id}/greeter", "Members greeted"),
                "reminders": await timed(browser, page, f"{STORED:,} reminders".replace(",", "")),
                "reminders_paused": await timed(browser, f"{page}?state=paused", "1000 reminders"),
            }


async def main() -> None:
    report(await run(PLUGINS, measure), "greeter_baseline")


if __name__ == "__main__":
    asyncio.run(main())
