"""Sending due reminders: once per occurrence, late within the grace period, never stale.

The core's due-work loop claims due rows for this process's shards (``store.CLAIM``,
``FOR UPDATE SKIP LOCKED``, a lease) and hands them to :meth:`Delivery.handle`. For each
row:

1. **Stale or late?** An occurrence missed by more than ``reminders.grace_minutes``
   (bot offline, database down) is skipped and logged, never sent: no burst of stale
   reminders after downtime. A recurring reminder then moves on to the latest occurrence
   still inside the grace period, if there is one, or to the next one. An occurrence
   missed by more than :data:`LATE_AFTER` but within grace is sent once, marked late.
2. **Send with a nonce** derived from the reminder id and the occurrence, with
   ``enforce_nonce`` (discord.py sets it whenever ``nonce=`` is given): if this process
   dies after Discord accepted the message but before the database recorded it, the next
   process to claim the row (after the lease expires) sends the same nonce, and Discord
   answers with the first message instead of posting a second.
3. **Record** ``last_sent_at`` and the next occurrence in one ``UPDATE`` guarded by the
   claimed occurrence, so a reminder edited meanwhile is not overwritten and an occurrence
   is recorded once.

Discord refusing a reminder for good (the channel was deleted, the bot lost a permission,
the message is invalid) disables it and tells its creator once, by DM or else in the
``reminders.log_channel``; it is not retried. Temporary failures (5xx, network) leave the
lease to expire and the row is tried again, until the grace period makes the occurrence
stale. Rate limits (429) are waited out by discord.py, per route and globally.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import discord

from alphapy import AlphapyBot, DueWork, escape, get_logger, has_premium, utcnow
from alphapy_reminders import days as weekdays, store
from alphapy_reminders.render import KeptImage, render
from alphapy_reminders.schedule import next_occurrence

if TYPE_CHECKING:
    import asyncpg

log = get_logger("alphapy.plugins.reminders")

PLUGIN = "reminders"
#: Sent later than this after its time, a reminder says it is late.
LATE_AFTER = timedelta(seconds=60)
#: Sends in flight per process; each channel's own bucket is paced by discord.py.
CONCURRENCY = 16
BATCH_SIZE = 50
#: Discord's global limit is 50 requests per second per bot, shared by all its processes.
#: Reminder posts use at most 90 % of this process's share (its shards out of all), leaving
#: room for everything else the bot does; discord.py waits out any 429 that still comes.
GLOBAL_LIMIT = 50.0
SHARE_OF_LIMIT = 0.9


def nonce_for(reminder_id: int, occurrence: datetime) -> str:
    """The message nonce of one occurrence: the same on every retry, at most 25 characters."""
    return f"r{reminder_id}:{int(occurrence.timestamp())}"


class Pacer:
    """At most ``rate`` sends per second, evenly spaced (no bursts: Discord counts a global
    limit per second, and a burst at the start of one would earn 429s)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval  # claimed before sleeping: one event loop, no lock needed
        if slot > now:
            await asyncio.sleep(slot - now)


def send_rate(shard_count: int, shard_ids: list[int]) -> float:
    """This process's reminder posts per second: its shards' share of the global limit."""
    return GLOBAL_LIMIT * SHARE_OF_LIMIT * len(shard_ids) / shard_count


@dataclass
class DeliveryStats:
    """What this process delivered (health and ``/metrics``)."""

    sent: int = 0
    late: int = 0
    skipped: int = 0
    disabled: int = 0
    failed: int = 0
    unrecorded: int = 0


@dataclass(frozen=True)
class Plan:
    """What to do with one claimed row: send ``occurrence`` (maybe late), or skip to ``next_fire_at``."""

    send: bool
    occurrence: datetime
    next_fire_at: datetime | None
    late: bool = False
    skipped_from: datetime | None = None


def plan(row: Any, *, now: datetime, tz: ZoneInfo, grace: timedelta) -> Plan:
    """Decide, purely, what a claimed row means at ``now`` (see the module docstring)."""
    claimed: datetime = row["next_fire_at"]
    days = weekdays.from_db(row["days"])
    occurrence = claimed
    skipped_from = None
    if now - claimed > grace:
        if not days:
            return Plan(False, claimed, None, skipped_from=claimed)
        latest = next_occurrence(days, row["time"], tz, after=now - grace)
        if latest > now:
            return Plan(False, claimed, latest, skipped_from=claimed)
        occurrence, skipped_from = latest, claimed
    following = next_occurrence(days, row["time"], tz, after=max(occurrence, now)) if days else None
    return Plan(True, occurrence, following, late=now - occurrence > LATE_AFTER, skipped_from=skipped_from)


class Delivery:
    """The reminders' due work in one bot process."""

    def __init__(self, bot: AlphapyBot, *, concurrency: int = CONCURRENCY) -> None:
        self.bot = bot
        self.stats = DeliveryStats()
        self._slots = asyncio.Semaphore(concurrency)
        self.pacer = Pacer(send_rate(*bot.config.shard_filter()))

    def due_work(self) -> DueWork:
        return DueWork(
            name=PLUGIN,
            claim=store.claim_due,
            next_due=store.next_due,
            handle=self.handle,
            channel=store.CHANNEL,
            # a batch is sent within about ten seconds, far inside the lease, whatever the pace
            batch_size=max(1, min(BATCH_SIZE, int(self.pacer.rate * 10))),
            poll_interval=300.0,
        )

    async def handle(self, rows: list[asyncpg.Record]) -> None:
        await asyncio.gather(*(self._deliver_one(row) for row in rows))

    async def _deliver_one(self, row: asyncpg.Record) -> None:
        async with self._slots:
            if self.bot.is_closed():  # stopping (a deploy): hand the claim back rather than let the lease run out
                async with self.bot.db.acquire() as conn:
                    await store.release(conn, row["guild_id"], row["id"], row["next_fire_at"])
                return
            try:
                await self.deliver(row)
            except Exception:  # a temporary failure: the lease expires and the row is claimed again
                self.stats.failed += 1
                log.exception("reminders.send_failed", guild_id=row["guild_id"], reminder_id=row["id"])

    async def deliver(self, row: asyncpg.Record) -> None:
        """Send (or skip) one claimed reminder and record it."""
        guild_id, reminder_id = row["guild_id"], row["id"]
        settings = self.bot.settings
        tz = ZoneInfo(await settings.get(guild_id, "core", "timezone"))
        grace = timedelta(minutes=await settings.get(guild_id, PLUGIN, "grace_minutes"))
        decided = plan(row, now=utcnow(), tz=tz, grace=grace)
        if decided.send and not await settings.is_enabled(guild_id, PLUGIN):
            # switched off in this server: the occurrence passes unsent, the schedule goes on
            decided = replace(decided, send=False)
            log.info("reminders.skipped_plugin_off", guild_id=guild_id, reminder_id=reminder_id)
        if decided.skipped_from is not None:
            self.stats.skipped += 1
            log.warning("reminders.skipped", guild_id=guild_id, reminder_id=reminder_id,
                        due_at=decided.skipped_from.isoformat(), grace_minutes=grace.total_seconds() / 60,
                        next_fire_at=decided.next_fire_at.isoformat() if decided.next_fire_at else None)
        if not decided.send:
            async with self.bot.db.acquire() as conn:
                await store.mark_skipped(conn, guild_id, reminder_id, row["next_fire_at"], decided.next_fire_at)
            return

        image, show_image = None, False
        if (row["has_image"] or row["image_url"]) and row["created_by"] is not None:
            show_image = await has_premium(self.bot, row["created_by"], guild_id)
            if show_image and row["has_image"]:
                async with self.bot.db.acquire() as conn:
                    kept = await store.image_of(conn, guild_id, reminder_id)
                image = KeptImage(kept["filename"], kept["content_type"], bytes(kept["data"])) if kept else None
        message = render(dict(row), tz=tz, occurrence=decided.occurrence, late=decided.late,
                         image=image, show_image=show_image)

        channel = self.bot.get_partial_messageable(row["channel_id"], guild_id=guild_id)
        await self.pacer.wait()
        try:
            await channel.send(nonce=nonce_for(reminder_id, decided.occurrence), **message.send_kwargs())
        except discord.NotFound:
            await self._disable(row, "its channel no longer exists")
            return
        except discord.Forbidden:
            await self._disable(row, f"I am not allowed to post in <#{row['channel_id']}> any more "
                                     "(I need View Channel, Send Messages, Embed Links and, for images, "
                                     "Attach Files)")
            return
        except discord.HTTPException as exc:
            if 400 <= exc.status < 500 and exc.status != 429:
                await self._disable(row, f"Discord refused it ({exc.status}: {exc.text[:200]})")
                return
            raise
        sent_at = utcnow()
        self.stats.sent += 1
        self.stats.late += decided.late
        async with self.bot.db.acquire() as conn:
            recorded = await store.mark_sent(conn, guild_id, reminder_id, row["next_fire_at"], sent_at,
                                             decided.next_fire_at)
        if not recorded:  # edited or deleted while it was being sent: the edit wins
            self.stats.unrecorded += 1
            log.info("reminders.changed_while_sending", guild_id=guild_id, reminder_id=reminder_id)

    async def _disable(self, row: asyncpg.Record, reason: str) -> None:
        async with self.bot.db.acquire() as conn:
            first = await store.disable(conn, row["guild_id"], row["id"], row["next_fire_at"], reason)
        if not first:
            return
        self.stats.disabled += 1
        log.warning("reminders.disabled", guild_id=row["guild_id"], reminder_id=row["id"], reason=reason)
        await self._tell_creator(row, reason)

    async def _tell_creator(self, row: asyncpg.Record, reason: str) -> None:
        """Once, privately if possible; else in the log channel; else only in the log."""
        guild = self.bot.get_guild(row["guild_id"])
        where = f" in **{escape(guild.name, mentions=False)}**" if guild is not None else ""
        text = (f"Your reminder **{escape(row['name'], mentions=False)}** (#{row['id']}){where} is "
                f"paused: {reason}. Fix that, then use `/reminder resume` to start it again.")
        none = discord.AllowedMentions.none()
        if row["created_by"] is not None:
            try:
                user = self.bot.get_user(row["created_by"]) or await self.bot.fetch_user(row["created_by"])
                await user.send(text, allowed_mentions=none)
                return
            except discord.HTTPException as exc:
                log.info("reminders.dm_failed", user_id=row["created_by"], error=str(exc))
        log_channel = await self.bot.settings.get(row["guild_id"], PLUGIN, "log_channel")
        if log_channel:
            mention = f"<@{row['created_by']}> " if row["created_by"] else ""
            try:
                await self.bot.get_partial_messageable(log_channel, guild_id=row["guild_id"]).send(
                    mention + text, allowed_mentions=none)
            except discord.HTTPException as exc:
                log.warning("reminders.log_channel_failed", guild_id=row["guild_id"], error=str(exc))

    def health(self) -> dict[str, int]:
        return asdict(self.stats)
