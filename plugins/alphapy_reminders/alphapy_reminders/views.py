"""What staff see and click: the paged list, and the acknowledgement of a detected event.

Buttons are :class:`discord.ui.DynamicItem` with custom ids ``reminders:<action>:<id>``:
the id carries everything the callback needs, so a list or an acknowledgement posted
last week still works after a restart, and the core's gate routes them to this plugin
(switched off in a server, they answer that it is off).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord

from alphapy import (
    EMBED_DESCRIPTION,
    EMBED_FIELD_VALUE,
    AlphapyBot,
    answering_errors,
    escape,
    fit,
    fit_embed,
    fit_lines,
    require_staff,
)
from alphapy_reminders import clock, days as weekdays, store

PLUGIN = "reminders"
PAGE_SIZE = 10
REASON_SHOWN = 200  # of why a reminder stopped, per line of the list (the whole reason is in the DM)
ONLY_STAFF = "Only staff can manage reminders."


def schedule_text(row: Mapping[str, Any]) -> str:
    """``Mon, Wed at 19:00 (call 19:30)`` or ``event <t:…:F>``."""
    if row["event_time"] is not None:
        return f"event <t:{int(row['event_time'].timestamp())}:f>"
    text = f"{weekdays.format_days(weekdays.from_db(row['days']))} at {clock.format_time(row['time'])}"
    if row["call_time"] is not None and row["call_time"] != row["time"]:
        text += f" (call {clock.format_time(row['call_time'])})"
    return text


def state_text(row: Mapping[str, Any]) -> str:
    if row["disabled_reason"]:
        return f"⚠️ stopped: {fit(escape(row['disabled_reason']), REASON_SHOWN)}"
    if row["paused"]:
        return "⏸️ paused"
    if row["next_fire_at"] is not None:
        return f"next <t:{int(row['next_fire_at'].timestamp())}:R>"
    return "✓ sent"


def describe(row: Mapping[str, Any]) -> str:
    """One line of the list."""
    image = " 🖼️" if row["has_image"] or row["image_url"] else ""
    return (f"`#{row['id']}` **{escape(row['name'])}**{image} — {schedule_text(row)} in <#{row['channel_id']}> · "
            f"{state_text(row)}")


async def list_page(bot: AlphapyBot, guild_id: int, page: int) -> tuple[discord.Embed, discord.ui.View | None]:
    """Page ``page`` (1-based, clamped) of a guild's reminders, with Previous/Next buttons."""
    async with bot.db.acquire() as conn:
        total = await store.count_for_guild(conn, guild_id)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        _, rows = await store.page(conn, guild_id, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    tz = await bot.settings.get(guild_id, "core", "timezone")
    embed = discord.Embed(title="Reminders", colour=0x5865F2)
    if rows:
        embed.description = fit_lines([describe(dict(row)) for row in rows], EMBED_DESCRIPTION)
    else:
        embed.description = "No reminders yet. Add one with `/reminder add`."
    embed.set_footer(text=f"Page {page} of {pages} · {total} reminder{'s' if total != 1 else ''} · times in {tz}")
    fit_embed(embed)
    if pages == 1:
        return embed, None
    view = discord.ui.View(timeout=None)
    view.add_item(ListPageButton(page - 1, "◀ Previous", disabled=page <= 1))
    view.add_item(ListPageButton(page + 1, "Next ▶", disabled=page >= pages))
    return embed, view


class ListPageButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"reminders:list:(?P<page>\d{1,6})"):
    """Turns the page of an ephemeral ``/reminder list``."""

    def __init__(self, page: int, label: str = "Page", *, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=label, custom_id=f"{PLUGIN}:list:{max(page, 1)}",
                                           style=discord.ButtonStyle.secondary, disabled=disabled))
        self.page = page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ListPageButton:
        return cls(int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with answering_errors(interaction, "list page"):
            await require_staff(interaction, ONLY_STAFF)
            embed, view = await list_page(AlphapyBot.of(interaction), interaction.guild_id, self.page)
            await interaction.response.edit_message(embed=embed, view=view)


def event_ack(event_id: int, title: str, starts_at: datetime, fires_at: datetime | None, location: str | None,
              tz: ZoneInfo, *, moved: bool = False) -> tuple[discord.Embed, discord.ui.View]:
    """The brief reply under an announcement: what was read, and a way to undo it."""
    embed = discord.Embed(title="📅 Event moved: reminder updated" if moved else "📅 Event reminder set",
                          colour=0x57F287)
    embed.add_field(name="Event", value=fit(escape(title), EMBED_FIELD_VALUE), inline=False)
    stamp = int(starts_at.timestamp())
    embed.add_field(name="Starts", value=f"<t:{stamp}:F> (<t:{stamp}:R>)", inline=False)
    if fires_at is not None:
        embed.add_field(name="Reminder", value=f"<t:{int(fires_at.timestamp())}:F>", inline=False)
    if location:
        embed.add_field(name="Where", value=fit(escape(location), EMBED_FIELD_VALUE), inline=False)
    embed.set_footer(text=f"Reminder #{event_id} · read in {tz.key}")
    view = discord.ui.View(timeout=None)
    view.add_item(ForgetEventButton(event_id))
    return embed, view


class ForgetEventButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"reminders:forget:(?P<id>\d{1,10})"):
    """"No reminder for this one": staff undo a detection from the acknowledgement."""

    def __init__(self, reminder_id: int) -> None:
        super().__init__(discord.ui.Button(label="Remove reminder", custom_id=f"{PLUGIN}:forget:{reminder_id}",
                                           style=discord.ButtonStyle.danger))
        self.reminder_id = reminder_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ForgetEventButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with answering_errors(interaction, "forget event"):
            await require_staff(interaction, ONLY_STAFF)
            async with AlphapyBot.of(interaction).db.acquire() as conn:
                deleted = await store.delete(conn, interaction.guild_id, self.reminder_id)
            embed = discord.Embed(
                title="📅 Reminder removed" if deleted else "📅 Reminder already gone",
                description=f"Removed by {interaction.user.mention}." if deleted else "Nothing to remove.",
                colour=0x99AAB5,
            )
            await interaction.response.edit_message(embed=embed, view=None,
                                                    allowed_mentions=discord.AllowedMentions.none())
