"""A worker process for the scheduler's multi-process tests and benchmark.

    python tests/scheduler_worker.py DATABASE_URL WORKER_NAME EXPECTED_ROWS [BATCH_SIZE] [HANDLE_DELAY]

Runs a :class:`~alphapy.scheduler.Scheduler` with one :class:`~alphapy.scheduler.DueWork`
over the ``due_items`` table (created by the caller), exactly as a plugin would: the claim
records the claimer in the row, and ``handle`` inserts one ``claims`` row per claimed item
(no unique constraint there, so a double claim would show up as a duplicate). Prints
``ready`` once listening, then, when every one of ``EXPECTED_ROWS`` rows is claimed (seen by
a periodic task), stops and prints one JSON line with what this worker claimed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alphapy.db import Database  # noqa: E402
from alphapy.log import configure_logging  # noqa: E402
from alphapy.scheduler import DueWork, Scheduler  # noqa: E402

CHANNEL = "due_items_due"

CLAIM = """
    UPDATE due_items
       SET claimed_at = now(), claimed_by = $5
     WHERE id IN (
           SELECT id FROM due_items
            WHERE due_at <= $1
              AND claimed_at IS NULL
              AND ((guild_id >> 22) % $2) = ANY($3::int[])
            ORDER BY due_at
              FOR UPDATE SKIP LOCKED
            LIMIT $4)
    RETURNING id
"""

NEXT_DUE = """
    SELECT min(due_at) FROM due_items
     WHERE claimed_at IS NULL AND ((guild_id >> 22) % $1) = ANY($2::int[])
"""


async def main(url: str, worker: str, expected: int, batch_size: int, handle_delay: float) -> None:
    configure_logging("warning", "json", stream=sys.stderr)  # stdout carries the protocol
    db = await Database(url, min_size=1, max_size=3, tracker_size=1).open()
    scheduler = Scheduler(db, shard_count=1, shard_ids=[0])
    claimed = 0
    first_claim: float | None = None
    last_claim: float | None = None
    done = asyncio.Event()

    async def claim(conn, now, shard_count, shard_ids, limit):  # type: ignore[no-untyped-def]
        return await conn.fetch(CLAIM, now, shard_count, shard_ids, limit, worker)

    async def next_due(conn, shard_count, shard_ids):  # type: ignore[no-untyped-def]
        return await conn.fetchval(NEXT_DUE, shard_count, shard_ids)

    async def handle(rows):  # type: ignore[no-untyped-def]
        nonlocal claimed, first_claim, last_claim
        now = time.time()
        first_claim = first_claim or now
        last_claim = now
        claimed += len(rows)
        await db.execute(
            "INSERT INTO claims (item_id, worker) SELECT unnest($1::int[]), $2", [r["id"] for r in rows], worker
        )
        if handle_delay:
            await asyncio.sleep(handle_delay)

    async def check_done() -> None:
        row = await db.fetchrow(
            "SELECT count(*) AS total, count(*) FILTER (WHERE claimed_at IS NULL) AS open FROM due_items"
        )
        if row["total"] >= expected and row["open"] == 0:
            done.set()

    scheduler.add_due_work(
        DueWork("items", claim=claim, next_due=next_due, handle=handle, channel=CHANNEL,
                batch_size=batch_size, poll_interval=2.0)
    )
    scheduler.every("done-check", 0.1, check_done, jitter=0.0)
    await scheduler.start()
    print("ready", flush=True)
    try:
        await asyncio.wait_for(done.wait(), 120)
    finally:
        stats = scheduler.due_stats("items")
        await scheduler.stop()
        await db.close()
    print(json.dumps({
        "worker": worker,
        "claimed": claimed,
        "claims": stats.claims,
        "batches": stats.batches,
        "first_claim": first_claim,
        "last_claim": last_claim,
    }), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(
        args[0], args[1], int(args[2]),
        int(args[3]) if len(args) > 3 else 50,
        float(args[4]) if len(args) > 4 else 0.0,
    ))
