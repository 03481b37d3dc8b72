"""Settings figures (issue: core services). Prints ``name: value unit`` lines.

- a cached read (``await settings.get``), median and p99 in µs (target < 5 µs);
- writes per second, each a value and its history row in one transaction, from 8
  concurrent tasks (target >= 1,500/s);
- how long until a write in one process is seen by another process's reads (target
  < 100 ms), median and max over repeated writes;
- ``ratio settings_write_over_floor_{1,8}_writers``: our write rate (validation, the value,
  its history row, the NOTIFY) over the physical floor, one ``INSERT ... ON CONFLICT``
  round trip on the same server per write (each writer holding a connection), with 1
  and 8 writers, rounds alternating (goal >= 0.8); ``settings_write_over_pooled_insert_*``
  (not a target) is the same over ``db.execute`` per write, the floor of earlier runs;
- ``ratio settings_write_over_red_{1,8}_writers``: our write rate over Red-DiscordBot's
  Config on the same server (goal >= 2), when ``--red-venv PATH`` names a virtual
  environment with ``Red-DiscordBot[postgres]`` (Red pins an older aiohttp): Red runs
  there as a subprocess (``red_config_writer.py``), in turn with ours; else it is skipped.
  The sides take turns in slices of ``BENCH_SLICE_WRITES`` writes (their order alternating),
  a warm-up round is dropped, and each ratio line notes the middle half of its slices'
  ratios; ``settings_floor_over_red_*`` (the floor over Red, not a target) bounds what
  ours can reach against Red, and ``settings_writes_per_statement_*`` shows whether
  concurrent writers shared commits.
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL. ``BENCH_WRITES`` /
``BENCH_ROUNDS`` set the writes per round (per side) and the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from ratios import report

from alphapy.db import Database
from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.settings import SettingsRegistry, SettingsService, declare_core_settings
from alphapy.testing.database import TestDatabaseServer

GUILD = 123_456_789_012_345_678
WRITES = int(os.environ.get("BENCH_WRITES", "800"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SLICE_WRITES = int(os.environ.get("BENCH_SLICE_WRITES", "25"))
"""Writes per side before the other side's turn (a multiple of the writers is taken)."""
FLOOR_SQL = """
INSERT INTO bot_settings (guild_id, scope, key, value, value_type, updated_by, updated_at)
VALUES ($1, 'bench', 'floor', $2, 'int', $3, now())
ON CONFLICT (guild_id, scope, key) DO UPDATE
    SET value = EXCLUDED.value, value_type = EXCLUDED.value_type,
        updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
"""


def registry() -> SettingsRegistry:
    reg = SettingsRegistry()
    declare_core_settings(reg)
    reg.registrar("bench")("counter", "int", default=0, min=0)
    return reg


async def cached_reads(settings: SettingsService) -> None:
    await settings.get(GUILD, "core", "timezone")
    samples = []
    for _ in range(20):
        started = time.perf_counter_ns()
        for _ in range(10_000):
            await settings.get(GUILD, "core", "timezone")
        samples.append((time.perf_counter_ns() - started) / 10_000 / 1000)
    single = []
    for _ in range(50_000):
        started = time.perf_counter_ns()
        await settings.get(GUILD, "core", "timezone")
        single.append((time.perf_counter_ns() - started) / 1000)
    single.sort()
    print(f"settings_cached_read_median: {statistics.median(samples):.2f} us")
    print(f"settings_cached_read_p99: {single[int(len(single) * 0.99)]:.2f} us")


async def writes(settings: SettingsService, seconds: float = 3.0) -> None:
    done = 0
    deadline = time.perf_counter() + seconds

    async def writer(guild: int) -> None:
        nonlocal done
        n = 0
        while time.perf_counter() < deadline:
            n += 1
            await settings.set(guild, "bench", "counter", n, changed_by=1)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(writer(GUILD + i) for i in range(8)))
    print(f"settings_writes: {done / (time.perf_counter() - started):.0f} writes/s")


WATCHER = textwrap.dedent("""
    import asyncio, sys, time
    from alphapy.db import Database
    from alphapy.settings import SettingsService
    sys.path.insert(0, "bench")
    from bench_settings import registry, GUILD

    async def main(url, rounds):
        async with Database(url, min_size=1, max_size=2) as db:
            settings = SettingsService(db, registry())
            await settings.start()
            print("ready", flush=True)
            last = await settings.get(GUILD, "bench", "counter")
            seen = 0
            while seen < rounds:
                value = await settings.get(GUILD, "bench", "counter")
                if value != last:
                    print(f"{value} {time.time()}", flush=True)
                    last, seen = value, seen + 1
                await asyncio.sleep(0.0005)
            await settings.stop()

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
""")


async def cross_process(settings: SettingsService, url: str, rounds: int = 20) -> None:
    await settings.set(GUILD, "bench", "counter", 0)
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, url, str(rounds)], stdout=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    await asyncio.to_thread(watcher.stdout.readline)  # "ready"
    await asyncio.sleep(0.2)
    written: dict[int, float] = {}
    for n in range(1, rounds + 1):
        await settings.set(GUILD, "bench", "counter", 10_000 + n)
        written[10_000 + n] = time.time()
        await asyncio.sleep(0.15)
    lines = (await asyncio.to_thread(watcher.communicate))[0].split("\n")
    delays = [(float(t) - written[int(v)]) * 1000 for v, t in (line.split() for line in lines if line.strip())]
    print(f"settings_cross_process_visible_median: {statistics.median(delays):.1f} ms")
    print(f"settings_cross_process_visible_max: {max(delays):.1f} ms")


async def spread(writes: int, writers: int, write: Callable[[int, int], Awaitable[object]]) -> float:
    """Seconds for ``writes`` calls of ``write(writer, n)`` from ``writers`` tasks."""
    async def writer(w: int) -> None:
        for n in range(writes // writers):
            await write(w, n)

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - started


async def floor_seconds(db: Database, writes: int, writers: int) -> float:
    """Seconds for the physical floor: each writer holds a connection and sends one
    ``INSERT ... ON CONFLICT`` round trip per write (``db.execute`` per write would add
    the pool's release, itself a round trip: asyncpg resets the session)."""
    async def writer(w: int) -> None:
        async with db.acquire() as conn:
            for n in range(writes // writers):
                await conn.execute(FLOOR_SQL, GUILD + 2000 + w, n, 1)

    started = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    return time.perf_counter() - started


class RedConfig:
    """Red's Config in its own virtual environment, writing on command (red_config_writer.py)."""

    def __init__(self, venv: Path, url: str) -> None:
        script = Path(__file__).resolve().parent / "red_config_writer.py"
        self.process = subprocess.Popen([str(venv / "bin" / "python"), str(script), url],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit("Red's Config did not start (is Red-DiscordBot[postgres] installed there?)")

    def seconds(self, writes: int, writers: int) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{writes} {writers}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        self.process.wait(30)


async def write_ratios(settings: SettingsService, db: Database, red: RedConfig | None) -> None:
    """Ours, the floor and Red in turn, in short slices; each target is the median of the
    slices' ratios.

    Each round writes ``WRITES`` values per side in slices of ``SLICE_WRITES``, the sides
    taking turns slice by slice, so that the load of a shared machine, which changes
    within seconds, weighs on both sides of each ratio alike (whole rounds in turn gave
    ratios from 0.2 to 2.5 for the same code). The order of the sides alternates between
    slices, and a first round is dropped (statements prepared, pool and caches warm).
    Each ratio line notes the middle half of its slices' ratios (25th-75th percentile).
    The floor holds a connection per writer (one round trip per write); for comparison
    with figures taken before, ``settings_write_over_pooled_insert_*`` (not a target) is
    ours over the same INSERT sent with ``db.execute`` per write, which waits for the
    pool's release too.
    ``settings_floor_over_red_*`` (not a target) is where the floor itself stands against
    Red: ours cannot beat one round trip and one commit per write, so it bounds what
    ``settings_write_over_red_*`` can reach.
    """
    async def ours(w: int, n: int) -> object:
        return await settings.set(GUILD + 1000 + w, "bench", "counter", n, changed_by=1)

    async def pooled(w: int, n: int) -> object:
        return await db.execute(FLOOR_SQL, GUILD + 3000 + w, n, 1)

    for writers in (1, 8):
        per_slice = max(writers, SLICE_WRITES - SLICE_WRITES % writers)
        over_floor: list[float] = []
        over_red: list[float] = []
        floor_over_red: list[float] = []
        over_pooled: list[float] = []
        written = statements = 0
        for round_ in range(ROUNDS + 1):
            if round_ == 1:  # after the warm-up
                written, statements = settings.stats()["writes"], settings.stats()["write_batches"]
            for slice_ in range(max(1, WRITES // per_slice)):
                timed: dict[str, float] = {}
                sides = ["ours", "floor", "pooled", "red"]
                if slice_ % 2:
                    sides.reverse()
                for side in sides:
                    if side == "ours":
                        timed[side] = await spread(per_slice, writers, ours)
                    elif side == "floor":
                        timed[side] = await floor_seconds(db, per_slice, writers)
                    elif side == "pooled":
                        timed[side] = await spread(per_slice, writers, pooled)
                    elif red is not None:
                        timed[side] = await asyncio.to_thread(red.seconds, per_slice, writers)
                if round_ == 0:
                    continue  # warm-up
                over_floor.append(timed["floor"] / timed["ours"])
                over_pooled.append(timed["pooled"] / timed["ours"])
                if red is not None:
                    over_red.append(timed["red"] / timed["ours"])
                    floor_over_red.append(timed["red"] / timed["floor"])
        report(f"settings_write_over_floor_{writers}_writers", statistics.median(over_floor), ">=", 0.8,
               note=middle_half(over_floor))
        if red is not None:
            report(f"settings_write_over_red_{writers}_writers", statistics.median(over_red), ">=", 2,
                   note=middle_half(over_red))
            print(f"settings_floor_over_red_{writers}_writers: {statistics.median(floor_over_red):.3g}x "
                  f"{middle_half(floor_over_red)}")
        print(f"settings_write_over_pooled_insert_{writers}_writers: {statistics.median(over_pooled):.3g}x "
              f"{middle_half(over_pooled)}")
        stats = settings.stats()
        print(f"settings_writes_per_statement_{writers}_writers: "
              f"{(stats['writes'] - written) / max(1, stats['write_batches'] - statements):.2f}")
    if red is None:
        print("settings_write_over_red: skipped (no --red-venv given)")


def middle_half(ratios: list[float]) -> str:
    """The 25th-75th percentile of the slices' ratios, as a note to a ratio line."""
    low, _median, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else (ratios * 3)
    return f"(middle half of {len(ratios)} slices {low:.2f}-{high:.2f})"


async def run(red_venv: Path | None) -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    url = server.create_database()
    red = None
    try:
        MigrationRunner(url, [core_source()]).apply()
        async with Database(url, min_size=8, max_size=8) as db:
            settings = SettingsService(db, registry())
            await settings.start()
            await cached_reads(settings)
            await writes(settings)
            await cross_process(settings, url)
            red = RedConfig(red_venv, url) if red_venv is not None else None
            await write_ratios(settings, db, red)
            await settings.stop()
    finally:
        if red is not None:
            red.close()
        server.drop_database(url)
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--red-venv", type=Path, help="a virtual environment with Red-DiscordBot[postgres]")
    asyncio.run(run(parser.parse_args().red_venv))


if __name__ == "__main__":
    main()
