"""Shards assigned through PostgreSQL (``SHARD_IDS=auto``): leases, fair shares, identify turns.

Several ``alphapy run`` processes, on one machine or many, serve one bot. PostgreSQL,
which they already share, decides who serves which shard; there is no other cluster
protocol. The rules (``docs/operations.md``, "Scaling out"):

* one ``shard_leases`` row per shard; a process *claims* free or expired rows with
  ``SELECT ... FOR UPDATE SKIP LOCKED`` in one statement, so two processes never claim the
  same row, and *renews* its rows every ``lease / 6`` seconds;
* a process takes at most its fair share, ``ceil(shard_count / live processes)``, capped by
  ``SHARDS_PER_PROCESS``; every process, with shards or waiting for some, keeps a row in
  ``shard_processes`` so that the others know how many share the work;
* a process that cannot renew for two thirds of the lease stops serving its shards *before*
  the lease expires (the database's clock decides expiry, the process's own monotonic clock decides
  when to give up): a shard is never served by two processes;
* a clean stop releases the rows at once, so another process takes them at its next renewal;
* IDENTIFYs take turns per bucket ``shard_id % max_concurrency`` through a locked row of
  ``shard_identify_buckets``, so the whole cluster respects Discord's one-per-5-seconds.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import secrets
import socket
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alphapy.log import get_logger

if TYPE_CHECKING:
    from alphapy.config import Config
    from alphapy.db.pool import Database

log = get_logger(__name__)

# A free row has no holder and an expiry in the past; one row per shard is made up front so
# that claiming is always "lock a row", never "insert and hope nobody else did".
_PREPARE = """
INSERT INTO shard_leases (shard_id, shard_count, holder, host, pid, expires_at)
SELECT g, $1, '', '', 0, '-infinity' FROM generate_series(0, $1 - 1) AS g
ON CONFLICT DO NOTHING
"""

_REGISTER = """
INSERT INTO shard_processes (holder, host, pid, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
ON CONFLICT (holder) DO UPDATE SET expires_at = EXCLUDED.expires_at
"""

_LIVE_PROCESSES = "SELECT count(*) FROM shard_processes WHERE expires_at > now()"

# Nothing is claimed while a live lease of another shard count exists: the same guild would
# be on two shards of two layouts (change SHARD_COUNT by stopping every process first).
_CLAIM = """
UPDATE shard_leases
   SET holder = $3, host = $4, pid = $5, claimed_at = now(), renewed_at = now(),
       expires_at = now() + make_interval(secs => $6), latency_ms = NULL, guild_count = NULL
 WHERE shard_count = $1
   AND shard_id IN (
       SELECT shard_id FROM shard_leases
        WHERE shard_count = $1 AND expires_at < now()
          AND NOT EXISTS (SELECT 1 FROM shard_leases other
                           WHERE other.shard_count <> $1 AND other.expires_at > now())
        ORDER BY shard_id
          FOR UPDATE SKIP LOCKED
        LIMIT $2)
RETURNING shard_id
"""

_RENEW = """
UPDATE shard_leases AS l
   SET renewed_at = now(), expires_at = now() + make_interval(secs => $3),
       latency_ms = f.latency_ms, guild_count = f.guild_count
  FROM unnest($4::int[], $5::float8[], $6::int[]) AS f(shard_id, latency_ms, guild_count)
 WHERE l.shard_count = $1 AND l.holder = $2 AND l.shard_id = f.shard_id
RETURNING l.shard_id
"""

_RELEASE = """
UPDATE shard_leases
   SET holder = '', host = '', pid = 0, expires_at = '-infinity', latency_ms = NULL, guild_count = NULL
 WHERE holder = $1 AND shard_id = ANY($2::int[])
"""

_UNREGISTER = "DELETE FROM shard_processes WHERE holder = $1"

# Processes (other than $2) holding fewer live shards than their fair share $1: a process
# above its share hands one shard over per renewal only while somebody is waiting for it.
_HUNGRY = """
SELECT count(*) FROM shard_processes p
 WHERE p.expires_at > now() AND p.holder <> $2
   AND (SELECT count(*) FROM shard_leases l
         WHERE l.holder = p.holder AND l.shard_count = $3 AND l.expires_at > now()) < $1
"""

_BUCKET_ROW = "INSERT INTO shard_identify_buckets (bucket) VALUES ($1) ON CONFLICT DO NOTHING"

# Locked for the whole wait: the next process in this bucket queues behind the lock.
_BUCKET_WAIT = """
SELECT greatest(0, extract(epoch FROM last_identify + make_interval(secs => $2) - clock_timestamp()))::float8
  FROM shard_identify_buckets WHERE bucket = $1 FOR UPDATE
"""

_BUCKET_STAMP = "UPDATE shard_identify_buckets SET last_identify = clock_timestamp() WHERE bucket = $1"

_CLUSTER = """
SELECT l.shard_id, l.shard_count, l.holder, l.host, l.pid, l.latency_ms, l.guild_count,
       extract(epoch FROM now() - l.renewed_at)::float8 AS renewed_seconds_ago,
       extract(epoch FROM now() - l.claimed_at)::float8 AS held_seconds,
       l.expires_at > now() AS live
  FROM shard_leases l
 ORDER BY l.shard_count DESC, l.shard_id
"""


def process_name() -> str:
    """This process in the lease table: host, pid and a random tag (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def fair_share(shard_count: int, live_processes: int, cap: int | None) -> int:
    """How many shards one of ``live_processes`` processes should hold."""
    share = math.ceil(shard_count / max(1, live_processes))
    return min(share, cap) if cap is not None else share


@dataclass(frozen=True)
class GatewayPlan:
    """The shard count and identify buckets the whole cluster uses."""

    shard_count: int
    max_concurrency: int = 1


async def gateway_plan(config: Config, api_base: str, token: str) -> GatewayPlan:
    """``SHARD_COUNT`` (else Discord's recommendation) and ``max_concurrency``, from
    ``GET /gateway/bot``; without an answer, ``SHARD_COUNT`` with one bucket."""
    import aiohttp

    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {token}"}) as http, \
                http.get(f"{api_base}/gateway/bot", timeout=aiohttp.ClientTimeout(total=15)) as resp:
            resp.raise_for_status()
            body: dict[str, Any] = await resp.json()
    except Exception as exc:
        if config.shard_count is None:
            raise RuntimeError(f"SHARD_IDS=auto without SHARD_COUNT needs Discord's GET /gateway/bot, "
                               f"which failed: {exc}") from None
        log.warning("shards.gateway_bot_failed", error=str(exc), shard_count=config.shard_count)
        return GatewayPlan(config.shard_count)
    limit = body.get("session_start_limit") or {}
    count = config.shard_count or int(body.get("shards") or 1)
    return GatewayPlan(count, max(1, int(limit.get("max_concurrency") or 1)))


class ShardLeases:
    """The lease table, seen by one process (``holder``)."""

    def __init__(self, db: Database | Any, shard_count: int, *, lease_seconds: float,
                 holder: str | None = None) -> None:
        self.db = db
        self.shard_count = shard_count
        self.lease_seconds = lease_seconds
        self.holder = holder or process_name()
        self.host = socket.gethostname()
        self.pid = os.getpid()

    async def register(self) -> int:
        """Say this process is alive (with or without shards); how many processes are."""
        async with self.db.acquire() as conn:
            await conn.execute(_PREPARE, self.shard_count)
            await conn.execute(_REGISTER, self.holder, self.host, self.pid, self.lease_seconds)
            return int(await conn.fetchval(_LIVE_PROCESSES))

    async def claim(self, limit: int) -> list[int]:
        """Up to ``limit`` free or expired shards, now held by this process."""
        if limit <= 0:
            return []
        rows = await self.db.fetch(_CLAIM, self.shard_count, limit, self.holder, self.host, self.pid,
                                   self.lease_seconds)
        return sorted(int(r["shard_id"]) for r in rows)

    async def renew(self, figures: dict[int, tuple[float | None, int | None]]) -> set[int]:
        """Renew the leases of ``figures``' shards (latency ms, guilds); the ones still ours."""
        ids = sorted(figures)
        rows = await self.db.fetch(_RENEW, self.shard_count, self.holder, self.lease_seconds, ids,
                                   [figures[i][0] for i in ids], [figures[i][1] for i in ids])
        return {int(r["shard_id"]) for r in rows}

    async def release(self, shard_ids: list[int], *, leaving: bool = True) -> None:
        """Hand shards back at once; ``leaving``: this process leaves the cluster (a clean stop)."""
        async with self.db.acquire() as conn:
            await conn.execute(_RELEASE, self.holder, shard_ids)
            if leaving:
                await conn.execute(_UNREGISTER, self.holder)

    async def others_waiting(self, share: int) -> bool:
        """Whether another live process holds fewer shards than ``share``."""
        return bool(await self.db.fetchval(_HUNGRY, share, self.holder, self.shard_count))

    async def identify_turn(self, bucket: int, spacing: float) -> float:
        """Wait for this bucket's turn to IDENTIFY (cluster-wide); the seconds waited."""
        async with self.db.acquire() as conn:
            await conn.execute(_BUCKET_ROW, bucket)
            async with conn.transaction():
                wait = float(await conn.fetchval(_BUCKET_WAIT, bucket, spacing) or 0.0)
                if wait > 0:
                    await asyncio.sleep(wait)
                await conn.execute(_BUCKET_STAMP, bucket)
        return wait


async def cluster_view(db: Database | Any) -> list[dict[str, Any]]:
    """Every shard row (``alphapy shards``): its process, host, lease age, latency, guilds."""
    return [dict(r) for r in await db.fetch(_CLUSTER)]


#: added to Discord's spacing: the turn is stamped just before the IDENTIFY is sent, and a
#: busy event loop may send it a little later than that
IDENTIFY_MARGIN = 0.25

ShardsCallback = Callable[[list[int]], Coroutine[Any, Any, None]]
FiguresFn = Callable[[list[int]], dict[int, tuple[float | None, int | None]]]


class ShardKeeper:
    """Keeps this process's leases: renews them, claims its fair share, gives up on loss.

    ``on_claimed`` starts serving shards claimed after start-up; ``on_shed`` stops serving
    shards handed to a process that joined (above the fair share); ``on_lost`` must stop
    serving the shards it is given at once (the runner drops them like handed-over ones;
    the process claims again once shards are free). ``figures`` reports each held shard's
    latency and guild count for the cluster view.
    """

    def __init__(self, leases: ShardLeases, plan: GatewayPlan, *, per_process: int | None,
                 identify_seconds: float, figures: FiguresFn | None = None) -> None:
        self.leases = leases
        self.plan = plan
        self.per_process = per_process
        self.identify_seconds = identify_seconds
        self.figures = figures or (lambda ids: {i: (None, None) for i in ids})
        self.on_claimed: ShardsCallback | None = None
        self.on_lost: ShardsCallback | None = None
        self.on_shed: ShardsCallback | None = None
        self.held: set[int] = set()
        self.lost: set[int] = set()
        self.renewals = 0
        self._last_renewal = time.monotonic()
        self._task: asyncio.Task[None] | None = None
        self._launching: dict[int, asyncio.Task[None]] = {}  # shard id -> its connection being made
        self._stopped = False

    @classmethod
    def from_config(cls, db: Database | Any, config: Config, plan: GatewayPlan) -> ShardKeeper:
        leases = ShardLeases(db, plan.shard_count, lease_seconds=config.shard_lease_seconds)
        return cls(leases, plan, per_process=config.shards_per_process,
                   identify_seconds=config.shard_identify_seconds)

    @property
    def interval(self) -> float:
        """Seconds between renewals: four chances before giving up at two thirds of the
        lease, and a released shard is noticed within this time."""
        return self.leases.lease_seconds / 6

    @property
    def shard_count(self) -> int:
        return self.plan.shard_count

    async def first_claim(self) -> list[int]:
        """Register, give processes starting alongside a moment to register too, then claim
        a fair share; wait (renewing the registration) until at least one shard is free."""
        await self.leases.register()
        await asyncio.sleep(min(self.interval, 2.0))
        while True:
            live = await self.leases.register()
            claimed = await self.leases.claim(fair_share(self.shard_count, live, self.per_process))
            if claimed:
                self.held.update(claimed)
                self._last_renewal = time.monotonic()
                log.info("shards.claimed", shards=claimed, shard_count=self.shard_count, processes=live,
                         holder=self.leases.holder)
                return claimed
            log.info("shards.waiting", shard_count=self.shard_count, processes=live)
            # A process above its share hands a shard over at its next renewal: look often,
            # so that the shard is without a process as briefly as possible.
            await asyncio.sleep(max(0.2, self.interval / 2))

    def start(self) -> None:
        """Renew (and claim more) every :attr:`interval` seconds, in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._keep(), name="alphapy-shard-leases")

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: the watchdog below decides
                log.warning("shards.renew_failed", error=str(exc))
            if self.held and time.monotonic() - self._last_renewal > self.leases.lease_seconds * 2 / 3:
                await self._lose(sorted(self.held), reason="could not renew the lease in time")

    async def tick(self) -> None:
        """One renewal: keep what is ours, notice what is not, claim up to the fair share."""
        live = await self.leases.register()
        if self.held:
            mine = sorted(self.held)
            kept = await self.leases.renew(self.figures(mine))
            self._last_renewal = time.monotonic()
            self.renewals += 1
            gone = sorted(self.held - kept)
            if gone:
                await self._lose(gone, reason="another process holds the lease")
        share = fair_share(self.shard_count, live, self.per_process)
        # A shard still connecting is not handed over: its launch would connect it after the
        # release, and the shard would have two holders. It goes at a later renewal.
        settled = self.held - self._launching.keys()
        if (len(self.held) > share and settled and self.on_shed is not None
                and await self.leases.others_waiting(share)):
            await self._shed(max(settled))
            return
        wanted = share - len(self.held)
        claimed = await self.leases.claim(wanted)
        if claimed:
            self.held.update(claimed)
            self.lost.difference_update(claimed)
            log.info("shards.claimed", shards=claimed, shard_count=self.shard_count, processes=live,
                     holder=self.leases.holder)
            if self.on_claimed is not None:
                for shard_id in claimed:
                    self._launch(shard_id)

    def _launch(self, shard_id: int) -> None:
        """Connect a claimed shard in the background: connecting waits for identify turns,
        and must never delay the next renewal. One task per shard, so that a lost shard's
        launch can be stopped without stopping the others'."""
        assert self.on_claimed is not None
        task = asyncio.create_task(self.on_claimed([shard_id]), name=f"alphapy-shard-launch-{shard_id}")
        self._launching[shard_id] = task
        task.add_done_callback(functools.partial(self._launched, shard_id))

    def _launched(self, shard_id: int, task: asyncio.Task[None]) -> None:
        if self._launching.get(shard_id) is task:
            del self._launching[shard_id]

    async def _stop_launches(self, shard_ids: list[int]) -> None:
        for task in [t for i in shard_ids if (t := self._launching.pop(i, None)) is not None]:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _shed(self, shard_id: int) -> None:
        """Hand one shard to a process that has fewer than its share (a process joined):
        stop serving it first, then release the row, so that it never has two holders."""
        assert self.on_shed is not None
        await self.on_shed([shard_id])
        self.held.discard(shard_id)
        await self.leases.release([shard_id], leaving=False)
        log.info("shards.handed_over", shards=[shard_id], holder=self.leases.holder)

    async def _lose(self, shard_ids: list[int], *, reason: str) -> None:
        self.held.difference_update(shard_ids)
        self.lost.update(shard_ids)
        log.error("shards.lost", shards=shard_ids, reason=reason, holder=self.leases.holder)
        await self._stop_launches(shard_ids)  # a launch in flight would connect it after all
        if self.on_lost is not None:
            await self.on_lost(shard_ids)

    async def identify_turn(self, shard_id: int) -> None:
        """Before an IDENTIFY: wait for the turn of this shard's bucket, cluster-wide."""
        bucket = shard_id % self.plan.max_concurrency
        waited = await self.leases.identify_turn(bucket, self.identify_seconds + IDENTIFY_MARGIN)
        log.debug("shards.identify_turn", shard_id=shard_id, bucket=bucket, waited=round(waited, 3))

    async def stop(self) -> None:
        """Stop renewing and release every held shard at once (a clean stop; once)."""
        if self._stopped:
            return
        self._stopped = True
        await self._stop_launches(list(self._launching))
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        try:
            await self.leases.release(sorted(self.held))
        except Exception as exc:  # the leases then expire by themselves
            log.warning("shards.release_failed", error=str(exc))
        else:
            log.info("shards.released", shards=sorted(self.held), holder=self.leases.holder)
        self.held.clear()

    def describe(self) -> dict[str, Any]:
        """For ``/api/health``: the shards this process holds under the lease."""
        return {
            "mode": "auto",
            "holder": self.leases.holder,
            "shard_count": self.shard_count,
            "held": sorted(self.held),
            "lost": sorted(self.lost),
            "lease_seconds": self.leases.lease_seconds,
            "seconds_since_renewal": round(time.monotonic() - self._last_renewal, 3),
            "max_concurrency": self.plan.max_concurrency,
        }


def describe_shards(services: Any) -> dict[str, Any]:
    """``/api/health``'s ``shards``: what this process serves, shard by shard.

    ``not_ready`` lists what keeps ``/readyz`` from answering ready: no shard claimed yet
    (a standby process), shards lost to another process, or a held shard not connected.
    """
    config = services.config
    keeper: ShardKeeper | None = services.shard_keeper
    bot = services.bot
    count, ids = config.shard_filter()
    report: dict[str, Any] = (keeper.describe() if keeper is not None
                              else {"mode": "static" if config.shard_count else "single",
                                    "shard_count": count, "held": ids})
    held: list[int] = report["held"]
    figures = bot.shard_figures(held) if bot is not None and hasattr(bot, "shard_figures") else {}
    infos = getattr(bot, "shards", {}) if bot is not None else {}
    not_ready: list[str] = []
    if keeper is not None and not held:
        not_ready.append("shards lost to another process" if keeper.lost else "no shard claimed yet")
    details = []
    for shard_id in held:
        info = infos.get(shard_id)
        connected = info is not None and not info.is_closed()
        latency, guilds = figures.get(shard_id, (None, None))
        details.append({"id": shard_id, "connected": connected, "latency_ms": latency, "guilds": guilds})
        if bot is not None and infos and not connected:
            not_ready.append(f"shard {shard_id} connecting")
    report["shards"] = details
    report["not_ready"] = not_ready
    return report
