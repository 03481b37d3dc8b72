"""The scheduler: periodic maintenance tasks and the due-work loop every plugin shares.

Two things live here.

**Periodic tasks** (``scheduler.every``): a coroutine function run every ``interval``
seconds, start to start, plus a random jitter of up to ``jitter * interval`` so that many
processes do not hit the database in lockstep. A run never overlaps the previous one (a run
that outlasts its period makes the scheduler skip the missed slot, counted in
``overruns``); an exception is logged with the task name and the task runs again next
period. ::

    scheduler.every("health_history_cleanup", 3600, store.delete_old_health_rows)

**Due work** (``scheduler.add_due_work``): rows with a due time (reminders, premium
expiry, ticket auto-archive ...). The plugin keeps its SQL in its store module and gives
the scheduler three coroutines; the scheduler provides the loop. Claim a batch, hand it to
``handle``, repeat until nothing is due; then ask ``next_due`` and *sleep until that
time*, waking early on a ``NOTIFY`` on the work's channel, or after ``poll_interval`` at
the latest (a fallback for a missed notification). Only rows of guilds on this process's
shards are claimed, and ``FOR UPDATE SKIP LOCKED`` makes concurrent processes claim
disjoint rows. A complete example of the SQL (``reminders`` with a ``claimed_at`` lease)::

    CLAIM = '''
        UPDATE reminders
           SET claimed_at = now(), claimed_by = $5
         WHERE id IN (
               SELECT id FROM reminders
                WHERE due_at <= $1
                  AND (claimed_at IS NULL OR claimed_at < now() - interval '5 minutes')
                  AND ((guild_id >> 22) % $2) = ANY($3::int[])
                ORDER BY due_at
                  FOR UPDATE SKIP LOCKED
                LIMIT $4)
        RETURNING id, guild_id, channel_id, message, due_at'''

    NEXT_DUE = '''
        SELECT least(
               (SELECT min(due_at) FROM reminders
                 WHERE claimed_at IS NULL AND ((guild_id >> 22) % $1) = ANY($2::int[])),
               (SELECT min(claimed_at) FROM reminders
                 WHERE claimed_at IS NOT NULL AND ((guild_id >> 22) % $1) = ANY($2::int[]))
               + interval '5 minutes')'''

    async def claim(conn, now, shard_count, shard_ids, limit):
        return await conn.fetch(CLAIM, now, shard_count, shard_ids, limit, WORKER_ID)

    async def next_due(conn, shard_count, shard_ids):
        return await conn.fetchval(NEXT_DUE, shard_count, shard_ids)

    async def handle(rows):
        for row in rows:
            await send_reminder(row)
            await bot.db.execute("DELETE FROM reminders WHERE id = $1", row["id"])

    scheduler.add_due_work(DueWork(
        name="reminders", claim=claim, next_due=next_due, handle=handle,
        channel="reminders_due"))

    # after inserting or moving a row (inside the transaction: delivered on commit):
    await notify_due(conn, "reminders_due")

The claim is committed before ``handle`` runs. What happens to a claimed row when
``handle`` fails (or the process dies) is the plugin's decision, written in its claim SQL:
with the lease above, a row that was claimed but neither deleted nor re-armed becomes
claimable again five minutes later (at-least-once); without a lease it is never retried
(at-most-once). ``handle`` marks a row done by deleting it, or by setting the next
``due_at`` and ``claimed_at = NULL`` for recurring work.

One dedicated connection per process listens for every channel; if it drops it reconnects
with backoff, and after a reconnect every due-work loop does a full claim, since
notifications sent meanwhile were lost. See ``docs/scheduler.md``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from alphapy import clock
from alphapy.db.pool import database_outage
from alphapy.log import get_logger
from alphapy.redaction import describe_exception

if TYPE_CHECKING:
    import asyncpg

    from alphapy.config import Config
    from alphapy.db.pool import Database

__all__ = [
    "DueWork",
    "DueWorkStats",
    "ListenerStats",
    "PeriodicTask",
    "Scheduler",
    "TaskStats",
    "jittered",
    "notify_due",
    "shard_of",
]

log = get_logger(__name__)

# Claim a little after the due time rather than a little before: timers may fire early.
_WAKE_SLACK = 0.001
_LISTENER_APPLICATION_NAME = "alphapy scheduler listener"
_MAX_CHANNEL_BYTES = 63  # PostgreSQL identifiers (NOTIFY channels) are at most 63 bytes

ClaimFn = Callable[["asyncpg.Connection", datetime, int, list[int], int], Awaitable[Sequence[Any]]]
NextDueFn = Callable[["asyncpg.Connection", int, list[int]], Awaitable["datetime | None"]]
HandleFn = Callable[[list[Any]], Awaitable[None]]


# --------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that serves ``guild_id``: Discord's formula ``(guild_id >> 22) % shard_count``.

    The same expression in SQL is ``((guild_id >> 22) % $n)``; PostgreSQL's ``>>`` on
    ``bigint`` is an arithmetic shift, which agrees with Python's for every snowflake
    (they are positive).
    """
    if shard_count < 1:
        raise ValueError("shard_count must be at least 1")
    return (guild_id >> 22) % shard_count


def jittered(interval: float, jitter: float, rng: random.Random | None = None) -> float:
    """``interval`` plus a random fraction of it, uniform in ``[0, jitter * interval]``."""
    if jitter <= 0:
        return interval
    return interval * (1.0 + (rng or random).uniform(0.0, jitter))


async def notify_due(conn: Any, channel: str, payload: str = "") -> None:
    """Wake every process's due-work loop listening on ``channel``.

    ``conn`` is anything with ``execute`` (a connection, a pool, :class:`Database`). Call
    it after inserting a row or moving a ``due_at`` earlier; inside a transaction the
    notification is delivered at commit (and not at all on rollback), which is what you
    want. Equivalent SQL: ``SELECT pg_notify('channel', '')``.
    """
    await conn.execute("SELECT pg_notify($1, $2)", channel, payload)


def _utcnow() -> datetime:
    return clock.utcnow()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _log_failure(event: str, exc: BaseException, **fields: Any) -> None:
    """Log a failed run from inside its ``except`` block.

    The database being away is expected and retried: a warning, without a traceback that
    would repeat at every retry of the outage. Anything else may be a bug: its traceback.
    """
    if database_outage(exc) is not None:
        log.warning(event, database_unavailable=True, **fields)
    else:
        log.exception(event, **fields)


# --------------------------------------------------------------------------------------
# Public data shapes
# --------------------------------------------------------------------------------------


@dataclass
class TaskStats:
    """What a periodic task has done, for health and metrics.

    ``runs`` counts every finished run, failed ones included; ``failures`` those that
    raised or timed out; ``overruns`` runs that outlasted their period (the missed slot
    is skipped, never run concurrently).
    """

    runs: int = 0
    failures: int = 0
    overruns: int = 0
    last_error: str | None = None
    last_duration: float | None = None
    last_started_at: datetime | None = None
    last_success_at: datetime | None = None
    running: bool = False


@dataclass
class PeriodicTask:
    """A registered periodic task (returned by :meth:`Scheduler.every`)."""

    name: str
    interval: float
    coro_fn: Callable[[], Awaitable[Any]]
    jitter: float = 0.1
    run_at_start: bool = False
    timeout: float | None = None
    stats: TaskStats = field(default_factory=TaskStats)


@dataclass
class DueWork:
    """One kind of scheduled rows, claimed and handled by the scheduler's loop.

    - ``claim(conn, now, shard_count, shard_ids, limit) -> rows``: the plugin's claim SQL
      (``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT $4) RETURNING``),
      returning at most ``limit`` rows due at ``now`` of guilds whose shard
      ``(guild_id >> 22) % shard_count`` is in ``shard_ids``; it must mark what it returns
      as claimed so that the next call does not return it again.
    - ``next_due(conn, shard_count, shard_ids) -> datetime | None``: the earliest time at
      which ``claim`` would return something (a lease expiry counts), or ``None``.
    - ``handle(rows)``: the plugin's action on a claimed batch. An exception is logged
      and counted; the loop goes on.
    - ``channel``: the ``LISTEN`` channel whose ``NOTIFY`` wakes the loop early (``None``:
      no listening, the loop relies on ``next_due`` and ``poll_interval``).
    - ``batch_size``: ``limit`` passed to ``claim``.
    - ``poll_interval``: the longest sleep, a fallback for missed notifications (with
      10 % jitter).
    - ``min_sleep``: the sleep when ``next_due`` names a time already past but the claim
      found nothing (rows locked by another process's claim in flight, or a ``next_due``
      query that disagrees with the claim's ``WHERE``): never a tight loop.
    """

    name: str
    claim: ClaimFn
    next_due: NextDueFn
    handle: HandleFn
    channel: str | None = None
    batch_size: int = 100
    poll_interval: float = 60.0
    min_sleep: float = 1.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a due work needs a name")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not self.poll_interval > 0:
            raise ValueError("poll_interval must be positive")
        if not self.min_sleep > 0:
            raise ValueError("min_sleep must be positive")
        if self.channel is not None:
            if not self.channel or len(self.channel.encode()) > _MAX_CHANNEL_BYTES:
                raise ValueError(f"channel must be 1..{_MAX_CHANNEL_BYTES} bytes")


@dataclass
class DueWorkStats:
    """What a due-work loop has done, for health and metrics.

    ``claims`` counts claim queries, ``claimed`` the rows they returned; ``batches`` the
    calls of ``handle`` and ``failures`` those that raised; ``errors`` failed claim or
    next_due queries (the loop backs off and retries); ``wakeups`` notifications received.
    """

    state: str = "stopped"  # stopped | waiting (for the bot) | claiming | handling | sleeping | backoff
    claims: int = 0
    claimed: int = 0
    batches: int = 0
    failures: int = 0
    errors: int = 0
    wakeups: int = 0
    last_error: str | None = None
    last_duration: float | None = None
    last_claim_at: datetime | None = None
    next_due: datetime | None = None
    sleeping_until: datetime | None = None


@dataclass
class ListenerStats:
    """The dedicated LISTEN connection: ``connects`` includes the first connection."""

    connected: bool = False
    connects: int = 0
    reconnects: int = 0
    failures: int = 0
    notifications: int = 0
    channels: list[str] = field(default_factory=list)
    last_error: str | None = None


# --------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------


class _Runner:
    """One asyncio task of the scheduler; ``busy`` while inside a run (stop waits for it)."""

    __slots__ = ("busy", "task")

    def __init__(self) -> None:
        self.busy = False
        self.task: asyncio.Task[None] | None = None


class _DueRuntime(_Runner):
    __slots__ = ("stats", "wake", "work")

    def __init__(self, work: DueWork) -> None:
        super().__init__()
        self.work = work
        self.stats = DueWorkStats()
        self.wake = asyncio.Event()


class _PeriodicRuntime(_Runner):
    __slots__ = ("spec",)

    def __init__(self, spec: PeriodicTask) -> None:
        super().__init__()
        self.spec = spec


# --------------------------------------------------------------------------------------
# The scheduler
# --------------------------------------------------------------------------------------


class Scheduler:
    """Periodic tasks and due-work loops of one process (``bot.scheduler``).

    ``db`` is the core's :class:`~alphapy.db.pool.Database` (any object with ``acquire()``
    and ``url`` works); claims and ``next_due`` borrow a pool connection for one query
    each, and one extra dedicated connection listens for notifications when some due work
    has a channel. ``shard_count``/``shard_ids`` come from the configuration
    (:meth:`from_config`) and are passed to every claim.
    """

    def __init__(
        self,
        db: Database | Any,
        shard_count: int = 1,
        shard_ids: Iterable[int] = (0,),
        *,
        listen_url: str | None = None,
        reconnect_delay: float = 0.5,
        max_reconnect_delay: float = 30.0,
        listener_check_interval: float = 30.0,
        max_error_delay: float = 30.0,
        rng: random.Random | None = None,
    ) -> None:
        ids = sorted({int(i) for i in shard_ids})
        if shard_count < 1:
            raise ValueError("shard_count must be at least 1")
        if not ids:
            raise ValueError("shard_ids must name at least one shard")
        bad = [i for i in ids if not 0 <= i < shard_count]
        if bad:
            raise ValueError(f"shard_ids {bad} must lie in 0..{shard_count - 1}")
        self.db = db
        self.shard_count = shard_count
        self.shard_ids: list[int] = ids
        self.listen_url = listen_url
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.listener_check_interval = listener_check_interval
        self.max_error_delay = max_error_delay
        self._rng = rng or random.Random()

        self._periodic: dict[str, _PeriodicRuntime] = {}
        self._due: dict[str, _DueRuntime] = {}
        self._running = False
        self._stopping = False
        self._stop_lock: asyncio.Lock | None = None
        self._generation = 0  # bumped by stop(): a loop of an older generation ends

        self.listener = ListenerStats()
        self._listen_task: asyncio.Task[None] | None = None
        self._listen_conn: asyncpg.Connection | None = None
        self._listening: set[str] = set()
        self._listener_poke: asyncio.Event | None = None
        self._listener_lost = False
        self._due_gate: asyncio.Event | None = None

    def hold_due_work(self, gate: asyncio.Event) -> None:
        """Start due-work loops only once ``gate`` is set (the bot sets it when ready).

        Due work usually acts on Discord (post a reminder, delete a channel); before the
        gateway is ready, discord.py's cache is empty and such work would find nothing.
        Periodic maintenance tasks are not held.
        """
        self._due_gate = gate

    @classmethod
    def from_config(cls, db: Database | Any, config: Config, **kwargs: Any) -> Scheduler:
        """A scheduler serving the shards of ``SHARD_COUNT``/``SHARD_IDS`` (all when unset;
        none yet with ``SHARD_IDS=auto``: the runner calls :meth:`serve_shards` once it claimed)."""
        shard_count, shard_ids = config.shard_filter()
        if not shard_ids:  # SHARD_IDS=auto before the claim: no due work until shards arrive
            scheduler = cls(db, shard_count=shard_count, shard_ids=[0], **kwargs)
            scheduler.shard_ids = []
            return scheduler
        return cls(db, shard_count=shard_count, shard_ids=shard_ids, **kwargs)

    # ---- registration ------------------------------------------------------------------

    def every(
        self,
        name: str,
        interval_seconds: float,
        coro_fn: Callable[[], Awaitable[Any]],
        *,
        jitter: float = 0.1,
        run_at_start: bool = False,
        timeout: float | None = None,
    ) -> PeriodicTask:
        """Run ``await coro_fn()`` every ``interval_seconds`` (plus jitter), from start.

        ``jitter`` is a fraction of the interval (0..1) added at random to each period,
        the first one included; ``run_at_start`` runs once at once. ``timeout`` cancels a
        run that takes longer (counted as a failure). Registering after :meth:`start`
        starts the task immediately. Names are unique.
        """
        if not name:
            raise ValueError("a periodic task needs a name")
        if name in self._periodic:
            raise ValueError(f"a periodic task named {name!r} is already registered")
        if not interval_seconds > 0:
            raise ValueError("interval_seconds must be positive")
        if not 0 <= jitter <= 1:
            raise ValueError("jitter is a fraction of the interval, between 0 and 1")
        if timeout is not None and not timeout > 0:
            raise ValueError("timeout must be positive")
        spec = PeriodicTask(name, float(interval_seconds), coro_fn, jitter, run_at_start, timeout)
        runtime = _PeriodicRuntime(spec)
        self._periodic[name] = runtime
        if self._running and not self._stopping:
            runtime.task = asyncio.create_task(
                self._periodic_loop(runtime, self._generation), name=f"scheduler:{name}"
            )
        return spec

    def add_due_work(self, work: DueWork) -> DueWork:
        """Register a due-work loop; after :meth:`start` it starts (and listens) at once."""
        if work.name in self._due:
            raise ValueError(f"a due work named {work.name!r} is already registered")
        runtime = _DueRuntime(work)
        self._due[work.name] = runtime
        if self._running and not self._stopping:
            self._start_due(runtime)
            if work.channel is not None:
                self._ensure_listener()
        return work

    # ---- life cycle --------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    async def start(self) -> None:
        """Start every registered task and due-work loop.

        When some due work has a channel, the listening connection is opened before the
        loops' first claim, so that no notification falls between the two; if it cannot
        be opened, the loops start anyway and the listener keeps retrying in the background.
        """
        if self._running:
            return
        self._running = True
        self._stopping = False
        self._listener_poke = asyncio.Event()
        if self._channels():
            await self._open_listener()
            self._listen_task = asyncio.create_task(self._listen_loop(), name="scheduler:listener")
        for runtime in self._periodic.values():
            runtime.task = asyncio.create_task(
                self._periodic_loop(runtime, self._generation), name=f"scheduler:{runtime.spec.name}"
            )
        for due in self._due.values():
            self._start_due(due)
        log.info(
            "scheduler.started",
            tasks=sorted(self._periodic), due_work=sorted(self._due),
            shard_count=self.shard_count, shard_ids=self.shard_ids,
        )

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop everything; a run or batch in progress gets ``timeout`` seconds to finish.

        Idle tasks (sleeping between runs) are cancelled at once; a run still going after
        ``timeout`` is cancelled (``CancelledError`` inside it). Rows a cancelled ``handle``
        had claimed are left to the plugin's lease. Safe to call twice, and from a task.
        """
        if self._stop_lock is None:
            self._stop_lock = asyncio.Lock()
        async with self._stop_lock:
            if self._running:
                await self._stop(timeout)

    async def _stop(self, timeout: float) -> None:
        self._stopping = True
        current = asyncio.current_task()
        runners: list[_Runner] = [*self._periodic.values(), *self._due.values()]
        tasks = [r.task for r in runners if r.task is not None and r.task is not current]
        for runner in runners:
            if runner.task is not None and runner.task is not current and not runner.busy:
                runner.task.cancel()
        if self._listen_task is not None:
            self._listen_task.cancel()
        pending = [t for t in tasks if not t.done()]
        if pending:
            _done, still = await asyncio.wait(pending, timeout=timeout)
            for task in still:
                log.warning("scheduler.cancelled_in_progress", task=task.get_name())
                task.cancel()
        waited = [*tasks, *([self._listen_task] if self._listen_task is not None else [])]
        await asyncio.gather(*waited, return_exceptions=True)
        await self._close_listener()
        self._listen_task = None
        for runner in runners:
            if runner.task is not current:
                runner.task = None
                runner.busy = False
        for runtime in self._due.values():
            runtime.stats.state = "stopped"
            runtime.stats.sleeping_until = None
        for periodic in self._periodic.values():
            periodic.spec.stats.running = False
        self._generation += 1
        self._running = False
        self._stopping = False
        log.info("scheduler.stopped")

    async def __aenter__(self) -> Scheduler:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ---- introspection -----------------------------------------------------------------

    def serve_shards(self, shard_count: int, shard_ids: Iterable[int]) -> None:
        """Claim due work of these shards from now on (``SHARD_IDS=auto``: shards move
        between processes); every due-work loop claims again at once, so work that fell
        due while the shard had no process is not left waiting for its next poll."""
        ids = sorted({int(i) for i in shard_ids})
        bad = [i for i in ids if not 0 <= i < shard_count]
        if shard_count < 1 or bad:
            raise ValueError(f"shard_ids {bad} must lie in 0..{shard_count - 1}")
        self.shard_count = shard_count
        self.shard_ids = ids
        log.info("scheduler.shards", shard_count=shard_count, shard_ids=ids)
        for runtime in self._due.values():
            runtime.wake.set()

    def owns_guild(self, guild_id: int) -> bool:
        """Whether ``guild_id`` lies on one of this process's shards."""
        return shard_of(guild_id, self.shard_count) in self.shard_ids

    def task_stats(self, name: str) -> TaskStats:
        return self._periodic[name].spec.stats

    def due_stats(self, name: str) -> DueWorkStats:
        return self._due[name].stats

    def stats(self) -> dict[str, Any]:
        """Everything for ``/api/health`` and ``/metrics`` (plain values, JSON-friendly
        once datetimes are formatted)."""
        return {
            "running": self._running,
            "shard_count": self.shard_count,
            "shard_ids": list(self.shard_ids),
            "tasks": {
                name: {"interval": r.spec.interval, **asdict(r.spec.stats)} for name, r in self._periodic.items()
            },
            "due_work": {
                name: {"channel": r.work.channel, **asdict(r.stats)} for name, r in self._due.items()
            },
            "listener": asdict(self.listener),
        }

    # ---- periodic tasks ----------------------------------------------------------------

    def _halted(self, generation: int) -> bool:
        return self._stopping or generation != self._generation

    async def _periodic_loop(self, runtime: _PeriodicRuntime, generation: int) -> None:
        spec = runtime.spec
        loop = asyncio.get_running_loop()
        next_start = loop.time()
        if not spec.run_at_start:
            next_start += jittered(spec.interval, spec.jitter, self._rng)
        while True:
            delay = next_start - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._halted(generation):
                return
            started = loop.time()
            runtime.busy = True
            try:
                await self._run_periodic_once(spec)
            finally:
                runtime.busy = False
            if self._halted(generation):
                return
            next_start = started + jittered(spec.interval, spec.jitter, self._rng)
            if next_start <= loop.time():
                spec.stats.overruns += 1
                next_start = loop.time() + jittered(spec.interval, spec.jitter, self._rng)

    async def _run_periodic_once(self, spec: PeriodicTask) -> None:
        stats = spec.stats
        stats.running = True
        stats.last_started_at = _utcnow()
        started = time.perf_counter()
        finished = True
        try:
            if spec.timeout is None:
                await spec.coro_fn()
            else:
                await asyncio.wait_for(spec.coro_fn(), spec.timeout)
        except asyncio.CancelledError:
            finished = False  # stopped mid-run: not counted as a run
            raise
        except Exception as exc:
            stats.failures += 1
            if isinstance(exc, asyncio.TimeoutError) and spec.timeout is not None:
                stats.last_error = f"timed out after {spec.timeout:g} s"
            else:
                stats.last_error = describe_exception(exc, 500)
            _log_failure("scheduler.task_failed", exc, task=spec.name, error=stats.last_error)
        else:
            stats.last_success_at = _utcnow()
        finally:
            stats.runs += finished
            stats.running = False
            stats.last_duration = time.perf_counter() - started

    # ---- due work ----------------------------------------------------------------------

    def _start_due(self, runtime: _DueRuntime) -> None:
        runtime.wake = asyncio.Event()
        runtime.stats.state = "claiming"
        runtime.task = asyncio.create_task(
            self._due_loop(runtime, self._generation), name=f"scheduler:due:{runtime.work.name}"
        )

    async def _due_loop(self, runtime: _DueRuntime, generation: int) -> None:
        work, stats = runtime.work, runtime.stats
        errors_in_row = 0
        if self._due_gate is not None:
            stats.state = "waiting"
            await self._due_gate.wait()
        while not self._halted(generation):
            runtime.wake.clear()
            runtime.busy = True
            try:
                delay = await self._due_cycle(runtime, generation)
                errors_in_row = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                errors_in_row += 1
                stats.errors += 1
                stats.last_error = describe_exception(exc, 500)
                delay = min(0.5 * 2 ** (errors_in_row - 1), self.max_error_delay, work.poll_interval)
                _log_failure("scheduler.due_query_failed", exc, due_work=work.name, error=stats.last_error,
                             retry_in=delay)
                stats.state = "backoff"
            else:
                stats.state = "sleeping"
            finally:
                runtime.busy = False
            if self._halted(generation):
                return
            stats.sleeping_until = _utcnow() + timedelta(seconds=delay)
            try:
                async with asyncio.timeout(delay):
                    await runtime.wake.wait()
            except TimeoutError:
                pass
            stats.sleeping_until = None
            stats.state = "claiming"

    async def _due_cycle(self, runtime: _DueRuntime, generation: int) -> float:
        """Claim and handle until nothing is due; return how long to sleep."""
        work, stats = runtime.work, runtime.stats
        poll = jittered(work.poll_interval, 0.1, self._rng)
        while True:
            # Drain: claim batches while full ones come back.
            while True:
                if self._halted(generation):
                    return 0.0
                stats.state = "claiming"
                claim_now = _utcnow()
                async with self.db.acquire() as conn:
                    found = await work.claim(conn, claim_now, self.shard_count, self.shard_ids, work.batch_size)
                    rows = list(found or ())
                    stats.claims += 1
                    stats.last_claim_at = claim_now
                    if not rows:
                        # Nothing to do: ask the next due time on the same connection.
                        next_due = await work.next_due(conn, self.shard_count, self.shard_ids)
                        break
                stats.claimed += len(rows)
                await self._handle(runtime, rows)
                if len(rows) < work.batch_size:
                    if self._halted(generation):
                        return 0.0
                    async with self.db.acquire() as conn:
                        next_due = await work.next_due(conn, self.shard_count, self.shard_ids)
                    break
                await asyncio.sleep(0)  # a long drain yields to the rest of the bot
            stats.next_due = next_due = _aware(next_due) if next_due is not None else None
            if next_due is None:
                return poll
            now = _utcnow()
            if next_due > now:
                return min((next_due - now).total_seconds() + _WAKE_SLACK, poll)
            if rows or next_due > claim_now:
                # Became due since the last claim, or more may be claimable: claim again.
                await asyncio.sleep(0)
                continue
            # Due, yet the claim found nothing: locked by a claim in flight elsewhere, or the
            # plugin's next_due disagrees with its claim. Never spin.
            return min(work.min_sleep, poll)

    async def _handle(self, runtime: _DueRuntime, rows: list[Any]) -> None:
        work, stats = runtime.work, runtime.stats
        stats.state = "handling"
        started = time.perf_counter()
        try:
            await work.handle(rows)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            stats.failures += 1
            stats.last_error = describe_exception(exc, 500)
            _log_failure("scheduler.due_handle_failed", exc, due_work=work.name, rows=len(rows),
                         error=stats.last_error)
        finally:
            stats.batches += 1
            stats.last_duration = time.perf_counter() - started

    # ---- listening ---------------------------------------------------------------------

    def _channels(self) -> set[str]:
        return {r.work.channel for r in self._due.values() if r.work.channel is not None}

    def _on_notification(self, _conn: Any, _pid: int, channel: str, _payload: object) -> None:
        self.listener.notifications += 1
        for runtime in self._due.values():
            if runtime.work.channel == channel:
                runtime.stats.wakeups += 1
                runtime.wake.set()

    def _on_termination(self, _conn: Any) -> None:
        self._listener_lost = True
        if self._listener_poke is not None:
            self._listener_poke.set()

    def _ensure_listener(self) -> None:
        if self._listen_task is None:
            self._listen_task = asyncio.create_task(self._listen_loop(), name="scheduler:listener")
        elif self._listener_poke is not None:
            self._listener_poke.set()

    def wake_due(self) -> None:
        """Claim again now, in every due-work loop: the clock moved forward
        (:func:`alphapy.clock.advance`), so what was due later may be due now."""
        for runtime in self._due.values():
            runtime.wake.set()

    def _wake_channels(self, channels: Iterable[str]) -> None:
        wanted = set(channels)
        for runtime in self._due.values():
            if runtime.work.channel in wanted:
                runtime.wake.set()

    async def _open_listener(self) -> bool:
        """Connect and LISTEN on every channel; False (logged) when that fails."""
        from alphapy.db.pool import connect

        await self._close_listener()
        conn = None
        try:
            conn = await connect(self.listen_url or self.db.url)
            await conn.execute(f"SET application_name = '{_LISTENER_APPLICATION_NAME}'")
            self._listener_lost = False
            conn.add_termination_listener(self._on_termination)
            self._listening = set()
            for channel in sorted(self._channels()):
                await conn.add_listener(channel, self._on_notification)
                self._listening.add(channel)
        except asyncio.CancelledError:
            if conn is not None:
                conn.terminate()
            raise
        except Exception as exc:
            self.listener.failures += 1
            self.listener.last_error = describe_exception(exc, 500)
            log.warning("scheduler.listener_connect_failed", error=self.listener.last_error)
            if conn is not None:
                conn.terminate()
            return False
        self._listen_conn = conn
        self.listener.connected = True
        self.listener.connects += 1
        self.listener.channels = sorted(self._listening)
        return True

    async def _close_listener(self) -> None:
        conn, self._listen_conn = self._listen_conn, None
        self.listener.connected = False
        if conn is None:
            return
        conn.remove_termination_listener(self._on_termination)
        if conn.is_closed():
            return
        try:
            await asyncio.wait_for(conn.close(), 2.0)
        except asyncio.CancelledError:
            conn.terminate()
            raise
        except Exception:
            conn.terminate()

    async def _listen_loop(self) -> None:
        """Keep the LISTEN connection alive: health-check it, reconnect with backoff."""
        assert self._listener_poke is not None
        delay = self.reconnect_delay
        try:
            while not self._stopping:
                if self._listen_conn is None:
                    if not await self._open_listener():
                        await asyncio.sleep(jittered(delay, 0.2, self._rng))
                        delay = min(delay * 2, self.max_reconnect_delay)
                        continue
                    delay = self.reconnect_delay
                    if self.listener.connects > 1:
                        self.listener.reconnects += 1
                        log.info("scheduler.listener_reconnected", reconnects=self.listener.reconnects)
                    # Notifications sent while we were not listening are lost: claim everything.
                    self._wake_channels(self._listening)
                await self._watch_listener()
                if self._stopping:
                    break
                log.warning("scheduler.listener_lost", error=self.listener.last_error, reconnect_in=delay)
                await self._close_listener()
                await asyncio.sleep(jittered(delay, 0.2, self._rng))
                delay = min(delay * 2, self.max_reconnect_delay)
        finally:
            await self._close_listener()

    async def _watch_listener(self) -> None:
        """Return when the listening connection is lost; LISTEN on channels added meanwhile."""
        assert self._listener_poke is not None
        conn = self._listen_conn
        assert conn is not None
        while not self._stopping:
            self._listener_poke.clear()
            if self._listener_lost or conn.is_closed():
                self.listener.last_error = self.listener.last_error or "connection closed"
                return
            missing = sorted(self._channels() - self._listening)
            if missing:
                try:
                    for channel in missing:
                        await conn.add_listener(channel, self._on_notification)
                        self._listening.add(channel)
                except Exception as exc:
                    self.listener.failures += 1
                    self.listener.last_error = describe_exception(exc, 500)
                    return
                self.listener.channels = sorted(self._listening)
                self._wake_channels(missing)  # a notification may have preceded the LISTEN
                continue
            try:
                async with asyncio.timeout(self.listener_check_interval):
                    await self._listener_poke.wait()
                continue
            except TimeoutError:
                pass
            try:  # idle for a while: make sure the connection still answers
                await asyncio.wait_for(conn.fetchval("SELECT 1"), 10.0)
            except Exception as exc:
                self.listener.failures += 1
                self.listener.last_error = describe_exception(exc, 500)
                return
