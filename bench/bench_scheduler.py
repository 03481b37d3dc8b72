"""Figures of the scheduler's due-work loop (issue: scheduler).

Prints ``name: value unit`` lines:
- ``due_claim_1_worker`` / ``due_claim_2_workers``: rows claimed and handled per second by
  one and by two worker processes (``tests/scheduler_worker.py``: batches of 100, a claim
  ``UPDATE ... FOR UPDATE SKIP LOCKED`` plus one INSERT per batch in ``handle``; median of
  three runs of 20,000 rows), timed from the NOTIFY to the last batch handled; the
  two-worker runs also check that every row was claimed exactly once;
- ``notify_wakeup_latency_p50`` / ``_p95``: from the commit of an INSERT + ``pg_notify``
  to ``handle`` being called with that row, in one process (the loop was asleep with an
  hour-long poll interval);
- ``due_time_lateness_p50`` / ``_p95``: how late after its ``due_at`` a row is handled
  when the loop sleeps until it (no notification).
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL (started outside the
timed regions). The machine is shared: read the figures as orders of magnitude.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alphapy.db import Database  # noqa: E402
from alphapy.db.pool import connect  # noqa: E402
from alphapy.log import configure_logging  # noqa: E402
from alphapy.scheduler import DueWork, Scheduler, notify_due  # noqa: E402
from alphapy.testing.database import TestDatabaseServer  # noqa: E402

WORKER = Path(__file__).resolve().parents[1] / "tests" / "scheduler_worker.py"
CHANNEL = "due_items_due"
ROWS = 20_000
RUNS = 3  # throughput: the median of this many runs
SAMPLES = 40

TABLES = """
    CREATE TABLE due_items (
        id SERIAL PRIMARY KEY, guild_id BIGINT NOT NULL, due_at TIMESTAMPTZ NOT NULL,
        claimed_at TIMESTAMPTZ, claimed_by TEXT);
    CREATE INDEX due_items_due ON due_items (due_at) WHERE claimed_at IS NULL;
    CREATE TABLE claims (item_id INT NOT NULL, worker TEXT NOT NULL);
"""


async def claim_throughput(server: TestDatabaseServer, workers: int) -> float:
    url = server.create_database()
    try:
        conn = await connect(url)
        await conn.execute(TABLES)
        procs = [
            subprocess.Popen([sys.executable, str(WORKER), url, f"w{i}", str(ROWS), "100", "0"],
                             stdout=subprocess.PIPE, text=True)
            for i in range(workers)
        ]
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        async with conn.transaction():
            await conn.execute(
                "INSERT INTO due_items (guild_id, due_at) "
                "SELECT (g::bigint << 22) | g, now() - interval '1 second' FROM generate_series(1, $1) g",
                ROWS,
            )
            await notify_due(conn, CHANNEL)
            # The commit below delivers the notification; time from just before it.
            started = time.time()
        reports = []
        for proc in procs:
            assert proc.stdout is not None
            reports.append(json.loads(await asyncio.to_thread(proc.stdout.readline)))
            proc.wait()
        total, distinct = await conn.fetchrow("SELECT count(*), count(DISTINCT item_id) FROM claims")
        await conn.close()
        if total != ROWS or distinct != ROWS:
            raise SystemExit(f"claims: {total} total, {distinct} distinct, expected {ROWS}")
        if workers > 1 and any(r["claimed"] == 0 for r in reports):
            print(f"# note: one worker claimed nothing: {reports}", file=sys.stderr)
        return ROWS / (max(r["last_claim"] for r in reports) - started)
    finally:
        server.drop_database(url)


async def latencies(server: TestDatabaseServer) -> tuple[list[float], list[float]]:
    url = server.create_database()
    db = await Database(url, min_size=1, max_size=4).open()
    try:
        await db.execute(TABLES)
        handled: asyncio.Queue[tuple[int, float]] = asyncio.Queue()

        async def claim(conn: Any, now: datetime, count: int, ids: list[int], limit: int) -> list[Any]:
            return await conn.fetch(
                "UPDATE due_items SET claimed_at = now() WHERE id IN (SELECT id FROM due_items "
                "WHERE due_at <= $1 AND claimed_at IS NULL AND ((guild_id >> 22) % $2) = ANY($3::int[]) "
                "ORDER BY due_at FOR UPDATE SKIP LOCKED LIMIT $4) RETURNING id, due_at",
                now, count, ids, limit,
            )

        async def next_due(conn: Any, count: int, ids: list[int]) -> datetime | None:
            return await conn.fetchval(
                "SELECT min(due_at) FROM due_items WHERE claimed_at IS NULL "
                "AND ((guild_id >> 22) % $1) = ANY($2::int[])", count, ids,
            )

        async def handle(rows: list[Any]) -> None:
            now = time.time()
            for row in rows:
                handled.put_nowait((row["id"], now - row["due_at"].timestamp()))

        scheduler = Scheduler(db)
        scheduler.add_due_work(DueWork("bench", claim=claim, next_due=next_due, handle=handle,
                                       channel=CHANNEL, poll_interval=3600))
        wake: list[float] = []
        late: list[float] = []
        async with scheduler:
            async with db.acquire() as conn:
                for _ in range(SAMPLES):
                    while scheduler.due_stats("bench").state != "sleeping":
                        await asyncio.sleep(0.005)
                    async with conn.transaction():
                        await conn.execute(
                            "INSERT INTO due_items (guild_id, due_at) VALUES (1, now() - interval '1 second')"
                        )
                        await notify_due(conn, CHANNEL)
                    committed = time.time()
                    await handled.get()
                    wake.append(time.time() - committed)
                for _ in range(SAMPLES):
                    while scheduler.due_stats("bench").state != "sleeping":
                        await asyncio.sleep(0.005)
                    due = datetime.now(timezone.utc) + timedelta(seconds=0.1)
                    await conn.execute("INSERT INTO due_items (guild_id, due_at) VALUES (1, $1)", due)
                    await notify_due(conn, CHANNEL)  # tells the loop the new next due time
                    _id, lateness = await handled.get()
                    late.append(lateness)
        return wake, late
    finally:
        await db.close()
        server.drop_database(url)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    configure_logging("warning", "json", stream=sys.stderr)
    os.environ.setdefault("LOG_LEVEL", "warning")
    server = TestDatabaseServer()
    try:
        _ = server.admin_url  # start the embedded server outside the timed regions
        for workers in (1, 2):
            rates = [await claim_throughput(server, workers) for _ in range(RUNS)]
            label = "1_worker" if workers == 1 else f"{workers}_workers"
            print(f"due_claim_{label}: {statistics.median(rates):.0f} rows/s")
        wake, late = await latencies(server)
        print(f"notify_wakeup_latency_p50: {statistics.median(wake) * 1000:.2f} ms")
        print(f"notify_wakeup_latency_p95: {pct(wake, 0.95) * 1000:.2f} ms")
        print(f"due_time_lateness_p50: {statistics.median(late) * 1000:.2f} ms")
        print(f"due_time_lateness_p95: {pct(late, 0.95) * 1000:.2f} ms")
    finally:
        server.close()


if __name__ == "__main__":
    asyncio.run(main())
