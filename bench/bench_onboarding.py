"""Onboarding figures (issue 9 sets no targets; these show what a step costs). Prints
``name: value unit`` lines.

- ``onboarding_step_p50/p95``: one answer (a select menu pick) to the next screen, through
  the emulator (OpenAPI check and Discord's limits on) and the real bot on a real PostgreSQL: the click,
  the flow and the progress loaded, the answer checked and saved, the next screen sent.
- ``onboarding_run_p50``: a whole run for one member: Start, rules, three questions, the
  two personalization steps, the completion with two roles given.
- ``onboarding_concurrent_runs``: 50 members going through at once, runs per second.
- ``onboarding_responses_csv_10000``: ``/onboarding responses`` over 10,000 finished members.
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL. The machine is shared:
read the figures as orders of magnitude.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

from alphapy_onboarding import plugin

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

RUNS = 60
WARM_UP = 10
CONCURRENT = 50
RESPONSES = 10_000


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def one_run(emulator: Any, panel: Any, person: Any, steps: list[float] | None) -> None:
    screen = await emulator.click(panel, "Start", by=person)
    screen = await emulator.click(screen, "I accept the rules", by=person)
    for pick in (["friend"], ["games", "music"], ["yes"]):
        started = time.perf_counter()
        screen = await emulator.select(screen, pick, by=person)
        if steps is not None:
            steps.append((time.perf_counter() - started) * 1000)
    screen = await emulator.click(screen, "Yes, please!", by=person)
    done = await emulator.click(screen, "English", by=person)
    await emulator.wait_until(lambda: done.response is not None and done.response.embeds
                              and "complete" in (done.response.embeds[0].get("title") or ""), timeout=30)
    assert person.has_role("Gamer") and person.has_role("Onboarded")


async def measure(url: str) -> dict[str, Any]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Onboarding", members=0, text_channels=("welcome",))
    # The host names roles the bot gives, so Discord's rule applies: Manage Roles, and a
    # highest role above them (new roles go to the bottom, below the host's own).
    host = guild.add_member("host", permissions=["manage_guild", "manage_roles"])
    gamer, onboarded = guild.add_role("Gamer"), guild.add_role("Onboarded")
    people = [guild.add_member(f"person{n}") for n in range(RUNS + WARM_UP + CONCURRENT)]
    await emulator.start()
    figures: dict[str, Any] = {}
    try:
        async with running_alphapy(emulator, url, plugins=[("onboarding", plugin)]) as runner:
            bot = runner.bot
            await bot.settings.set(guild.id, "onboarding", "channel", guild.channel("welcome").id)
            await bot.settings.set(guild.id, "onboarding", "completed_role", onboarded.id)
            await emulator.slash(host, "onboarding panel")
            await emulator.slash(host, "onboarding rule add", title="Be kind", description="Always.")
            for question, kind, options in [
                ("How did you find us?", "select", ["Friend", "Search"]),
                ("What do you like?", "multiselect", [{"label": "Games", "role": str(gamer.id)}, "Music", "Art"]),
                ("Ready?", "select", ["Yes", "No"]),
            ]:
                await emulator.slash(host, "onboarding question add",
                                     options={"question": question, "type": kind, "options": json.dumps(options)})
            panel = guild.channel("welcome").messages[-1]

            steps: list[float] = []
            runs: list[float] = []
            for number, person in enumerate(people[:RUNS + WARM_UP]):
                started = time.perf_counter()
                await one_run(emulator, panel, person, steps if number >= WARM_UP else None)
                if number >= WARM_UP:
                    runs.append((time.perf_counter() - started) * 1000)
            figures["step"], figures["run"] = steps, runs

            started = time.perf_counter()
            await asyncio.gather(*(one_run(emulator, panel, p, None) for p in people[RUNS + WARM_UP:]))
            figures["concurrent"] = CONCURRENT / (time.perf_counter() - started)

            await bot.db.execute(
                "INSERT INTO onboarding (guild_id, user_id, responses, timestamp) "
                "SELECT $1, 10000 + n, $2, now() AT TIME ZONE 'utc' FROM generate_series(1, $3) AS n",
                guild.id, {"1": "friend", "2": ["games", "art"], "3": "yes", "personalized_opt_in": "full",
                           "preferred_language": "nl"}, RESPONSES)
            exports = []
            for _ in range(5):
                started = time.perf_counter()
                reply = await emulator.slash(host, "onboarding responses")
                exports.append((time.perf_counter() - started) * 1000)
                assert reply.attachments and reply.content.startswith(f"{RESPONSES + RUNS + WARM_UP + CONCURRENT} ")
            figures["csv"] = exports
    finally:
        await emulator.stop()
    return figures


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(plugin, "onboarding")
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        figures = await measure(url)
        print(f"onboarding_step_p50: {statistics.median(figures['step']):.1f} ms (select pick to next screen, "
              f"{len(figures['step'])} steps)")
        print(f"onboarding_step_p95: {percentile(figures['step'], 0.95):.1f} ms")
        print(f"onboarding_run_p50: {statistics.median(figures['run']):.1f} ms (Start to completion: rules, "
              "3 questions, 2 personalization steps, 2 roles)")
        print(f"onboarding_concurrent_runs: {figures['concurrent']:.1f} runs/s ({CONCURRENT} members at once)")
        print(f"onboarding_responses_csv_{RESPONSES}: {statistics.median(figures['csv']):.1f} ms")
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
