"""Command-usage tracking into ``audit_logs``, off the command path.

``tracker.record(...)`` is synchronous and never touches the database: it appends one
tuple to an in-memory deque. One writer task drains the deque with
``copy_records_to_table`` on the dedicated tracker pool, every ``flush_interval``
seconds or as soon as ``batch_size`` rows are waiting.

Delivery is exactly once, as long as the backlog has room:

* Rows stay at the *front* of the deque until their COPY has committed; only then are
  they removed. A failed COPY therefore leaves its batch where it was (in front of the
  newer rows) and the next attempt sends it again; COPY is atomic, so nothing of a
  failed attempt was stored.
* The one ambiguous case is a COMMIT whose answer never arrives (connection lost,
  timeout): the batch may or may not be stored. Each batch runs in an explicit
  transaction whose id is read first; after such a failure the next attempt asks the
  server ``pg_xact_status(xid)`` and removes the batch if it committed, resends it if it
  aborted, and ends the orphaned session if it is still open.
* A row the database refuses (a constraint, an encoding error) would block the queue
  forever; a batch failing that way is bisected, the good rows are written and each bad
  row is dropped and counted as ``rejected`` with an error log.

When the database is unreachable the writer retries with capped exponential backoff
(with jitter, so that shards do not retry in step) and the deque grows up to
``backlog_limit`` rows. When it is full, **new** rows are dropped and counted (the
oldest are kept): the rows kept are a contiguous run from the start of the outage, so
the gap is one clean interval at its end; the front of the deque stays owned by the
writer alone (``record()`` only appends), so a batch in flight can never be raced by a
drop; and refusing a row costs the caller one comparison. Drops are logged by the
writer (first drop at once, then at most every ``DROP_LOG_INTERVAL`` seconds), never
from the command path.

Not thread-safe: call ``record()`` from the event loop's thread.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from alphapy.log import get_logger
from alphapy.redaction import describe_exception

if TYPE_CHECKING:
    import asyncpg

    from alphapy.db import Database

__all__ = [
    "CommandTracker",
    "CommandUsage",
    "TrackerStats",
    "UsageReport",
    "UserUsage",
    "ERROR_MESSAGE_LIMIT",
    "RETENTION_SCOPE",
    "RETENTION_KEY",
]

COMMAND_TYPES = frozenset({"slash", "text"})
ERROR_MESSAGE_LIMIT = 1000
"""Stored error messages are cut to this many characters (an ellipsis marks the cut)."""

COPY_ROWS = 10_000
"""Most rows sent by one COPY when more than ``batch_size`` are waiting (a backlog)."""

DROP_LOG_INTERVAL = 10.0
"""Seconds between two ``tracking.rows_dropped`` events while rows keep being dropped."""

RETENTION_SCOPE = "core"
RETENTION_KEY = "audit_retention_days"
RETENTION_BATCH = 10_000
RETENTION_MAX_DAYS = 1_000_000  # beyond this (or not a positive number): keep forever

# --- SQL (module constants so that tests can EXPLAIN them) -----------------------------------
# Guild reads: range scans of idx_audit_logs_guild_created (guild_id, created_at).
USAGE_BY_COMMAND_SQL = """
SELECT command_name, count(*) AS uses, count(*) FILTER (WHERE success) AS ok
FROM audit_logs
WHERE guild_id = $1 AND created_at >= $2
GROUP BY command_name
ORDER BY uses DESC, command_name
"""
USAGE_TOP_USERS_SQL = """
SELECT user_id, count(*) AS uses
FROM audit_logs
WHERE guild_id = $1 AND created_at >= $2
GROUP BY user_id
ORDER BY uses DESC, user_id
LIMIT $3
"""
COUNT_GUILD_SQL = "SELECT count(*) FROM audit_logs WHERE guild_id = $1 AND created_at >= $2"
# All guilds: no index leads with created_at, so walk the few distinct command names of
# idx_audit_logs_command (command_name, created_at) with a loose index scan and count each
# name's created_at range there: the cost follows the rows in the window, not the table.
COUNT_ALL_SQL = """
WITH RECURSIVE names(name) AS (
    (SELECT command_name FROM audit_logs ORDER BY command_name LIMIT 1)
    UNION ALL
    SELECT (SELECT a.command_name FROM audit_logs a
            WHERE a.command_name > names.name ORDER BY a.command_name LIMIT 1)
    FROM names WHERE names.name IS NOT NULL
)
SELECT coalesce(sum(c.n), 0)::bigint
FROM names
CROSS JOIN LATERAL (
    SELECT count(*) AS n FROM audit_logs a
    WHERE a.command_name = names.name AND a.created_at >= $1
) AS c
WHERE names.name IS NOT NULL
"""
# Retention: guilds with a positive number of days (the CASE guards the cast of values
# that are not numbers). One bounded batch per statement: each policy guild's old rows are
# a range of idx_audit_logs_guild_created (the LATERAL keeps the cutoff an index
# condition), deleted by primary key (``= ANY(ARRAY(...))``, never a scan of the table).
RETENTION_SQL = """
WITH policy AS (
    SELECT guild_id, now() - days * interval '1 day' AS cutoff
    FROM (
        SELECT guild_id,
               CASE WHEN jsonb_typeof(value) = 'number' THEN value::float8 END AS days
        FROM bot_settings
        WHERE scope = $1 AND key = $2
    ) AS s
    WHERE days > 0 AND days <= $3
)
DELETE FROM audit_logs
WHERE id = ANY(ARRAY(
    SELECT old.id
    FROM policy p
    CROSS JOIN LATERAL (
        SELECT a.id FROM audit_logs a
        WHERE a.guild_id = p.guild_id AND a.created_at < p.cutoff
        LIMIT $4
    ) AS old
    LIMIT $4
))
"""

_COLUMNS = ("guild_id", "user_id", "command_name", "command_type", "success", "error_message", "created_at")
_now = datetime.now


def _is_row_error(exc: BaseException) -> bool:
    """Errors caused by the rows themselves (resending the same rows fails again).

    Client-side encoding failures (a ``str`` user id, an integer beyond int64) surface as
    ``TypeError``/``ValueError``/``OverflowError``; server-side ones as data exceptions
    (class 22) and integrity violations (class 23). Anything else (connections, a
    missing table, timeouts, a read-only server) is treated as transient and retried.
    """
    import asyncpg

    return isinstance(
        exc,
        (TypeError, ValueError, OverflowError, asyncpg.DataError, asyncpg.IntegrityConstraintViolationError),
    )


def _clean_error(message: Any) -> str:
    if not isinstance(message, str):
        message = str(message)
    if "\x00" in message:  # PostgreSQL text cannot hold NUL
        message = message.replace("\x00", "\N{REPLACEMENT CHARACTER}")
    if len(message) > ERROR_MESSAGE_LIMIT:
        message = message[: ERROR_MESSAGE_LIMIT - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return message


def _as_since(since: datetime | timedelta) -> datetime:
    if isinstance(since, timedelta):
        return datetime.now(UTC) - since
    if since.tzinfo is None:  # naive: read as UTC, like every timestamp we store
        return since.replace(tzinfo=UTC)
    return since


class _Unresolved(Exception):
    """The outcome of an earlier COMMIT is not known yet; retry later."""


@dataclass(frozen=True, slots=True)
class TrackerStats:
    """Counters for metrics and health (cumulative since the tracker was built)."""

    written: int
    queued: int
    dropped: int
    rejected: int
    write_failures: int
    consecutive_failures: int
    last_error: str | None
    last_error_at: datetime | None
    last_flush_at: datetime | None
    running: bool


@dataclass(frozen=True, slots=True)
class CommandUsage:
    command_name: str
    count: int
    successes: int

    @property
    def failures(self) -> int:
        return self.count - self.successes

    @property
    def success_rate(self) -> float:
        return self.successes / self.count if self.count else 0.0


@dataclass(frozen=True, slots=True)
class UserUsage:
    user_id: int
    count: int


@dataclass(frozen=True, slots=True)
class UsageReport:
    """Usage of one guild since a time: every command (most used first), the top users."""

    guild_id: int
    since: datetime
    total: int
    successes: int
    commands: tuple[CommandUsage, ...]
    top_users: tuple[UserUsage, ...]

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.total if self.total else None


class CommandTracker:
    """Non-blocking command-usage recorder; see the module documentation."""

    def __init__(
        self,
        db: Database,
        *,
        flush_interval: float = 1.0,
        batch_size: int = 500,
        backlog_limit: int = 100_000,
        retry_initial: float = 0.5,
        retry_max: float = 30.0,
        write_timeout: float = 30.0,
    ) -> None:
        if flush_interval <= 0 or batch_size < 1 or backlog_limit < 1:
            raise ValueError("flush_interval must be > 0, batch_size and backlog_limit >= 1")
        if retry_initial <= 0 or retry_max < retry_initial or write_timeout <= 0:
            raise ValueError("need 0 < retry_initial <= retry_max and write_timeout > 0")
        self._db = db
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.backlog_limit = backlog_limit
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.write_timeout = write_timeout
        self._copy_rows = max(batch_size, COPY_ROWS)

        self._queue: deque[tuple[Any, ...]] = deque()
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        # (xid, server pid, rows) of a COMMIT whose outcome is unknown; those rows are
        # still the first ones of the queue.
        self._unconfirmed: tuple[str, int, int] | None = None

        self._written = 0
        self._dropped = 0
        self._dropped_logged = 0
        self._drop_logged_at = float("-inf")
        self._rejected = 0
        self._write_failures = 0
        self._consecutive_failures = 0
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_flush_at: datetime | None = None
        self._log = get_logger(__name__)

    @classmethod
    def from_config(cls, db: Database, config: Any) -> CommandTracker:
        return cls(
            db,
            flush_interval=config.tracker_flush_interval,
            batch_size=config.tracker_batch_size,
            backlog_limit=config.tracker_backlog_limit,
        )

    # --- the command path -------------------------------------------------------------
    def record(
        self,
        guild_id: int | None,
        user_id: int,
        command_name: str,
        command_type: str,
        success: bool,
        error_message: str | None = None,
    ) -> bool:
        """Queue one command use; never awaits. Returns ``False`` when the backlog is full
        and the row was dropped (counted). ``guild_id`` ``None``/0 means a DM.

        Raises ``ValueError`` for a ``command_type`` other than ``"slash"``/``"text"``
        (a programming error, caught here rather than by the database later).
        """
        queue = self._queue
        if len(queue) >= self.backlog_limit:
            self._dropped += 1
            return False
        if command_type not in COMMAND_TYPES:
            raise ValueError(f"command_type must be 'slash' or 'text', not {command_type!r}")
        if error_message is not None:
            error_message = _clean_error(error_message)
        queue.append((guild_id or 0, user_id, command_name, command_type, success, error_message, _now(UTC)))
        if len(queue) == self.batch_size:
            self._wake.set()
        return True

    # --- state -----------------------------------------------------------------------
    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def stats(self) -> TrackerStats:
        return TrackerStats(
            written=self._written,
            queued=len(self._queue),
            dropped=self._dropped,
            rejected=self._rejected,
            write_failures=self._write_failures,
            consecutive_failures=self._consecutive_failures,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            last_flush_at=self._last_flush_at,
            running=self.running,
        )

    # --- life cycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Start the writer task (idempotent). Rows recorded before are written too."""
        if self.running:
            return
        self._stopping = False
        self._stop_event.clear()
        self._task = asyncio.create_task(self._run(), name="alphapy.tracking.writer")

    async def stop(self, timeout: float = 10.0) -> int:
        """Write everything queued, waiting at most ``timeout`` seconds (retrying while the
        database fails). Returns the number of rows that could not be written (logged)."""
        if not self.running:
            if not self._queue:
                return 0
            await self.start()  # never started, or died: still try to flush
        task = self._task
        assert task is not None
        self._stopping = True
        self._wake.set()
        self._stop_event.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._task = None
        self._stopping = False
        self._log_drops(force=True)
        left = len(self._queue)
        if left:
            self._log.error(
                "tracking.stop_incomplete",
                rows_not_written=left,
                commit_unconfirmed_rows=self._unconfirmed[2] if self._unconfirmed else 0,
                last_error=self._last_error,
                timeout=timeout,
            )
        return left

    async def flush(self, timeout: float = 10.0) -> int:
        """Write everything queued now and keep running; returns rows not written.

        For readers that must see this process's latest uses (``/command_stats``, the
        demo, tests) without waiting for the next interval.
        """
        left = await self.stop(timeout)
        await self.start()
        return left

    # --- the writer --------------------------------------------------------------------
    def _backoff(self, failures: int) -> float:
        delay = min(self.retry_max, self.retry_initial * 2 ** min(failures - 1, 30))
        return delay * random.uniform(0.5, 1.0)

    async def _pause(self, seconds: float) -> None:
        """Back-off sleep: cut short once by ``stop()`` so that it flushes at once."""
        if self._stop_event.is_set():
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self._stop_event.wait(), seconds)
        except TimeoutError:
            pass

    async def _run(self) -> None:
        queue = self._queue
        while True:
            if self._consecutive_failures:
                await self._pause(self._backoff(self._consecutive_failures))
            elif not self._stopping and len(queue) < self.batch_size:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.flush_interval)
                except TimeoutError:
                    pass
            if self._stopping and not queue:
                return
            if queue:
                try:
                    await self._drain()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - every failure is retried
                    self._failed(exc)
                else:
                    if self._consecutive_failures:
                        self._log.info(
                            "tracking.write_recovered",
                            failed_attempts=self._consecutive_failures,
                            queued=len(queue),
                        )
                        self._consecutive_failures = 0
            self._log_drops()

    def _failed(self, exc: Exception) -> None:
        self._write_failures += 1
        self._consecutive_failures += 1
        self._last_error = describe_exception(exc)
        self._last_error_at = datetime.now(UTC)
        self._log.warning(
            "tracking.write_failed",
            error=self._last_error,
            attempt=self._consecutive_failures,
            queued=len(self._queue),
            backlog_limit=self.backlog_limit,
        )

    def _log_drops(self, *, force: bool = False) -> None:
        dropped = self._dropped
        if dropped == self._dropped_logged:
            return
        now = time.monotonic()
        if not force and now - self._drop_logged_at < DROP_LOG_INTERVAL:
            return
        self._log.warning(
            "tracking.rows_dropped",
            dropped=dropped - self._dropped_logged,
            dropped_total=dropped,
            backlog_limit=self.backlog_limit,
            queued=len(self._queue),
            reason="backlog full",
        )
        self._dropped_logged = dropped
        self._drop_logged_at = now

    async def _drain(self) -> None:
        """On one connection: settle an unconfirmed COMMIT if any, then COPY what waits
        (all of it when stopping; otherwise once, then while full batches wait)."""
        queue = self._queue
        timeout = self.write_timeout
        async with self._db.tracker_pool.acquire(timeout=timeout) as conn:
            if self._unconfirmed is not None:
                async with asyncio.timeout(timeout):
                    await self._resolve_unconfirmed(conn)
            first = True
            while queue and (first or self._stopping or len(queue) >= self.batch_size):
                first = False
                async with asyncio.timeout(timeout):
                    await self._copy_front(conn, min(len(queue), self._copy_rows))

    async def _copy_front(self, conn: asyncpg.Connection, count: int) -> None:
        """Write the first ``count`` queued rows, bisecting around rows the server refuses."""
        rows = list(islice(self._queue, count))
        try:
            await self._copy(conn, rows)
        except Exception as exc:
            if not _is_row_error(exc):
                raise
            if count == 1:
                row = self._queue.popleft()
                self._rejected += 1
                self._log.error(
                    "tracking.row_rejected",
                    error=describe_exception(exc),
                    guild_id=row[0],
                    user_id=row[1],
                    command_name=row[2],
                )
                return
            half = count // 2
            await self._copy_front(conn, half)
            await self._copy_front(conn, count - half)
            return
        self._remove_written(count)

    async def _copy(self, conn: asyncpg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """One COPY in a transaction whose id is known, so an unanswered COMMIT can be
        settled later instead of guessed."""
        await conn.execute("BEGIN")
        try:
            xid = await conn.fetchval("SELECT pg_current_xact_id()::text")
            await conn.copy_records_to_table("audit_logs", records=rows, columns=_COLUMNS)
        except BaseException:
            if not conn.is_closed() and conn.is_in_transaction():
                try:
                    await conn.execute("ROLLBACK")
                except Exception:  # noqa: BLE001 - the connection is gone: nothing committed
                    pass
            raise
        try:
            await conn.execute("COMMIT")
        except BaseException:
            # The COMMIT may have been applied without us hearing back.
            self._unconfirmed = (xid, conn.get_server_pid(), len(rows))
            raise

    async def _resolve_unconfirmed(self, conn: asyncpg.Connection) -> None:
        import asyncpg

        assert self._unconfirmed is not None
        xid, pid, count = self._unconfirmed
        try:
            status = await conn.fetchval("SELECT pg_xact_status($1::text::xid8)", xid)
        except asyncpg.PostgresError as exc:  # e.g. "in the future": another cluster
            status, error = None, describe_exception(exc)
        else:
            error = None
        if status == "in progress":
            # The COMMIT never reached the server and the session still holds the
            # transaction open (e.g. a network partition): end it, if it is still ours.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid = $1 AND backend_xid::text = (($2::text::numeric) % 4294967296)::text",
                pid,
                xid,
            )
            raise _Unresolved(f"transaction {xid} of an unanswered COMMIT is still in progress")
        self._unconfirmed = None
        if status == "committed":
            self._remove_written(count)
            self._log.info("tracking.commit_confirmed", rows=count, xid=xid)
        elif status == "aborted":
            self._log.info("tracking.commit_not_applied", rows=count, xid=xid)
        else:  # unknown: resend (at least once rather than lose the rows)
            self._log.warning("tracking.commit_unknown", rows=count, xid=xid, error=error)

    def _remove_written(self, count: int) -> None:
        queue = self._queue
        if count == len(queue):
            queue.clear()
        else:
            popleft = queue.popleft
            for _ in range(count):
                popleft()
        self._written += count
        self._last_flush_at = datetime.now(UTC)

    # --- reading -------------------------------------------------------------------------
    async def usage(self, guild_id: int | None, since: datetime | timedelta, *, top: int = 10) -> UsageReport:
        """One guild's usage since ``since`` (a datetime, or a timedelta back from now):
        every command with its count and success rate (most used first) and the ``top``
        users. Both queries read one snapshot (range scans of idx_audit_logs_guild_created)."""
        guild = guild_id or 0
        start = _as_since(since)
        async with self._db.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            command_rows = await conn.fetch(USAGE_BY_COMMAND_SQL, guild, start)
            user_rows = await conn.fetch(USAGE_TOP_USERS_SQL, guild, start, max(top, 0))
        commands = tuple(CommandUsage(r["command_name"], r["uses"], r["ok"]) for r in command_rows)
        return UsageReport(
            guild_id=guild,
            since=start,
            total=sum(c.count for c in commands),
            successes=sum(c.successes for c in commands),
            commands=commands,
            top_users=tuple(UserUsage(r["user_id"], r["uses"]) for r in user_rows),
        )

    async def count_since(self, since: datetime | timedelta, guild_id: int | None = None) -> int:
        """Commands recorded since ``since``, in one guild or (``guild_id=None``) overall.

        Overall, the table is not scanned: a loose index scan walks the distinct command
        names of idx_audit_logs_command (few) and counts each one's range of
        ``created_at``, so the cost follows the rows in the window, not the table.
        """
        start = _as_since(since)
        if guild_id is not None:
            return await self._db.fetchval(COUNT_GUILD_SQL, guild_id or 0, start)
        return await self._db.fetchval(COUNT_ALL_SQL, start)

    # --- retention -------------------------------------------------------------------------
    async def apply_retention(self, *, batch: int = RETENTION_BATCH) -> int:
        """Delete rows older than each guild's ``core.audit_retention_days``, only for guilds
        that set it to a positive number. Runs in statements of at most ``batch`` rows (each
        its own transaction: no long lock or WAL burst on a big table). Returns the number
        of rows deleted."""
        deleted = 0
        while True:
            status = await self._db.execute(
                RETENTION_SQL,
                RETENTION_SCOPE,
                RETENTION_KEY,
                float(RETENTION_MAX_DAYS),
                batch,
            )
            count = int(status.rsplit(" ", 1)[-1])
            deleted += count
            if count < batch:
                break
        if deleted:
            self._log.info("tracking.retention_applied", deleted=deleted)
        return deleted
