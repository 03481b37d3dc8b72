"""Command tracking figures (issue: command-usage tracking).

Prints ``name: value unit`` lines:
- ``tracking_sustained``: rows/s into ``audit_logs`` through the tracker, recording
  ``ROWS`` rows as fast as the calling task can (yielding to the loop every 1,000) and
  timing until the last one is written (target >= 100,000 rows/s);
- ``tracking_drain``: rows/s of the writer alone, emptying a queue of ``ROWS`` rows;
- ``tracking_record_p50`` / ``_p99`` / ``_max``: the cost of ``record()`` on the calling
  task in microseconds, timed with ``perf_counter_ns`` around each call while the writer
  runs (target p99 < 10 us); ``tracking_timer_overhead`` is the cost of the timing alone,
  included in those figures.
- ``ratio tracking_drain_over_raw_copy``: the writer emptying a queue of ``RATIO_ROWS``
  rows over one raw ``copy_records_to_table`` of the same rows on the same connection
  (a tracker pool of one), rounds alternating (goal >= 0.7).
Each figure is the median of ``ROUNDS`` rounds. Uses ``TEST_DATABASE_URL`` when set,
else an embedded PostgreSQL. ``BENCH_ROWS`` / ``BENCH_ROUNDS`` override the sizes.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import time

from ratios import report

from alphapy.db import Database
from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.testing.database import TestDatabaseServer
from alphapy.tracking import _COLUMNS, CommandTracker

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TIMED_CALLS = 200_000
RATIO_ROWS = int(os.environ.get("BENCH_RATIO_ROWS", "200000"))
NAMES = [f"command{i}" for i in range(40)]


async def sustained(db: Database) -> float:
    tracker = CommandTracker(db, backlog_limit=ROWS + 1)
    await tracker.start()
    record = tracker.record
    started = time.perf_counter()
    for i in range(ROWS):
        record(i % 50, i, NAMES[i % 40], "slash", i % 7 != 0, None)
        if i % 1000 == 999:
            await asyncio.sleep(0)
    left = await tracker.stop(timeout=600)
    elapsed = time.perf_counter() - started
    assert left == 0 and tracker.stats().written == ROWS, tracker.stats()
    return ROWS / elapsed


async def drain(db: Database) -> float:
    tracker = CommandTracker(db, backlog_limit=ROWS + 1)
    for i in range(ROWS):
        tracker.record(i % 50, i, NAMES[i % 40], "text", True, None)
    started = time.perf_counter()
    await tracker.start()
    left = await tracker.stop(timeout=600)
    elapsed = time.perf_counter() - started
    assert left == 0 and tracker.stats().written == ROWS, tracker.stats()
    return ROWS / elapsed


async def record_cost(db: Database) -> tuple[float, float, float, float]:
    tracker = CommandTracker(db, backlog_limit=TIMED_CALLS + 1)
    await tracker.start()
    record = tracker.record
    clock = time.perf_counter_ns
    costs = [0] * TIMED_CALLS
    empty = [0] * TIMED_CALLS
    for i in range(TIMED_CALLS):
        t0 = clock()
        record(i % 50, i, NAMES[i % 40], "slash", True, None)
        costs[i] = clock() - t0
        if i % 1000 == 999:
            await asyncio.sleep(0)
    for i in range(TIMED_CALLS):
        t0 = clock()
        empty[i] = clock() - t0
    await tracker.stop(timeout=600)
    costs.sort()
    us = lambda ns: ns / 1000  # noqa: E731
    return (
        us(costs[len(costs) // 2]),
        us(costs[int(len(costs) * 0.99)]),
        us(costs[-1]),
        us(statistics.median(empty)),
    )


async def drain_over_raw_copy(url: str) -> float:
    """Seconds of a raw COPY over seconds of the tracker's writer, for the same rows."""
    db = await Database(url, min_size=1, max_size=2, tracker_size=1).open()
    ratios = []
    try:
        for _ in range(ROUNDS):
            tracker = CommandTracker(db, backlog_limit=RATIO_ROWS + 1)
            for i in range(RATIO_ROWS):
                tracker.record(i % 50, i, NAMES[i % 40], "slash", i % 7 != 0, None)
            rows = list(tracker._queue)  # the very tuples the writer sends
            await db.execute("TRUNCATE audit_logs")
            gc.collect()
            started = time.perf_counter()
            await tracker.start()
            assert await tracker.stop(timeout=600) == 0
            ours = time.perf_counter() - started
            await db.execute("TRUNCATE audit_logs")
            gc.collect()
            async with db.tracker_pool.acquire() as conn:
                started = time.perf_counter()
                await conn.copy_records_to_table("audit_logs", records=rows, columns=_COLUMNS)
                raw = time.perf_counter() - started
            ratios.append(raw / ours)
    finally:
        await db.close()
    return statistics.median(ratios)


async def run(url: str) -> None:
    db = await Database(url, min_size=1, max_size=2, tracker_size=2).open()
    figures: dict[str, list[float]] = {}
    try:
        for _ in range(ROUNDS):
            for name, bench in (("sustained", sustained), ("drain", drain)):
                await db.execute("TRUNCATE audit_logs")
                gc.collect()
                figures.setdefault(name, []).append(await bench(db))
            await db.execute("TRUNCATE audit_logs")
            gc.collect()
            p50, p99, worst, overhead = await record_cost(db)
            for key, value in (("p50", p50), ("p99", p99), ("max", worst), ("overhead", overhead)):
                figures.setdefault(key, []).append(value)
    finally:
        await db.close()
    med = {key: statistics.median(values) for key, values in figures.items()}
    print(f"tracking_sustained: {med['sustained']:,.0f} rows/s")
    print(f"tracking_drain: {med['drain']:,.0f} rows/s")
    print(f"tracking_record_p50: {med['p50']:.2f} us")
    print(f"tracking_record_p99: {med['p99']:.2f} us")
    print(f"tracking_record_max: {med['max']:.0f} us")
    print(f"tracking_timer_overhead: {med['overhead']:.2f} us")
    report("tracking_drain_over_raw_copy", await drain_over_raw_copy(url), ">=", 0.7)


def main() -> None:
    server = TestDatabaseServer()
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source()]).apply()
        asyncio.run(run(url))
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    main()
