"""The onboarding pages on the dashboard with 10,000 finished members. Prints ``name: value unit`` lines.

The real bot with the onboarding plugin and the worked example's greeter against the emulator,
the dashboard beside it, PostgreSQL local. The guild has 10,000 rows in ``onboarding`` (the
plugin's largest table), 1,000 runs in progress and the most questions and rules a server may
have (25 each, every question with options and a follow-up). The host opens the greeter's
page (the baseline: a plugin page that reads one count), the Onboarding editor, its preview
and the members table (first and last of its 200 pages), in turn, one request at a time, so that both see the same machine at the same
moment; the ratio says what onboarding's page costs over the baseline. Target: p95 < 50 ms.
Uses an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json

from alphapy_onboarding import plugin as onboarding
from dashboard_bench import Samples, bot_and_dashboard, greeter_plugin, report, run, signed_in, timed_in_turn

from alphapy.testing.emulator import DiscordEmulator

FINISHED = 10_000
IN_PROGRESS = 1_000
DEFINITIONS = 25
PLUGINS = [("greeter", greeter_plugin()), ("onboarding", onboarding)]


async def fill(db: object, guild_id: int) -> None:
    """The largest server onboarding allows, and 10,000 members who went through it."""
    options = [{"label": f"Option {n}", "value": f"option-{n}"} for n in range(1, 6)]
    followup = [{"when": "*", "question": "Tell us more?", "type": "text", "required": False, "max_length": 500}]
    answers = {str(n): "option-1" for n in range(1, DEFINITIONS + 1)} | {"personalized_opt_in": "full",
                                                                         "preferred_language": "en"}
    async with db.acquire() as conn:  # type: ignore[attr-defined]
        await conn.executemany(
            "INSERT INTO guild_onboarding_questions (guild_id, step_order, question, question_type, options, "
            "followup) VALUES ($1, $2, $3, 'select', $4, $5)",
            [(guild_id, n, f"Question number {n}: what brings you here?", options, followup)
             for n in range(1, DEFINITIONS + 1)])
        await conn.executemany(
            "INSERT INTO guild_rules (guild_id, rule_order, title, description) VALUES ($1, $2, $3, $4)",
            [(guild_id, n, f"Rule {n}", "Be kind to each other. " * 20) for n in range(1, DEFINITIONS + 1)])
        await conn.execute(
            "INSERT INTO onboarding (guild_id, user_id, responses, timestamp) "
            "SELECT $1, 10000000000 + n, $2::jsonb, now() AT TIME ZONE 'utc' FROM generate_series(1, $3) AS n",
            guild_id, json.dumps(answers), FINISHED)
        await conn.execute(
            "INSERT INTO onboarding_progress (guild_id, user_id, answers) "
            "SELECT $1, 20000000000 + n, '{}'::jsonb FROM generate_series(1, $2) AS n", guild_id, IN_PROGRESS)
        await conn.execute("ANALYZE onboarding; ANALYZE onboarding_progress; ANALYZE guild_onboarding_questions")


async def measure(url: str) -> Samples:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0)
    async with bot_and_dashboard(emulator, url, PLUGINS, lambda runner: fill(runner.bot.db, guild.id)) \
            as (_runner, dashboard):
        async with signed_in(dashboard, guild.owner) as browser:
            base = f"/guilds/{guild.id}"
            return await timed_in_turn(browser, {
                "greeter_baseline": (f"{base}/greeter", "Members greeted"),
                "onboarding_editor": (f"{base}/onboarding", f"{FINISHED} members finished"),
                "onboarding_preview": (f"{base}/onboarding/preview", "Question number 25"),
                "onboarding_members": (f"{base}/onboarding/members", "Page 1 of 200"),
                "onboarding_members_last": (f"{base}/onboarding/members?page=200", "Page 200 of 200"),
            })


async def main() -> None:
    report(await run(PLUGINS, measure), "greeter_baseline", style="lines_but_baseline")


if __name__ == "__main__":
    asyncio.run(main())
