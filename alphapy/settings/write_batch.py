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
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alphapy.settings import store

if TYPE_CHECKING:
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
        self.batches = 0
        """Statements sent (a write alone counts as one): with ``writes``, shows whether
        concurrent writers really share their commits."""
        self.writes = 0

    async def write(self, write: store.NewValue) -> store.HistoryEntry:
        """Store one value with its history row (with whatever else waits to be sent)."""
        answer: asyncio.Future[store.HistoryEntry] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(write, answer))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_all(), name="alphapy.settings.write_batch")
        return await answer

    async def _send_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch:]
            batch = [w for w in batch if not w.answer.done()]  # a caller that gave up (cancelled)
            if batch:
                await self._send(batch)

    async def _send(self, batch: list[_Waiting]) -> None:
        try:
            async with self._db.acquire() as conn:
                if len(batch) == 1:
                    w = batch[0].write
                    entries = [await store.write(conn, w.guild_id, w.scope, w.key, w.value, w.value_type,
                                                 w.changed_by)]
                else:
                    entries = await store.write_many(conn, [waiting.write for waiting in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], error=exc)
                return
            for waiting in batch:  # each on its own: every caller gets its own outcome
                await self._send([waiting])
            return
        self.batches += 1
        self.writes += len(batch)
        for waiting, entry in zip(batch, entries, strict=True):
            _settle(waiting, entry=entry)


def _settle(waiting: _Waiting, *, entry: store.HistoryEntry | None = None, error: BaseException | None = None) -> None:
    if waiting.answer.done():
        return
    if error is not None:
        waiting.answer.set_exception(error)
    else:
        assert entry is not None
        waiting.answer.set_result(entry)
