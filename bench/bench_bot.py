"""Bot runtime figures (issue: bot runtime and emulator). Prints ``name: value unit`` lines.

Against the emulator (in this process, OpenAPI check and Discord's limits on) with 100
guilds of 50 members, on a real PostgreSQL:

- the bot's start to READY+guilds (target < 1 s), and start-up with the services;
- a slash command round trip, sequential: p50/p95 in ms (target p50 < 10 ms);
- commands per second sustained with 20 in flight and tracking on (target >= 300/s);
- the same command on a bare discord.py bot on the same emulator, and the ratios
  framework/bare (target <= 1.25x);
- ``ratio slash_over_bare_discordpy``: the median over ``ROUNDS`` alternating rounds of
  each round's p50 ratio Alphapy/bare discord.py (goal <= 1.05).
``BENCH_ROUNDS`` / ``BENCH_SEQUENTIAL`` / ``BENCH_GUILDS`` override the sizes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

import discord
from discord import app_commands
from ratios import report

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.testing.bot import running_alphapy
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.fixtures import bare_bot

GUILDS = int(os.environ.get("BENCH_GUILDS", "100"))
MEMBERS = 50
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "500"))
SECONDS = 3.0
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))  # framework and bare alternate: machine noise hits both alike
IN_FLIGHT = 20


async def latency(emulator: DiscordEmulator, member: Any, command: str) -> list[float]:
    for _ in range(20):  # warm up
        await emulator.slash(member, command)
    samples = []
    for _ in range(SEQUENTIAL):
        started = time.perf_counter()
        reply = await emulator.slash(member, command)
        samples.append((time.perf_counter() - started) * 1000)
        assert reply.content.startswith("Pong"), reply.content
    return samples


async def throughput(emulator: DiscordEmulator, members: list[Any], command: str) -> float:
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def worker(member: Any) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await emulator.slash(member, command)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(m) for m in members))
    return done / (time.perf_counter() - started)


def bare_ping_bot() -> Any:
    from discord.ext import commands

    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.05,
                       chunk_guilds_at_startup=False, help_command=None)

    @bot.tree.command(name="ping", description="Check that the bot answers")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Pong.", ephemeral=True)

    assert isinstance(ping, app_commands.Command)
    return bot


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    url = server.create_database()
    MigrationRunner(url, [core_source()]).apply()
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guilds = [emulator.add_guild(f"Guild {i}", members=MEMBERS) for i in range(GUILDS)]
    await emulator.start()
    members = [g.members[list(g.members)[-1 - k]] for g in guilds[:IN_FLIGHT] for k in range(1)]
    member = members[0]
    framework: list[float] = []
    bare: list[float] = []
    framework_rates: list[float] = []
    bare_rates: list[float] = []
    written = 0
    round_ratios: list[float] = []
    try:
        for round_number in range(ROUNDS):
            async with running_alphapy(emulator, url, guild_ready_timeout=0.05) as runner:
                if round_number == 0:
                    timings = runner.timings
                    print(f"bot_start_to_ready_{GUILDS}_guilds: {timings['bot_start_to_ready'] * 1000:.0f} ms")
                    print(f"process_start_to_ready_{GUILDS}_guilds: {timings['ready'] * 1000:.0f} ms "
                          f"(migrations {timings['migrations'] * 1000:.0f} ms, services "
                          f"{(timings['services'] - timings['migrations']) * 1000:.0f} ms)")
                ours = await latency(emulator, member, "ping")
                framework += ours
                framework_rates.append(await throughput(emulator, members, "ping"))
                tracker = runner.services.tracker  # type: ignore[union-attr]
                await tracker.flush()
                written += tracker.stats().written
            async with bare_bot(emulator, bot=bare_ping_bot()):
                theirs = await latency(emulator, member, "ping")
                bare += theirs
                bare_rates.append(await throughput(emulator, members, "ping"))
            round_ratios.append(statistics.median(ours) / statistics.median(theirs))
    finally:
        await emulator.stop()
        server.drop_database(url)
        server.close()
    framework_rate, bare_rate = statistics.median(framework_rates), statistics.median(bare_rates)
    f50, b50 = statistics.median(framework), statistics.median(bare)
    print(f"slash_round_trip_p50: {f50:.2f} ms")
    print(f"slash_round_trip_p95: {percentile(framework, 0.95):.2f} ms")
    print(f"slash_throughput: {framework_rate:.0f} commands/s ({IN_FLIGHT} in flight, tracking on, "
          f"{written} audit rows written in {ROUNDS} rounds)")
    print(f"bare_discordpy_round_trip_p50: {b50:.2f} ms")
    print(f"bare_discordpy_throughput: {bare_rate:.0f} commands/s")
    print(f"framework_cost_latency: {f50 / b50:.2f} x")
    print(f"framework_cost_throughput: {bare_rate / framework_rate:.2f} x")
    report("slash_over_bare_discordpy", statistics.median(round_ratios), "<=", 1.05,
           note=f"(median of {ROUNDS} alternating rounds' p50 ratios)")


if __name__ == "__main__":
    asyncio.run(main())
