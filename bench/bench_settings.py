"""Settings figures (issue: core services). Prints ``name: value unit`` lines.

- a cached read (``await settings.get``), median and p99 in µs (target < 5 µs);
- writes per second, each a value and its history row in one transaction, from 8
  concurrent tasks (target >= 1,500/s);
- how long until a write in one process is seen by another process's reads (target
  < 100 ms), median and max over repeated writes.
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import textwrap
import time

from alphapy.db import Database
from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.settings import SettingsRegistry, SettingsService, declare_core_settings
from alphapy.testing.database import TestDatabaseServer

GUILD = 123_456_789_012_345_678


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


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source()]).apply()
        async with Database(url, min_size=8, max_size=8) as db:
            settings = SettingsService(db, registry())
            await settings.start()
            await cached_reads(settings)
            await writes(settings)
            await cross_process(settings, url)
            await settings.stop()
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
