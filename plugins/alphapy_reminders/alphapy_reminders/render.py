"""What a reminder looks like in Discord: one embed, an optional mention, an optional image.

Shared by delivery and by ``/reminder test`` so that the preview is exactly what members
will see. Times are Discord timestamp markup (``<t:…:F>``), which every member's client
shows in their own timezone. User text (name, message, location) goes into the embed,
where mentions never ping; the only ping is the one the creator chose, and
:class:`discord.AllowedMentions` is set to exactly that.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord

from alphapy import EMBED_DESCRIPTION, EMBED_FIELD_VALUE, EMBED_TITLE, fit, fit_embed
from alphapy_reminders.schedule import resolve_local

__all__ = ["KeptImage", "Rendered", "call_instant", "mention_text", "render", "safe_filename"]

COLOUR = 0x5865F2
LATE_COLOUR = 0xF0B232


@dataclass(frozen=True)
class KeptImage:
    """An image's bytes kept by the bot (Discord's CDN links expire)."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Rendered:
    """Keyword arguments for ``send``: build a fresh :class:`discord.File` per send."""

    content: str | None
    embed: discord.Embed
    allowed_mentions: discord.AllowedMentions
    image: KeptImage | None

    def send_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"content": self.content, "embed": self.embed,
                                  "allowed_mentions": self.allowed_mentions}
        if self.image is not None:
            kwargs["file"] = discord.File(io.BytesIO(self.image.data), filename=self.image.filename)
        return kwargs


def safe_filename(name: str, content_type: str) -> str:
    """An ``attachment://`` friendly name: ASCII letters, digits, dot, dash, underscore."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name.rsplit(".", 1)[0]).strip("_")[:60] or "image"
    extension = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}.get(
        content_type, "png")
    return f"{stem}.{extension}"


def mention_text(guild_id: int, role_id: int | None) -> str | None:
    """``@everyone`` (the @everyone role's id is the guild's), a role mention, or nothing."""
    if role_id is None:
        return None
    return "@everyone" if role_id == guild_id else f"<@&{role_id}>"


def _allowed(guild_id: int, role_id: int | None) -> discord.AllowedMentions:
    if role_id is None:
        return discord.AllowedMentions.none()
    if role_id == guild_id:
        return discord.AllowedMentions(everyone=True, roles=False, users=False, replied_user=False)
    return discord.AllowedMentions(everyone=False, roles=[discord.Object(role_id)], users=False,
                                   replied_user=False)


def call_instant(row: Mapping[str, Any], occurrence: datetime, tz: ZoneInfo) -> datetime | None:
    """The event's own time for this occurrence: the one-off's ``event_time``, or the
    recurring ``call_time`` on the day the reminder fires (the next day when the call time
    is earlier than the reminder time, as in "23:30 for a 00:15 call")."""
    if row["event_time"] is not None:
        event_time: datetime = row["event_time"]
        return event_time
    if row["call_time"] is None:
        return None
    day = occurrence.astimezone(tz).date()
    instant = resolve_local(day, row["call_time"], tz)
    if instant < occurrence:
        instant = resolve_local(day + timedelta(days=1), row["call_time"], tz)
    return instant


def render(
    row: Mapping[str, Any],
    *,
    tz: ZoneInfo,
    occurrence: datetime,
    late: bool = False,
    image: KeptImage | None = None,
    show_image: bool = False,
    preview: bool = False,
) -> Rendered:
    """The message for one occurrence of ``row`` (a reminders row).

    ``show_image`` is the premium answer for the creator; without it a kept image or URL
    stays stored but is not shown. ``preview`` pings nobody (``/reminder test``).
    """
    embed = discord.Embed(title=fit(f"⏰ {row['name']}", EMBED_TITLE), colour=LATE_COLOUR if late else COLOUR)
    if row["message"]:
        embed.description = fit(row["message"], EMBED_DESCRIPTION)
    starts = call_instant(row, occurrence, tz)
    if starts is not None:
        stamp = int(starts.timestamp())
        embed.add_field(name="When", value=f"<t:{stamp}:F> (<t:{stamp}:R>)", inline=False)
    if row["location"]:
        embed.add_field(name="Where", value=fit(row["location"], EMBED_FIELD_VALUE), inline=False)
    if late:
        embed.add_field(name="Sent late", value=f"This reminder was due <t:{int(occurrence.timestamp())}:t>.",
                        inline=False)
    kept = None
    if show_image:
        if image is not None and row.get("has_image", True):
            kept = image
            embed.set_image(url=f"attachment://{image.filename}")
        elif row["image_url"]:
            embed.set_image(url=row["image_url"])
    if row["origin_channel_id"] and row["origin_message_id"]:
        embed.add_field(name="Announcement",
                        value=f"https://discord.com/channels/{row['guild_id']}/{row['origin_channel_id']}/"
                              f"{row['origin_message_id']}", inline=False)
    content = mention_text(row["guild_id"], row["mention_role_id"])
    allowed = discord.AllowedMentions.none() if preview else _allowed(row["guild_id"], row["mention_role_id"])
    return Rendered(content, fit_embed(embed), allowed, kept)
