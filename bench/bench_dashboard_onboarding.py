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
import statistics
import sys
import tempfile
import time
from pathlib import Path

from alphapy_onboarding import plugin as onboarding

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.dashboard import DashboardBrowser, running_dashboard
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "example" / "alphapy_greeter"))
from alphapy_greeter import plugin as greeter  # noqa: E402  (the worked example, not installed)

REQUESTS = 300
WARM_UP = 20
FINISHED = 10_000
IN_PROGRESS = 1_000
DEFINITIONS = 25


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


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


async def timed_in_turn(browser: DashboardBrowser, pages: dict[str, tuple[str, str]]) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in pages}
    for number in range(REQUESTS + WARM_UP):
        for name, (path, expect) in pages.items():
            started = time.perf_counter()
            page = await browser.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert page.status == 200 and expect in page.text, (path, page.status, page.text[:300])
            if number >= WARM_UP:
                samples[name].append(elapsed)
    return samples


async def measure(url: str) -> dict[str, list[float]]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0)
    await emulator.start()
    try:
        async with running_alphapy(emulator, url, plugins=[("greeter", greeter), ("onboarding", onboarding)]) \
                as runner:
            assert runner.bot is not None
            await fill(runner.bot.db, guild.id)
            with tempfile.TemporaryDirectory() as data_dir:
                async with running_dashboard(runner, emulator, Path(data_dir)) as dashboard:
                    async with DashboardBrowser(dashboard) as browser:
                        await browser.log_in(guild.owner)
                        base = f"/guilds/{guild.id}"
                        return await timed_in_turn(browser, {
                            "greeter_baseline": (f"{base}/greeter", "Members greeted"),
                            "onboarding_editor": (f"{base}/onboarding", f"{FINISHED} members finished"),
                            "onboarding_preview": (f"{base}/onboarding/preview", "Question number 25"),
                            "onboarding_members": (f"{base}/onboarding/members", "Page 1 of 200"),
                            "onboarding_members_last": (f"{base}/onboarding/members?page=200", "Page 200 of 200"),
                        })
    finally:
        await emulator.stop()


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(greeter, "greeter")
    manager.register(onboarding, "onboarding")
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        found = await measure(url)
        baseline = percentile(found["greeter_baseline"], 0.95)
        for name, samples in found.items():
            p95 = percentile(samples, 0.95)
            print(f"dashboard_{name}_p50: {statistics.median(samples):.1f} ms ({len(samples)} requests)")
            print(f"dashboard_{name}_p95: {p95:.1f} ms")
            if name != "greeter_baseline":
                print(f"dashboard_{name}_p95_ratio: {p95 / baseline:.2f} x the baseline")
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
