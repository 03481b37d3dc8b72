"""Pause, resume and delete a reminder: the rules and sentences ``/reminder`` and the dashboard share.

Both places call these functions, so a reminder refused in Discord is refused on the web
with the same sentence, and both write through the same store functions. What only one
side can judge (the Discord channel permissions of the person, known from the
interaction) comes in as ``check_channel``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alphapy import UserError, has_premium, ping_refusal, utcnow
from alphapy_reminders import days as weekdays, schedule, store

PLUGIN = "reminders"
NO_SUCH = "There is no reminder #{id} in this server."
ALREADY_PAUSED = "Reminder `#{id}` is already paused."
NOT_PAUSED = "Reminder `#{id}` is not paused."
EVENT_STARTED = "The event of reminder `#{id}` has already started."
CHANNEL_GONE = "The channel of reminder `#{id}` no longer exists; give it a new one with `/reminder edit`."

IMAGES_ARE_PREMIUM = ("Images on reminders are a premium feature. Your reminder was not saved; "
                      "add it again without an image, or get premium first.")

ChannelCheck = Callable[[Any], Awaitable[None]]


@dataclass(frozen=True)
class Resumed:
    """A resumed reminder and its next time (None: an event whose reminder was already sent)."""

    row: Any
    fires: datetime | None


async def server_timezone(settings: Any, guild_id: int) -> ZoneInfo:
    return ZoneInfo(await settings.get(guild_id, "core", "timezone"))


async def existing(db: Any, guild_id: int, reminder_id: int) -> Any:
    """The reminder of this server, or the refusal (also for another server's number)."""
    async with db.acquire() as conn:
        row = await store.get(conn, guild_id, reminder_id)
    if row is None:
        raise UserError(NO_SUCH.format(id=reminder_id))
    return row


async def pause(db: Any, guild_id: int, reminder_id: int) -> Any:
    """Stop a reminder for now, keeping it; returns it as it was."""
    row = await existing(db, guild_id, reminder_id)
    if row["paused"]:
        raise UserError(ALREADY_PAUSED.format(id=reminder_id))
    async with db.transaction() as conn:
        await store.set_schedule(conn, guild_id, reminder_id, paused=True, next_fire_at=None)
    return row


async def resume(db: Any, settings: Any, guild_id: int, reminder_id: int, check_channel: ChannelCheck) -> Resumed:
    """Start a paused or stopped reminder again at its next occurrence from now."""
    row = await existing(db, guild_id, reminder_id)
    if not row["paused"] and not row["disabled_reason"]:
        raise UserError(NOT_PAUSED.format(id=reminder_id))
    await check_channel(row)
    now = utcnow()
    fires: datetime | None
    if row["event_time"] is not None:
        lead = timedelta(minutes=await settings.get(guild_id, PLUGIN, "lead_minutes"))
        if row["event_time"] <= now:
            raise UserError(EVENT_STARTED.format(id=reminder_id))
        # an event is reminded once: if that already happened, resuming sends nothing again
        fires = None if row["last_sent_at"] is not None else max(schedule.event_trigger(row["event_time"], lead), now)
    else:
        fires = schedule.next_occurrence(weekdays.from_db(row["days"]), row["time"],
                                         await server_timezone(settings, guild_id), now)
    async with db.transaction() as conn:
        await store.set_schedule(conn, guild_id, reminder_id, paused=False, next_fire_at=fires)
    return Resumed(row, fires)


async def delete(db: Any, guild_id: int, reminder_id: int) -> Any:
    """Delete a reminder (and its image); returns what was deleted."""
    async with db.acquire() as conn:
        deleted = await store.delete(conn, guild_id, reminder_id)
    if deleted is None:
        raise UserError(NO_SUCH.format(id=reminder_id))
    return deleted


async def limit_for(bot: Any, guild_id: int, user_id: int) -> int:
    """How many reminders the server may keep when this person adds one."""
    key = "premium_max_per_guild" if await has_premium(bot, user_id, guild_id) else "max_per_guild"
    return int(await bot.settings.get(guild_id, PLUGIN, key))


def check_channel(guild: Any, member: Any, channel_id: int, *, image: bool) -> Any:
    """The channel must be this server's, and both the creator and the bot must be able to post
    there; returns it from the bot's own cache (never trusting the asker's words for it)."""
    channel = guild.get_channel(channel_id) if guild is not None else None
    if channel is None or not hasattr(channel, "send"):  # another server's, gone, or not a text channel
        raise UserError("Pick a channel of this server.")
    mine = channel.permissions_for(member)
    if not (mine.view_channel and mine.send_messages):
        raise UserError(f"You cannot post in {channel.mention} yourself, so you cannot schedule reminders there.")
    bots = channel.permissions_for(channel.guild.me)
    needed = {"view_channel": bots.view_channel, "send_messages": bots.send_messages,
              "embed_links": bots.embed_links}
    if image:
        needed["attach_files"] = bots.attach_files
    missing = [name.replace("_", " ").title() for name, ok in needed.items() if not ok]
    if missing:
        raise UserError(f"I cannot post reminders in {channel.mention}: I am missing {', '.join(missing)}.")
    return channel


def check_mention(guild: Any, member: Any, role_id: int | None, channel: Any) -> int | None:
    """Members may only schedule the pings they could send themselves in that channel (the core's ping rule)."""
    if role_id is None:
        return None
    role = guild.get_role(role_id) if guild is not None else None
    if role is None:  # another server's role: judge by our own cache
        raise UserError("Pick a role of this server.")
    refused = ping_refusal(member, role, channel=channel)
    if refused is not None:
        raise UserError(refused)
    return int(role.id)


LIMIT_REACHED = ("This server has reached its limit of {limit} reminders. "
                 "Delete one first (`/reminder list`, `/reminder delete`).")


@dataclass(frozen=True)
class Added:
    id: int
    fires: datetime
    timezone: ZoneInfo


async def add_recurring(bot: Any, guild_id: int, user_id: int, *, name: str, channel_id: int, days: Sequence[str],
                        at: time, call_time: time, message: str | None, mention_role_id: int | None,
                        image_url: str | None, limit: int, image: Any = None) -> Added:
    """Store a checked recurring reminder (and its kept image) unless the server is at its limit."""
    tz = await server_timezone(bot.settings, guild_id)
    fires = schedule.next_occurrence(weekdays.from_db(days), at, tz, utcnow())
    async with bot.db.transaction() as conn:
        if await store.count_for_guild(conn, guild_id) >= limit:
            raise UserError(LIMIT_REACHED.format(limit=limit))
        reminder_id = await store.add_recurring(
            conn, guild_id=guild_id, name=name, channel_id=channel_id, at=at, call_time=call_time, days=days,
            message=message, created_by=user_id, mention_role_id=mention_role_id, image_url=image_url,
            next_fire_at=fires)
        if image is not None:
            await store.put_image(conn, guild_id, reminder_id, image.filename, image.content_type, image.data)
    return Added(reminder_id, fires, tz)


async def save_edit(bot: Any, guild_id: int, row: Any, *, name: str, message: str | None, days: Sequence[str],
                    at: time | None, call_time: time | None, channel_id: int, mention_role_id: int | None,
                    image_url: str | None, replaces_image: bool, image: Any = None, reschedule: bool) -> datetime | None:
    """Write an edited reminder whole; a new day or time moves its next occurrence (unless it is
    paused or stopped). Returns the next occurrence."""
    next_fire: datetime | None = row["next_fire_at"]
    if reschedule and at is not None and not row["paused"] and not row["disabled_reason"]:
        next_fire = schedule.next_occurrence(weekdays.from_db(days), at, await server_timezone(bot.settings, guild_id),
                                             utcnow())
    async with bot.db.transaction() as conn:
        saved = await store.save(
            conn, guild_id=guild_id, reminder_id=row["id"], name=name, channel_id=channel_id, at=at,
            call_time=call_time, days=days, message=message, mention_role_id=mention_role_id, image_url=image_url,
            next_fire_at=next_fire)
        if not saved:
            raise UserError(NO_SUCH.format(id=row["id"]))
        if image is not None:
            await store.put_image(conn, guild_id, row["id"], image.filename, image.content_type, image.data)
        elif replaces_image:  # removed, or replaced by a link
            await store.drop_image(conn, guild_id, row["id"])
    return next_fire
