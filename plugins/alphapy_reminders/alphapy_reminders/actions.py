"""Pause, resume and delete a reminder: the rules and sentences ``/reminder`` and the dashboard share.

Both places call these functions, so a reminder refused in Discord is refused on the web
with the same sentence, and both write through the same store functions. What only one
side can judge (the Discord channel permissions of the person, known from the
interaction) comes in as ``check_channel``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from alphapy import UserError
from alphapy_reminders import days as weekdays, schedule, store

PLUGIN = "reminders"
NO_SUCH = "There is no reminder #{id} in this server."
ALREADY_PAUSED = "Reminder `#{id}` is already paused."
NOT_PAUSED = "Reminder `#{id}` is not paused."
EVENT_STARTED = "The event of reminder `#{id}` has already started."

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
    now = datetime.now(UTC)
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
