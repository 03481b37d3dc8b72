"""Bot runtime figures (issue: bot runtime and emulator). Prints ``name: value unit`` lines.

Against the emulator (in this process, OpenAPI check and Discord's limits on) with 100
guilds of 50 members per bot, on a real PostgreSQL:

- the bot's start to READY+guilds (target < 1 s), and start-up with the services (Alphapy
  serving its shard, below);
- a slash command round trip, sequential: p50/p95 in ms (target p50 < 10 ms);
- commands per second sustained with 20 in flight and tracking on (target >= 300/s);
- the same command on a bare discord.py bot on the same emulator, and the ratios
  framework/bare (target <= 1.25x);
- ``ratio slash_over_bare_discordpy``: the median over ``ROUNDS`` rounds of each round's
  p50 ratio Alphapy/bare discord.py (goal <= 1.05), with every round's value and the spread.

How the ratio is kept fair on a machine shared with other work, where one second of
commands can run 2x slower than the next for reasons of its own:

- *both bots run at once, interleaved command by command*: they are shards of the one
  application the emulator serves (Alphapy shard 0, bare discord.py shard 1, each with
  the same number of guilds, ``BENCH_GUILDS``), and ``/ping`` is used in a guild of each
  in turn, the order rotated every step.
  Whatever slows the machine slows both alike, within milliseconds; rounds of whole bots
  in turn (start, a block of commands, stop) read anything from 0.3x to 2.5x per round here.
- *identical commands*: both answer ``/ping`` with the reply built by the same function,
  with the same allowed mentions (Alphapy's policy), so the emulator checks the same request
  body against Discord's OpenAPI description on both sides; the bench compares the bodies
  (latency digits aside) and stops if they differ. A third shard, a bare bot with discord.py's
  default mentions (no ``allowed_mentions`` in its replies), is measured in the same turns,
  for the line ``slash_over_bare_default_mentions``: what the policy costs in the emulator.
- warm-up commands are not measured, a full collection runs before each round, and the
  median of the rounds' ratios is the figure, printed with all of them and their quartiles.

Alphapy's background work (the tracker's writer, the scheduler) shares the event loop with
both bots here; it runs about once a second, so it hardly touches a median of round trips,
and the throughput figure (each bot alone, in turn) carries it.

``BENCH_ROUNDS`` / ``BENCH_SEQUENTIAL`` / ``BENCH_GUILDS`` / ``BENCH_THROUGHPUT_ROUNDS``
override the sizes.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import statistics
import time
from typing import Any

import discord
from discord import app_commands
from ratios import report

from alphapy.bot import allowed_mentions, intents
from alphapy.cogs.stats import ping_reply
from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.testing.bot import running_alphapy
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.fixtures import bare_bot

GUILDS = int(os.environ.get("BENCH_GUILDS", "100"))  # per bot
MEMBERS = 50
SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "100"))  # measured commands per bot per round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
WARM_UP = 50  # commands per bot before the first round, not measured
THROUGHPUT_ROUNDS = int(os.environ.get("BENCH_THROUGHPUT_ROUNDS", "2"))  # bursts per bot, in turn
SECONDS = 2.0
IN_FLIGHT = 20
COMMAND = "ping"
#: shard of the application each bot serves
ALPHAPY, BARE, BARE_DEFAULTS = 0, 1, 2
SHARDS = 3
DIGITS = re.compile(r"\d+")


def shard_of(guild: Any) -> int:
    return int((guild.id >> 22) % SHARDS)


def bare_ping_bot(shard_id: int, *, mentions: discord.AllowedMentions | None) -> Any:
    """discord.py alone, as one shard, with Alphapy's intents and ``/ping`` reply."""
    from discord.ext import commands

    options: dict[str, Any] = {} if mentions is None else {"allowed_mentions": mentions}
    bot = commands.AutoShardedBot(command_prefix="!", intents=intents(), guild_ready_timeout=0.05,
                                  shard_count=SHARDS, shard_ids=[shard_id], chunk_guilds_at_startup=False,
                                  help_command=None, **options)

    @bot.tree.command(name=COMMAND, description="Check that the bot answers")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(ping_reply(bot.latency), ephemeral=True)

    assert isinstance(ping, app_commands.Command)
    return bot


async def slash(emulator: DiscordEmulator, member: Any) -> float:
    """One ``/ping`` round trip in ms."""
    started = time.perf_counter()
    reply = await emulator.slash(member, COMMAND)
    elapsed = (time.perf_counter() - started) * 1000
    assert reply.content.startswith("Pong"), reply.content
    return elapsed


def last_reply_body(emulator: DiscordEmulator) -> str:
    """The last interaction callback body the emulator received, digits masked (latency)."""
    for record in reversed(emulator.requests):
        if record.path.endswith("/callback"):
            return DIGITS.sub("#", repr(record.json))
    raise AssertionError("no interaction callback was recorded")


async def interleaved(emulator: DiscordEmulator, members: list[Any], count: int) -> list[list[float]]:
    """``count`` round trips per member, one each in turn, the order rotated every step."""
    samples: list[list[float]] = [[] for _ in members]
    for step in range(count):
        for k in range(len(members)):
            index = (step + k) % len(members)
            samples[index].append(await slash(emulator, members[index]))
    return samples


async def throughput(emulator: DiscordEmulator, members: list[Any]) -> float:
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def worker(member: Any) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await emulator.slash(member, COMMAND)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(m) for m in members))
    return done / (time.perf_counter() - started)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def spread(ratios: list[float]) -> tuple[float, float]:
    """The lower and upper quartiles of the rounds' ratios."""
    if len(ratios) < 2:
        return ratios[0], ratios[0]
    low, _, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return low, high


def add_guilds(emulator: DiscordEmulator) -> dict[int, list[Any]]:
    """``GUILDS`` guilds of ``MEMBERS`` members for each shard, as many for each when it can.

    A guild's shard follows its id, the millisecond it was made, one apart while guilds
    are made faster than one a millisecond: so empty guilds are made first (quick: the
    shards take turns and end even) and their members added afterwards. A pause of the
    process while they are made can still skip a shard's turn; :func:`even_emulator` then
    starts over.
    """
    by_shard: dict[int, list[Any]] = {shard: [] for shard in range(SHARDS)}
    number = 0
    while min(map(len, by_shard.values())) < GUILDS:
        guild = emulator.add_guild(f"Guild {number}")
        by_shard[shard_of(guild)].append(guild)
        number += 1
    for guilds in by_shard.values():
        for guild in guilds:
            for k in range(MEMBERS):
                guild.add_member(f"guild-{guild.name.split()[-1]}-member-{k + 1}")
    return by_shard


def even_emulator(attempts: int = 5) -> tuple[DiscordEmulator, dict[int, list[Any]]]:
    """An emulator whose shards have the same number of guilds (the last attempt's if none did)."""
    for _ in range(attempts):
        emulator = DiscordEmulator(openapi_spec=None, timeout=30)
        by_shard = add_guilds(emulator)
        if len({len(guilds) for guilds in by_shard.values()}) == 1:
            break
    return emulator, by_shard


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    url = server.create_database()
    MigrationRunner(url, [core_source()]).apply()
    emulator, by_shard = even_emulator()
    await emulator.start()
    crowd = {shard: [g.members[list(g.members)[-1]] for g in guilds[:IN_FLIGHT]] for shard, guilds in by_shard.items()}
    members = [crowd[ALPHAPY][0], crowd[BARE][0], crowd[BARE_DEFAULTS][0]]
    rates: dict[int, list[float]] = {ALPHAPY: [], BARE: []}
    rounds: list[list[list[float]]] = []
    try:
        async with running_alphapy(emulator, url, guild_ready_timeout=0.05, shard_count=SHARDS,
                                   shard_ids=[ALPHAPY]) as runner:
            timings = runner.timings
            # sync=False: Alphapy's sync registered /ping; a bare bot's would replace the whole list
            async with bare_bot(emulator, bot=bare_ping_bot(BARE, mentions=allowed_mentions()), sync=False) as bare, \
                    bare_bot(emulator, bot=bare_ping_bot(BARE_DEFAULTS, mentions=None), sync=False) as defaults:
                served = [len(bot.guilds) for bot in (runner.bot, bare, defaults)]
                bodies = []
                for member in members[:2]:
                    await slash(emulator, member)
                    bodies.append(last_reply_body(emulator))
                if bodies[0] != bodies[1]:
                    raise AssertionError(f"the bots did not send the same reply: {bodies[0]} != {bodies[1]}")
                await interleaved(emulator, members, WARM_UP)
                for _ in range(ROUNDS):
                    gc.collect()
                    rounds.append(await interleaved(emulator, members, SEQUENTIAL))
                for number in range(THROUGHPUT_ROUNDS):
                    for shard in (ALPHAPY, BARE) if number % 2 == 0 else (BARE, ALPHAPY):
                        rates[shard].append(await throughput(emulator, crowd[shard]))
            tracker = runner.services.tracker
            await tracker.flush()
            written = tracker.stats().written
    finally:
        await emulator.stop()
        server.drop_database(url)
        server.close()
    print(f"bot_start_to_ready_{GUILDS}_guilds: {timings['bot_start_to_ready'] * 1000:.0f} ms")
    print(f"process_start_to_ready_{GUILDS}_guilds: {timings['ready'] * 1000:.0f} ms "
          f"(migrations {timings['migrations'] * 1000:.0f} ms, services "
          f"{(timings['services'] - timings['migrations']) * 1000:.0f} ms)")
    print(f"guilds_per_bot: {' / '.join(map(str, served))} (Alphapy / bare / bare with default mentions)")
    print_figures(rounds, rates, written)


def print_figures(rounds: list[list[list[float]]], rates: dict[int, list[float]], written: int) -> None:
    ours = [s for round_ in rounds for s in round_[ALPHAPY]]
    theirs = [s for round_ in rounds for s in round_[BARE]]
    f50, b50 = statistics.median(ours), statistics.median(theirs)
    print(f"slash_round_trip_p50: {f50:.2f} ms")
    print(f"slash_round_trip_p95: {percentile(ours, 0.95):.2f} ms")
    print(f"bare_discordpy_round_trip_p50: {b50:.2f} ms")
    print(f"framework_cost_latency: {f50 / b50:.2f} x (all rounds' samples together)")
    if rates[ALPHAPY] and rates[BARE]:
        framework_rate, bare_rate = statistics.median(rates[ALPHAPY]), statistics.median(rates[BARE])
        print(f"slash_throughput: {framework_rate:.0f} commands/s ({IN_FLIGHT} in flight, tracking on, "
              f"{written} audit rows written)")
        print(f"bare_discordpy_throughput: {bare_rate:.0f} commands/s")
        print(f"framework_cost_throughput: {bare_rate / framework_rate:.2f} x")
    ratios = [statistics.median(r[ALPHAPY]) / statistics.median(r[BARE]) for r in rounds]
    defaults = [statistics.median(r[ALPHAPY]) / statistics.median(r[BARE_DEFAULTS]) for r in rounds]
    low, high = spread(ratios)
    print(f"slash_ratio_rounds: {' '.join(f'{r:.3f}' for r in ratios)} (Alphapy/bare p50 per round, "
          f"{SEQUENTIAL} commands each per bot, interleaved)")
    print(f"slash_ratio_spread: min {min(ratios):.3f}, quartiles {low:.3f}-{high:.3f}, max {max(ratios):.3f} x")
    d_low, d_high = spread(defaults)
    print(f"slash_over_bare_default_mentions: {statistics.median(defaults):.3f} x (quartiles {d_low:.3f}-"
          f"{d_high:.3f}; the bare bot sends no allowed_mentions: the emulator checks a smaller body)")
    report("slash_over_bare_discordpy", statistics.median(ratios), "<=", 1.05,
           note=f"(median of {len(ratios)} rounds' p50 ratios, bots interleaved, quartiles {low:.2f}-{high:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
