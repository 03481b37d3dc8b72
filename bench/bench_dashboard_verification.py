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

from alphapy_verification import plugin as verification
from dashboard_bench import Samples, bot_and_dashboard, greeter_plugin, report, run, signed_in, timed

from alphapy.runner import BotRunner
from alphapy.testing.emulator import DiscordEmulator

STORED = 10_000
WAITING = 1_000
PLUGINS = [("greeter", greeter_plugin()), ("verification", verification)]


async def measure(url: str) -> Samples:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0, text_channels=("general",))
    helpers = guild.add_role("Helpers")
    helper = guild.add_member("helper", roles=[helpers])

    async def prepare(runner: BotRunner) -> None:
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

    async with bot_and_dashboard(emulator, url, PLUGINS, prepare) as (_runner, dashboard):
        async with signed_in(dashboard, helper) as browser:
            return {
                "greeter_baseline": await timed(browser, f"/guilds/{guild.id}/greeter", "Members greeted"),
                "verification": await timed(browser, f"/guilds/{guild.id}/verification",
                                            f"Waiting for staff: {WAITING}"),
                "verification_stats": await timed(browser, f"/guilds/{guild.id}/verification/stats",
                                                  f"All time: {STORED}"),
            }


async def main() -> None:
    report(await run(PLUGINS, measure), "greeter_baseline")


if __name__ == "__main__":
    asyncio.run(main())
