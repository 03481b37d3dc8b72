"""The ``/reminder`` commands and the announcement listeners.

Commands are for staff (``@staff_only()`` on the group: Manage Server, ``core.staff_role``
or ``reminders.staff_role``); the core enforces it. Every input is checked here before
anything is stored, and every refusal is one polite :class:`UserError` sentence. The
listeners read announcements in the channels of ``reminders.watch_channels`` and keep
one one-off reminder per announcement in step with its edits and its deletion.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from alphapy import AlphapyBot, PluginCog, UserError, escape, fit, has_premium, staff_only, utcnow
from alphapy_reminders import actions, embeds, schedule, store
from alphapy_reminders.delivery import Delivery
from alphapy_reminders.inputs import (
    IMAGE_MAX_BYTES,
    checked_days,
    checked_image_url,
    checked_message,
    checked_name,
    checked_time,
    sniffed_image_type,
)
from alphapy_reminders.render import KeptImage, render, safe_filename
from alphapy_reminders.views import (
    ForgetEventButton,
    ListPageButton,
    event_ack,
    list_page,
    schedule_text,
)

NO_SUCH = actions.NO_SUCH


# ---------------------------------------------------------------------------------------
# The cog
# ---------------------------------------------------------------------------------------

@dataclass
class AnnouncementStats:
    """What the announcement watcher did in this process (health, and tests wait on ``read``)."""

    read: int = 0
    created: int = 0
    moved: int = 0
    removed: int = 0
    ignored: int = 0


class RemindersCog(PluginCog, plugin="reminders"):
    """``/reminder add|list|edit|delete|pause|resume|test`` and the announcement watcher."""

    reminder = staff_only()(app_commands.Group(name="reminder", description="Recurring and event reminders",
                                               guild_only=True))

    def __init__(self, bot: AlphapyBot) -> None:
        super().__init__(bot)
        self.delivery = Delivery(bot)  # its due work is registered by the plugin's startup hook
        self.announcements = AnnouncementStats()
        # dateparser is synchronous and not documented as thread-safe: one worker thread.
        self._dates = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reminders-dates")

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ListPageButton, ForgetEventButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ListPageButton, ForgetEventButton)
        self._dates.shutdown(wait=False, cancel_futures=True)

    # --- helpers ----------------------------------------------------------------------
    async def _tz(self, guild_id: int) -> ZoneInfo:
        return ZoneInfo(await self.bot.settings.get(guild_id, "core", "timezone"))

    async def _limit_for(self, guild_id: int, user_id: int) -> int:
        return await actions.limit_for(self.bot, guild_id, user_id)

    @staticmethod
    async def _answer(interaction: discord.Interaction, content: str) -> None:
        """The ephemeral answer, whether or not the command had to defer (image downloads)."""
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)

    async def _existing(self, interaction: discord.Interaction, reminder_id: int) -> Any:
        assert interaction.guild_id is not None
        return await actions.existing(self.bot.db, interaction.guild_id, reminder_id)

    def _check_channel(self, interaction: discord.Interaction, channel: Any, *, image: bool) -> Any:
        assert isinstance(interaction.user, discord.Member)
        return actions.check_channel(interaction.guild, interaction.user, getattr(channel, "id", 0), image=image)

    def _check_mention(self, interaction: discord.Interaction, role: discord.Role | None,
                       channel: Any) -> int | None:
        assert isinstance(interaction.user, discord.Member)
        return actions.check_mention(interaction.guild, interaction.user, role.id if role is not None else None,
                                     channel)

    async def _read_image(self, interaction: discord.Interaction, image: discord.Attachment | None,
                          image_url: str | None) -> tuple[KeptImage | None, str | None]:
        if image is None and image_url is None:
            return None, None
        if image is not None and image_url is not None:
            raise UserError("Give either an image file or an image URL, not both.")
        assert interaction.guild_id is not None
        if not await has_premium(self.bot, interaction.user.id, interaction.guild_id):
            raise UserError(actions.IMAGES_ARE_PREMIUM)
        if image_url is not None:
            return None, checked_image_url(image_url)
        assert image is not None
        if image.size > IMAGE_MAX_BYTES:
            raise UserError(f"The image is too large: at most {IMAGE_MAX_BYTES // (1024 * 1024)} MB.")
        await interaction.response.defer(ephemeral=True, thinking=True)  # a download may outlast Discord's 3 s
        try:
            data = await image.read()
        except discord.HTTPException:
            raise UserError("I could not download that image; please upload it again.") from None
        content_type = sniffed_image_type(data)
        if content_type is None or len(data) > IMAGE_MAX_BYTES:
            raise UserError("The image must be a PNG, JPEG, GIF or WebP file of at most 8 MB.")
        return KeptImage(safe_filename(image.filename, content_type), content_type, data), None

    # --- /reminder add ------------------------------------------------------------------
    @reminder.command(name="add", description="Add a recurring reminder")
    @app_commands.describe(
        name="What the reminder is called (up to 100 characters)",
        channel="Where it is posted",
        days="Which days: mon,wed,fri · ma,wo,vr · daily · weekdays · weekend · mon-fri",
        time="When it is posted, HH:MM in the server's timezone",
        message="What it says (up to 2,000 characters; \\n for a new line)",
        call_time="The event's own time shown to members, HH:MM (default: the time above)",
        mention="A role to mention (not @everyone; a role that is not mentionable needs Mention Everyone)",
        image="Premium: an image posted with every reminder",
        image_url="Premium: an https:// link to an image instead",
    )
    async def add(
        self, interaction: discord.Interaction, name: str, channel: discord.TextChannel, days: str, time: str,
        message: str, call_time: str | None = None, mention: discord.Role | None = None,
        image: discord.Attachment | None = None, image_url: str | None = None,
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        clean_name, text = checked_name(name), checked_message(message)
        day_list, at = checked_days(days), checked_time(time, "time")
        call = checked_time(call_time, "call time") if call_time is not None else at
        channel = self._check_channel(interaction, channel, image=image is not None)
        role_id = self._check_mention(interaction, mention, channel)
        limit = await self._limit_for(guild_id, interaction.user.id)
        kept, url = await self._read_image(interaction, image, image_url)
        added = await actions.add_recurring(
            self.bot, guild_id, interaction.user.id, name=clean_name, channel_id=channel.id, days=day_list, at=at,
            call_time=call, message=text, mention_role_id=role_id, image_url=url, limit=limit, image=kept)
        reminder_id, fires, tz = added.id, added.fires, added.timezone
        row = {"event_time": None, "days": day_list, "time": at, "call_time": call}
        await self._answer(
            interaction,
            f"Saved reminder `#{reminder_id}` **{escape(clean_name)}**: {schedule_text(row)} ({tz.key}) in "
            f"{channel.mention}. First one: <t:{int(fires.timestamp())}:F>.")

    # --- /reminder list -----------------------------------------------------------------
    @reminder.command(name="list", description="Show this server's reminders")
    @app_commands.describe(page="Which page (10 reminders per page)")
    async def list_(self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 100_000] = 1) -> None:
        assert interaction.guild_id is not None
        embed, view = await list_page(self.bot, interaction.guild_id, page)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    # --- choosing a reminder (autocomplete) -------------------------------------------------
    async def reminder_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.acquire() as conn:
            rows = await store.search(conn, interaction.guild_id, current.lstrip("#")[:100])
        return [app_commands.Choice(name=fit(f"#{r['id']} {r['name']}{' (event)' if r['one_off'] else ''}", 100),
                                    value=r["id"]) for r in rows]

    # --- /reminder edit -----------------------------------------------------------------
    @reminder.command(name="edit", description="Change a reminder")
    @app_commands.autocomplete(reminder=reminder_choices)
    @app_commands.describe(
        reminder="Which reminder (type to search)", name="New name", channel="New channel", days="New days",
        time="New time (HH:MM)", call_time="New call time (HH:MM)", message="New message",
        mention="A role to mention from now on", no_mention="Stop mentioning anyone",
        image="Premium: a new image", image_url="Premium: a new image link", remove_image="Remove the image",
    )
    async def edit(
        self, interaction: discord.Interaction, reminder: app_commands.Range[int, 1, 2_147_483_647],
        name: str | None = None, channel: discord.TextChannel | None = None, days: str | None = None,
        time: str | None = None, call_time: str | None = None, message: str | None = None,
        mention: discord.Role | None = None, no_mention: bool = False, image: discord.Attachment | None = None,
        image_url: str | None = None, remove_image: bool = False,
    ) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        row = await self._existing(interaction, reminder)
        given = [v for v in (name, channel, days, time, call_time, message, mention, image, image_url)
                 if v is not None] + [True for flag in (no_mention, remove_image) if flag]
        if not given:
            raise UserError("Nothing to change: give at least one option besides the reminder.")
        one_off = row["event_time"] is not None
        if one_off and (days is not None or time is not None or call_time is not None):
            raise UserError("This reminder belongs to an announced event: edit the announcement to move it.")
        if mention is not None and no_mention:
            raise UserError("Choose a role to mention or no_mention, not both.")
        if remove_image and (image is not None or image_url is not None):
            raise UserError("Choose a new image or remove_image, not both.")
        new_name = checked_name(name) if name is not None else row["name"]
        new_message = checked_message(message) if message is not None else row["message"]
        day_list = checked_days(days) if days is not None else list(row["days"] or [])
        at = checked_time(time, "time") if time is not None else row["time"]
        call = checked_time(call_time, "call time") if call_time is not None else row["call_time"]
        if channel is not None:
            channel = self._check_channel(interaction, channel, image=image is not None or row["has_image"])
        target = channel or (interaction.guild.get_channel(row["channel_id"]) if interaction.guild else None)
        role_id = None if no_mention else (self._check_mention(interaction, mention, target) if mention is not None
                                           else row["mention_role_id"])
        kept, new_url = await self._read_image(interaction, image, image_url)
        replaces_image = remove_image or kept is not None or new_url is not None
        url = new_url if replaces_image else row["image_url"]

        next_fire = await actions.save_edit(
            self.bot, guild_id, row, name=new_name, message=new_message, days=day_list, at=at, call_time=call,
            channel_id=channel.id if channel is not None else row["channel_id"], mention_role_id=role_id,
            image_url=url, replaces_image=replaces_image, image=kept,
            reschedule=not one_off and (days is not None or time is not None))
        when = f" Next: <t:{int(next_fire.timestamp())}:F>." if next_fire is not None else ""
        await self._answer(interaction, f"Updated reminder `#{reminder}` **{escape(new_name)}**.{when}")

    # --- /reminder delete, pause, resume -----------------------------------------------------
    @reminder.command(name="delete", description="Delete a reminder")
    @app_commands.autocomplete(reminder=reminder_choices)
    @app_commands.describe(reminder="Which reminder (type to search)")
    async def delete(self, interaction: discord.Interaction,
                     reminder: app_commands.Range[int, 1, 2_147_483_647]) -> None:
        assert interaction.guild_id is not None
        deleted = await actions.delete(self.bot.db, interaction.guild_id, reminder)
        await interaction.response.send_message(f"Deleted reminder `#{reminder}` **{escape(deleted['name'])}**.",
                                                ephemeral=True)

    @reminder.command(name="pause", description="Stop a reminder for now (keep it)")
    @app_commands.autocomplete(reminder=reminder_choices)
    @app_commands.describe(reminder="Which reminder (type to search)")
    async def pause(self, interaction: discord.Interaction,
                    reminder: app_commands.Range[int, 1, 2_147_483_647]) -> None:
        assert interaction.guild_id is not None
        row = await actions.pause(self.bot.db, interaction.guild_id, reminder)
        await interaction.response.send_message(
            f"Paused reminder `#{reminder}` **{escape(row['name'])}**. `/reminder resume` starts it again.",
            ephemeral=True)

    @reminder.command(name="resume", description="Start a paused or stopped reminder again")
    @app_commands.autocomplete(reminder=reminder_choices)
    @app_commands.describe(reminder="Which reminder (type to search)")
    async def resume(self, interaction: discord.Interaction,
                     reminder: app_commands.Range[int, 1, 2_147_483_647]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None

        async def check_channel(row: Any) -> None:
            channel = interaction.guild.get_channel(row["channel_id"]) if interaction.guild else None
            if channel is None:
                raise UserError(actions.CHANNEL_GONE.format(id=reminder))
            self._check_channel(interaction, channel, image=row["has_image"])

        done = await actions.resume(self.bot.db, self.bot.settings, guild_id, reminder, check_channel)
        fires = done.fires
        when = f"Next: <t:{int(fires.timestamp())}:F>." if fires else "Its reminder was already sent."
        await interaction.response.send_message(
            f"Resumed reminder `#{reminder}` **{escape(done.row['name'])}**. {when}", ephemeral=True)

    # --- /reminder test -------------------------------------------------------------------
    @reminder.command(name="test", description="Preview a reminder now, visible only to you")
    @app_commands.autocomplete(reminder=reminder_choices)
    @app_commands.describe(reminder="Which reminder (type to search)")
    async def test(self, interaction: discord.Interaction,
                   reminder: app_commands.Range[int, 1, 2_147_483_647]) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None
        row = await self._existing(interaction, reminder)
        tz = await self._tz(guild_id)
        occurrence = row["next_fire_at"] or utcnow()
        show_image = bool(row["created_by"]) and await has_premium(self.bot, row["created_by"], guild_id)
        kept = None
        if show_image and row["has_image"]:
            async with self.bot.db.acquire() as conn:
                image = await store.image_of(conn, guild_id, reminder)
            if image is not None:
                kept = KeptImage(image["filename"], image["content_type"], bytes(image["data"]))
        preview = render(row, tz=tz, occurrence=occurrence, image=kept, show_image=show_image, preview=True)
        kwargs = preview.send_kwargs()
        kwargs["content"] = "Preview (only you see this):" + (f" it will mention {kwargs['content']}"
                                                               if kwargs["content"] else "")
        await interaction.response.send_message(ephemeral=True, **kwargs)

    # --- announcements -----------------------------------------------------------------------
    async def _watched(self, guild_id: int, channel_id: int, parent_id: int | None = None) -> bool:
        watch = await self.setting(guild_id, "watch_channels") or []
        return channel_id in watch or (parent_id is not None and parent_id in watch)

    async def _detect(self, embeds_data: list[dict[str, Any]], tz: ZoneInfo,
                      now: datetime) -> embeds.DetectedEvent | None:
        loop = asyncio.get_running_loop()
        for data in embeds_data[:10]:
            event = await loop.run_in_executor(self._dates, embeds.detect_event, data, tz, now)
            if event is not None:
                return event
        return None

    def _by_me(self, author_id: int) -> bool:
        return self.bot.user is not None and author_id == self.bot.user.id

    @PluginCog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or not message.embeds or self._by_me(message.author.id):
            return
        parent = getattr(message.channel, "parent_id", None)
        if not await self._watched(message.guild.id, message.channel.id, parent):
            return
        await self._announcement(message.guild.id, message.channel.id, message.id, message.author.id,
                                 [dict(e.to_dict()) for e in message.embeds], edited=False)

    @PluginCog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        if payload.guild_id is None or "embeds" not in payload.data:
            return
        message = payload.message
        if self._by_me(message.author.id):
            return
        parent = getattr(message.channel, "parent_id", None)
        if not await self._watched(payload.guild_id, payload.channel_id, parent):
            return
        await self._announcement(payload.guild_id, payload.channel_id, payload.message_id, message.author.id,
                                 [dict(e) for e in payload.data.get("embeds") or []], edited=True)

    @PluginCog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            await self._announcements_gone(payload.guild_id, [payload.message_id])

    @PluginCog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        if payload.guild_id is not None:
            await self._announcements_gone(payload.guild_id, list(payload.message_ids))

    async def _announcement(self, guild_id: int, channel_id: int, message_id: int, author_id: int,
                            embeds_data: list[dict[str, Any]], *, edited: bool) -> None:
        """Create, move or remove the event of one announcement."""
        try:
            await self._read_announcement(guild_id, channel_id, message_id, author_id, embeds_data, edited=edited)
        finally:
            self.announcements.read += 1

    async def _read_announcement(self, guild_id: int, channel_id: int, message_id: int, author_id: int,
                                 embeds_data: list[dict[str, Any]], *, edited: bool) -> None:
        tz = await self._tz(guild_id)
        now = utcnow()
        event = await self._detect(embeds_data, tz, now)
        if event is None or event.starts_at <= now:
            if edited:  # the edit made it unreadable or past: its reminder goes
                why = "it is in the past now" if event is not None else "I cannot read its date and time any more"
                await self._remove_event(guild_id, message_id, why)
            else:
                self.announcements.ignored += 1
                self.log.info("reminders.announcement_ignored", guild_id=guild_id, message_id=message_id,
                              reason="past" if event is not None else "no clear date and time")
            return
        lead = timedelta(minutes=await self.setting(guild_id, "lead_minutes"))
        fires = max(schedule.event_trigger(event.starts_at, lead), now)
        target = await self.setting(guild_id, "event_channel") or channel_id
        role = await self.setting(guild_id, "event_role")
        async with self.bot.db.transaction() as conn:
            existing = await store.event_of(conn, guild_id, message_id)
            if existing is None and await store.same_event_exists(conn, guild_id, event.title, event.starts_at):
                # cross-posted, or another bot reminding of it: one reminder per event (and no ping-pong)
                self.announcements.ignored += 1
                self.log.info("reminders.announcement_ignored", guild_id=guild_id, message_id=message_id,
                              reason="the same event already has a reminder")
                return
            if existing is None and await store.count_for_guild(conn, guild_id) >= await self._limit_for(
                    guild_id, author_id):
                self.announcements.ignored += 1
                self.log.warning("reminders.limit_reached", guild_id=guild_id, message_id=message_id)
                return
            reminder_id, created, moved = await store.upsert_event(
                conn, guild_id=guild_id, origin_channel_id=channel_id, origin_message_id=message_id,
                name=event.title, channel_id=existing["channel_id"] if existing else target,
                event_time=event.starts_at, call_time=schedule.local_time_of(event.starts_at, tz),
                at=schedule.local_time_of(fires, tz), location=event.location, created_by=author_id,
                mention_role_id=role, next_fire_at=fires)
        self.log.info("reminders.event_detected", guild_id=guild_id, message_id=message_id, reminder_id=reminder_id,
                      starts_at=event.starts_at.isoformat(), source=event.source, created=created, moved=moved)
        self.announcements.created += created
        self.announcements.moved += moved
        if created or moved:
            await self._acknowledge(guild_id, channel_id, message_id, reminder_id, event, fires, tz,
                                    ack_id=None if existing is None else existing["ack_message_id"], moved=moved)

    async def _acknowledge(self, guild_id: int, channel_id: int, message_id: int, reminder_id: int,
                           event: embeds.DetectedEvent, fires: datetime, tz: ZoneInfo, *, ack_id: int | None,
                           moved: bool) -> None:
        """Reply briefly under the announcement (or update that reply), so staff see what was read."""
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id)
        embed, view = event_ack(reminder_id, event.title, event.starts_at, fires, event.location, tz, moved=moved)
        none = discord.AllowedMentions.none()
        try:
            if ack_id is not None:
                await channel.get_partial_message(ack_id).edit(embed=embed, view=view, allowed_mentions=none)
                return
            reply = await channel.send(embed=embed, view=view, allowed_mentions=none,
                                       reference=discord.MessageReference(message_id=message_id, channel_id=channel_id,
                                                                          guild_id=guild_id, fail_if_not_exists=False))
        except discord.HTTPException as exc:
            self.log.info("reminders.ack_failed", guild_id=guild_id, message_id=message_id, error=str(exc))
            return
        async with self.bot.db.acquire() as conn:
            await store.set_ack(conn, guild_id, reminder_id, reply.id)

    async def _remove_event(self, guild_id: int, message_id: int, why: str) -> None:
        async with self.bot.db.acquire() as conn:
            gone = await store.delete_by_origin(conn, guild_id, [message_id])
        for row in gone:
            self.announcements.removed += 1
            self.log.info("reminders.event_removed", guild_id=guild_id, reminder_id=row["id"], reason=why)
            if row["ack_message_id"]:
                embed = discord.Embed(title="📅 Reminder removed", colour=0x99AAB5,
                                      description=f"The announcement was edited and {why}.")
                try:
                    await self.bot.get_partial_messageable(row["origin_channel_id"], guild_id=guild_id) \
                        .get_partial_message(row["ack_message_id"]).edit(embed=embed, view=None)
                except discord.HTTPException:
                    pass

    async def _announcements_gone(self, guild_id: int, message_ids: list[int]) -> None:
        async with self.bot.db.acquire() as conn:
            gone = await store.delete_by_origin(conn, guild_id, message_ids)
        for row in gone:
            self.announcements.removed += 1
            self.log.info("reminders.event_removed", guild_id=guild_id, reminder_id=row["id"],
                          reason="announcement deleted")
            if row["ack_message_id"]:
                try:
                    await self.bot.get_partial_messageable(row["origin_channel_id"], guild_id=guild_id) \
                        .get_partial_message(row["ack_message_id"]).delete()
                except discord.HTTPException:
                    pass
