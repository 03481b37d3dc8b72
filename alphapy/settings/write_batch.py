"""Concurrent settings writes of one process, sent to the server together.

Every write commits, and a commit waits for the WAL to reach the disk; a commit that
sends ``NOTIFY`` also holds PostgreSQL's notification-queue lock while it does, so
notifying commits of all sessions queue behind each other. Writes that arrive while one
is on its way wait for it, then go together as one statement, one commit and one
``NOTIFY`` (:func:`alphapy.settings.store.write_many`): a burst of N changes (a
dashboard form, a bulk import, eight shards) pays one commit instead of N. A write alone
goes at once, through the single-write function, so a lone change waits for nothing.
The history stays exact: the server applies the entries in arrival order, under the
locks of their settings.

If a batch fails, each of its writes is tried again on its own, so that every caller
gets its own answer (one bad value costs no other write).

Each caller is answered as soon as its statement has committed, not after the pool has
taken the connection back: that release is one more round trip (asyncpg resets the
session), which the sender does after handing over to the next writes, and not between
writes that keep coming (see :meth:`WriteBatcher._send_all`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alphapy.settings import store

if TYPE_CHECKING:
    import asyncpg

    from alphapy.db import Database

MAX_BATCH = 200
"""Most writes sent in one statement (a longer queue goes in several)."""


@dataclass
class _Waiting:
    write: store.NewValue
    answer: asyncio.Future[store.HistoryEntry]


class WriteBatcher:
    """Groups the writes that wait while another one is being sent (see the module)."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._sender: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        """Statements sent (a write alone counts as one): with ``writes``, shows whether
        concurrent writers really share their commits."""
        self.writes = 0

    async def write(self, write: store.NewValue) -> store.HistoryEntry:
        """Store one value with its history row (with whatever else waits to be sent)."""
        answer: asyncio.Future[store.HistoryEntry] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(write, answer))
        if self._sender is None or self._sender.done():
            self._sender = task = asyncio.create_task(self._send_all(), name="alphapy.settings.write_batch")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await answer

    def _take(self) -> list[_Waiting]:
        """The next batch, without the callers that gave up (cancelled); empty: nothing waits."""
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch:]
            batch = [w for w in batch if not w.answer.done()]
            if batch:
                return batch
        return []

    def _hand_over(self) -> None:
        """Let the next write start a sender of its own (on another connection)."""
        if self._sender is asyncio.current_task():
            self._sender = None

    async def _send_all(self) -> None:
        """Send batch after batch on one connection while writes keep coming.

        Callers are answered as soon as their statement has committed. The writers just
        answered often write again at once (a form, an import, the bench's loops): one
        turn of the event loop lets them, and their writes go on the same connection. The
        pool's release of a connection is a round trip of its own (asyncpg resets the
        session), so when nothing waits any more this sender hands over first: a write
        arriving during that release starts a new sender instead of waiting for it.
        """
        batch = self._take()
        while batch:
            try:
                async with self._db.acquire() as conn:
                    while batch:
                        self._answer(batch, await self._statement(conn, batch))
                        await asyncio.sleep(0)
                        batch = self._take()
                    self._hand_over()
            except Exception as exc:  # the batch in flight failed; those before it were answered
                if len(batch) == 1:
                    _settle(batch[0], error=exc)
                else:
                    for waiting in batch:  # each on its own: every caller gets its own outcome
                        await self._send_alone(waiting)
                # after handing over (the release failed), the next sender takes what waits
                batch = self._take() if self._sender is asyncio.current_task() else []
        self._hand_over()

    async def _statement(self, conn: asyncpg.Connection, batch: list[_Waiting]) -> list[store.HistoryEntry]:
        if len(batch) == 1:
            w = batch[0].write
            return [await store.write(conn, w.guild_id, w.scope, w.key, w.value, w.value_type, w.changed_by)]
        return await store.write_many(conn, [waiting.write for waiting in batch])

    def _answer(self, batch: list[_Waiting], entries: list[store.HistoryEntry]) -> None:
        self.batches += 1
        self.writes += len(batch)
        for waiting, entry in zip(batch, entries, strict=True):
            _settle(waiting, entry=entry)

    async def _send_alone(self, waiting: _Waiting) -> None:
        try:
            async with self._db.acquire() as conn:
                entries = await self._statement(conn, [waiting])
        except Exception as exc:
            _settle(waiting, error=exc)
            return
        self._answer([waiting], entries)


def _settle(waiting: _Waiting, *, entry: store.HistoryEntry | None = None, error: BaseException | None = None) -> None:
    if waiting.answer.done():
        return
    if error is not None:
        waiting.answer.set_exception(error)
    else:
        assert entry is not None
        waiting.answer.set_result(entry)
