"""Reminders figures (issue 5). Prints ``name: value unit`` lines (plans as ``#`` lines).

- **Idle with 100,000 reminders** (none due for an hour): the real bot on a real
  PostgreSQL, against the emulator. CPU this process used over a 10-second window (the bot
  *and* the emulator with its gateway heartbeats: an upper bound for the bot), the
  due-work loop's claims meanwhile (it sleeps until the next due time, so none), and the
  plans and execution times of the claim and ``next_due`` queries (``EXPLAIN ANALYZE``:
  index scans of the partial ``idx_reminders_next_fire``).
- **1,000 reminders due at the same minute across 1,000 channels**: two bot processes
  (``plugins/alphapy_reminders/tests/reminders_worker.py``, separate OS processes sharing
  the database, serving shard 0 and shard 1 of two, with half the guilds each) against an
  emulator that enforces Discord's global limit of 50 requests per second. Time from the due time to the last reminder posted, messages per reminder
  (must be exactly 1), global 429s answered, and each process's share.
- **Fire time under the rate limit**: 300 reminders due at instants spread over 15 s
  (20 per second, under the limit), through the same two processes. Lateness of each post
  (the emulator receiving it) after its due time: p50, p99, max.

Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL (started outside the
timed regions). The machine is shared: read the figures as orders of magnitude.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alphapy_reminders import plugin, store

from alphapy.db import Database
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.scheduler import shard_of
from alphapy.testing.bot import running_alphapy
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

WORKER = Path(__file__).resolve().parents[1] / "plugins" / "alphapy_reminders" / "tests" / "reminders_worker.py"
STORED = 100_000
BURST = 1_000
SPREAD = 300
SPREAD_SECONDS = 15.0
CHANNELS_PER_GUILD = 250  # Discord (and the emulator) allow 500 channels in a guild


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def migrated(server: TestDatabaseServer) -> str:
    manager = PluginManager()
    manager.register(plugin, "reminders")
    return server.migrated_database(manager.migration_sources())


async def add_many(db: Database, rows: list[tuple[int, int, datetime]]) -> None:
    """Reminders through the plugin's own store (one transaction, one NOTIFY per row, as /reminder add)."""
    from datetime import time as clock

    async with db.transaction() as conn:
        for n, (guild_id, channel_id, due) in enumerate(rows):
            await store.add_recurring(conn, guild_id=guild_id, name=f"R{n}", channel_id=channel_id, at=clock(19),
                                      call_time=clock(19), days=["0"], message="bench", created_by=None,
                                      mention_role_id=None, image_url=None, next_fire_at=due)


# --- 1. idle --------------------------------------------------------------------------------

async def idle(server: TestDatabaseServer) -> None:
    url = migrated(server)
    emulator = await DiscordEmulator().start()
    guild = emulator.add_guild("Idle", text_channels=("general",))
    try:
        async with Database(url, min_size=1, max_size=2) as db:
            await db.execute(
                """INSERT INTO reminders (guild_id, name, channel_id, time, call_time, days, next_fire_at)
                   SELECT $1, 'r' || n, $2, '19:00', '19:00', '{0}', now() + interval '1 hour' + n * interval '1 second'
                     FROM generate_series(1, $3) AS n""",
                guild.id, guild.channel("general").id, STORED)
            await db.execute("ANALYZE reminders")
            async with running_alphapy(emulator, url, plugins=[("reminders", plugin)]) as runner:
                due = runner.bot.scheduler.stats()["due_work"]["reminders"]
                await asyncio.sleep(2.0)  # let start-up settle
                claims_before, cpu_before = due["claims"], time.process_time()
                await asyncio.sleep(10.0)
                stats = runner.bot.scheduler.stats()["due_work"]["reminders"]
                cpu = time.process_time() - cpu_before
                print(f"idle_100k_process_cpu: {cpu * 1000:.1f} ms per 10 s (bot and emulator)")
                print(f"idle_100k_due_claims: {stats['claims'] - claims_before} claims in 10 s")
                print(f"idle_100k_loop_state: {stats['state']} (until {stats['sleeping_until']:%H:%M:%S} UTC)")
            async with db.acquire() as conn:
                for name, query, args in [
                    ("claim", store.CLAIM, (datetime.now(UTC), 1, [0], 50, "bench", store.LEASE)),
                    ("next_due", store.NEXT_DUE, (1, [0], store.LEASE)),
                ]:
                    plan = await conn.fetch("EXPLAIN (ANALYZE, COSTS OFF) " + query, *args)
                    lines = [r[0] for r in plan]
                    for line in lines:
                        if "Scan" in line or "Index Cond" in line or "Execution Time" in line:
                            print(f"# {name} plan: {line.strip()}")
                    executed = next(float(line.split()[-2]) for line in lines if "Execution Time" in line)
                    print(f"idle_100k_{name}_query: {executed:.3f} ms")
    finally:
        await emulator.stop()
        server.drop_database(url)


# --- 2 and 3. under Discord's global limit, two processes -----------------------------------------

async def start_worker(url: str, emulator: DiscordEmulator, shard_id: int) -> asyncio.subprocess.Process:
    """One bot process serving shard ``shard_id`` of two, as a two-process deployment runs."""
    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), url, emulator.api_base, emulator.gateway_url, emulator.token, "2", str(shard_id),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    line = await asyncio.wait_for(worker.stdout.readline(), 120)  # type: ignore[union-attr]
    if line != b"ready\n":
        raise RuntimeError(f"worker did not start: {line!r}")
    return worker


async def stop_worker(worker: asyncio.subprocess.Process) -> str:
    worker.stdin.close()  # type: ignore[union-attr]
    out = await asyncio.wait_for(worker.stdout.read(), 60)  # type: ignore[union-attr]
    await worker.wait()
    return out.decode().strip()


def next_seq(emulator: DiscordEmulator) -> int:
    """The sequence number the emulator's next logged request will get."""
    return emulator.requests[-1].seq + 1 if len(emulator.requests) else 1


def posted(emulator: DiscordEmulator, since_seq: int) -> list[Any]:
    """The reminder posts the emulator accepted (its answer was 200), in arrival order."""
    return [r for r in emulator.requests.since(since_seq)
            if r.method == "POST" and r.route == "/channels/{channel_id}/messages" and r.status == 200
            and str((r.json or {}).get("nonce", "")).startswith("r")]


async def under_the_limit(server: TestDatabaseServer) -> None:
    url = migrated(server)
    emulator = await DiscordEmulator(global_rate_limit=50, request_log_size=200_000).start()
    channels: list[tuple[int, int]] = []
    per_shard = [0, 0]
    while len(channels) < BURST:  # half the guilds on each shard, so both processes have work
        guild = emulator.add_guild(f"Busy {len(emulator.state.guilds)}")
        shard = shard_of(guild.id, 2)
        if per_shard[shard] * 2 * CHANNELS_PER_GUILD >= BURST:
            continue
        per_shard[shard] += 1
        channels += [(guild.id, guild.add_text_channel(f"c{i}").id) for i in range(CHANNELS_PER_GUILD)]
    workers = [await start_worker(url, emulator, shard) for shard in (0, 1)]
    try:
        async with Database(url, min_size=1, max_size=2) as db:
            # 2. one thousand at the same minute
            seq = next_seq(emulator)
            due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
            await add_many(db, [(g, c, due) for g, c in channels])
            deadline = time.monotonic() + 120
            while len(posted(emulator, seq)) < BURST and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            posts = posted(emulator, seq)
            offset = time.time() - time.monotonic()
            last = max(r.time for r in posts) + offset
            per_reminder = [0] * BURST
            for r in posts:
                per_reminder[int(r.json["nonce"][1:].split(":")[0]) - 1] += 1
            print(f"burst_1000_delivered: {sum(1 for n in per_reminder if n)} of {BURST} reminders")
            print(f"burst_1000_duplicates: {sum(n - 1 for n in per_reminder if n > 1)} messages")
            print(f"burst_1000_last_after_due: {last - due.timestamp():.1f} s")
            print(f"burst_1000_rate: {len(posts) / (last - due.timestamp()):.1f} messages/s")
            print(f"burst_1000_global_429s: {emulator.ratelimiter.global_hits} answers")
            unsent = await db.fetchval("SELECT count(*) FROM reminders WHERE last_sent_at IS NULL")
            print(f"burst_1000_unrecorded: {unsent} reminders")

            # 3. spread under the limit
            await asyncio.sleep(1.0)
            seq = next_seq(emulator)
            await db.execute("DELETE FROM reminders")
            start = datetime.now(UTC) + timedelta(seconds=3)
            dues = [start + timedelta(seconds=SPREAD_SECONDS * i / SPREAD) for i in range(SPREAD)]
            await add_many(db, [(*channels[i], dues[i]) for i in range(SPREAD)])
            ids = {row["id"]: row["next_fire_at"] for row in await db.fetch("SELECT id, next_fire_at FROM reminders")}
            deadline = time.monotonic() + 60
            while len(posted(emulator, seq)) < SPREAD and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            offset = time.time() - time.monotonic()
            lateness = [r.time + offset - ids[int(r.json["nonce"][1:].split(":")[0])].timestamp()
                        for r in posted(emulator, seq)]
            print(f"spread_300_delivered: {len(lateness)} of {SPREAD} reminders")
            print(f"spread_300_lateness_p50: {statistics.median(lateness) * 1000:.1f} ms")
            print(f"spread_300_lateness_p99: {percentile(lateness, 0.99) * 1000:.1f} ms")
            print(f"spread_300_lateness_max: {max(lateness) * 1000:.1f} ms")
    finally:
        reports = [await stop_worker(w) for w in workers]
        for n, report in enumerate(reports):
            print(f"# worker {n}: {report}")
        await emulator.stop()
        server.drop_database(url)


async def main() -> None:
    configure_logging("error", "json", stream=sys.stderr)
    server = TestDatabaseServer()
    try:
        await idle(server)
        await under_the_limit(server)
    finally:
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
