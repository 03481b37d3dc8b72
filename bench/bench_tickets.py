"""Tickets figures (issue 6). Prints ``name: value unit`` lines.

- Opening a ticket, command to channel and control message: ``/ticket open`` through the
  emulator (OpenAPI check and Discord's limits on) and the real bot on a real PostgreSQL, until the
  member's "your ticket is open" follow-up, which the bot sends after the channel and its
  embed exist. p50/p95 in ms (target p50 < 50 ms). Each channel is deleted (not timed)
  so that the category never fills up.
- A metrics snapshot over 100,000 tickets (counts per status, average cycle time,
  tickets per day, stored in ``ticket_metrics``): one guild holding all of them, all time
  and 30 days, and the operator's all-guild snapshot. p50 in ms (target < 200 ms).
"""

from __future__ import annotations

import asyncio
import statistics
import time

from alphapy_tickets import plugin
from alphapy_tickets.metrics import take_snapshot

from alphapy.db import Database
from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

OPENINGS = 200
WARM_UP = 20
TICKETS = 100_000
SNAPSHOTS = 20
GUILD = 1 << 42


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def opening(url: str) -> list[float]:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Support", members=0)
    category = guild.add_category("Tickets")
    staff = guild.add_role("Staff")
    members = [guild.add_member(f"member{n}") for n in range(OPENINGS + WARM_UP)]
    await emulator.start()
    samples: list[float] = []
    try:
        async with running_alphapy(emulator, url, plugins=[("tickets", plugin)]) as runner:
            bot = runner.bot
            for key, value in (("category", category.id), ("staff_role", staff.id), ("cooldown_minutes", 0)):
                await bot.settings.set(guild.id, "tickets", key, value)
            for number, member in enumerate(members):
                started = time.perf_counter()
                reply = await emulator.slash(member, "ticket open", description=f"Problem number {number}")
                elapsed = (time.perf_counter() - started) * 1000
                assert reply.content.startswith("Your ticket #"), reply.content
                room = guild.channel(f"ticket-{number + 1}")
                assert room.messages[0].embeds, "the control message has its embed"
                if number >= WARM_UP:
                    samples.append(elapsed)
                await bot.get_channel(room.id).delete()  # keep the category under 50 (not timed)
                await emulator.settle()
    finally:
        await emulator.stop()
    return samples


async def snapshots(url: str) -> dict[str, list[float]]:
    async with Database(url, min_size=1, max_size=2, tracker_size=1) as db:
        # 100,000 tickets in one guild over 90 days, every status, two thirds of them closed
        await db.execute(
            """INSERT INTO support_tickets (guild_id, user_id, username, description, status, created_at,
                                            updated_at, closed_at, channel_id)
               SELECT $1, 1000 + n % 5000, 'member', 'a problem',
                      (ARRAY['open','claimed','waiting_for_user','escalated','closed','archived',
                             'closed','archived','archived'])[1 + n % 9],
                      now() - (n % 90) * interval '1 day' - (n % 1440) * interval '1 minute',
                      now(),
                      CASE WHEN n % 9 >= 4
                           THEN now() - (n % 90) * interval '1 day' + (n % 500) * interval '1 minute' END,
                      n
                 FROM generate_series(1, $2) AS n""", GUILD, TICKETS)
        await db.execute("VACUUM ANALYZE support_tickets")
        timings: dict[str, list[float]] = {"guild_all": [], "guild_30d": [], "operator_all": []}
        for _ in range(SNAPSHOTS):
            for name, guild_id, scope in (("guild_all", GUILD, "all"), ("guild_30d", GUILD, "30d"),
                                          ("operator_all", None, "all")):
                started = time.perf_counter()
                snapshot = await take_snapshot(db, guild_id=guild_id, scope=scope, timezone="Europe/Amsterdam",
                                               triggered_by=1)
                timings[name].append((time.perf_counter() - started) * 1000)
                assert snapshot.total == TICKETS if name == "guild_all" else snapshot.total > 0
    return timings


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(plugin, "tickets")
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        samples = await opening(url)
        print(f"ticket_open_p50: {statistics.median(samples):.1f} ms (command to channel + embed, "
              f"{len(samples)} openings)")
        print(f"ticket_open_p95: {percentile(samples, 0.95):.1f} ms")
        timings = await snapshots(url)
        for name, values in timings.items():
            print(f"metrics_snapshot_{name}_{TICKETS}_tickets_p50: {statistics.median(values):.1f} ms")
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
