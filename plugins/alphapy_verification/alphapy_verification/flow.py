"""The verification flow: open a private channel, check a screenshot, decide, close.

Status transitions (the ``status`` column), and who makes them::

    pending ──screenshot──▶ verified          (auto mode, the model sure, role granted)
       │                 ├▶ manual_review     (assist/manual mode, model unsure, duplicate)
       │                 └▶ error             (no AI, timeout, malformed answer)
       │
    manual_review / error ──Approve (staff)──▶ verified
                          ──Reject (staff)───▶ closed_manual   (with the staff's reason)
    any open status ──Cancel / member left / channel deleted──▶ closed_manual

A verified ticket goes back to ``manual_review`` if the role cannot be granted. Every
transition is one conditional ``UPDATE`` (see :mod:`store`), so concurrent clicks and
uploads cannot both win. Nothing lives only in memory: buttons carry the ticket id, the
screenshot messages to delete and the channel's closing time are columns.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from alphapy import DueWork, UserError, clip, get_logger, one_line, safe
from alphapy_verification import store
from alphapy_verification.assess import CAUSES, ModelView, ask_model, decide
from alphapy_verification.images import NotAcceptable, Screenshot, check_screenshot, describe_limit

if TYPE_CHECKING:
    from alphapy import AlphapyBot

PLUGIN = "verification"
DUPLICATE_DISTANCE = 25  # bits of 256 (about 10 %): re-encoded or rescaled copies stay well under
NO_PINGS = discord.AllowedMentions.none()


def pings(*, user: int | None = None, role: int | None = None) -> discord.AllowedMentions:
    """Exactly these pings and no others, whatever text follows (names, reasons)."""
    return discord.AllowedMentions(everyone=False, replied_user=False,
                                   users=[discord.Object(user)] if user else False,
                                   roles=[discord.Object(role)] if role else False)
log = get_logger(f"alphapy.plugins.{PLUGIN}")


def _mb(value: int) -> int:
    return value * 1024 * 1024


def _channel_name(member: discord.abc.User) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", member.name.lower()).strip("-")[:40]
    return f"verify-{slug or member.id}"


def duration(seconds: float) -> str:
    """"45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


ROLE_NOT_GIVEN = ("I could not give the verified role, so the verification is back with staff. "
                  "Check that my role is above it and that I may manage roles.")
class Verifications:
    """The flow for one bot; the cog and the buttons call into it."""

    def __init__(self, bot: AlphapyBot) -> None:
        self.bot = bot

    async def setting(self, guild_id: int, key: str) -> Any:
        return await self.bot.settings.get(guild_id, PLUGIN, key)

    # --- opening -------------------------------------------------------------------------
    async def open(self, interaction: discord.Interaction, member: discord.Member, *, by_staff: bool) -> None:
        """Open a verification for ``member`` (``by_staff``: limits do not apply)."""
        guild = member.guild
        role = await self._verified_role(guild)
        you = "You are" if not by_staff else f"{safe(member.display_name, 60)} is"
        if role in member.roles:
            raise UserError(f"{you} already verified here.")
        async with self.bot.db.acquire() as conn:
            existing = await store.open_ticket_of(conn, guild.id, member.id)
            if existing is not None:
                raise UserError(f"{'You already have' if not by_staff else 'There is already'} "
                                f"a verification open: <#{existing['channel_id']}>.")
            if not by_staff:
                await self._check_limits(conn, guild.id, member.id)

        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = await self._create_channel(member)
        async with self.bot.db.acquire() as conn:
            ticket_id = await store.open_ticket(conn, guild.id, member.id, channel.id, interaction.user.id)
        if ticket_id is None:  # a second click won the race
            await self._delete_channel(channel)
            raise UserError("A verification is already open; see the channel I made for it.")
        log.info("verification.opened", ticket_id=ticket_id, guild_id=guild.id, user_id=member.id,
                 by_staff=by_staff)
        await self._post_intro(channel, member, ticket_id)
        await interaction.followup.send(f"Your verification channel is ready: {channel.mention}" if not by_staff
                                        else f"Opened a verification for {member.mention}: {channel.mention}",
                                        ephemeral=True, allowed_mentions=NO_PINGS)

    async def _verified_role(self, guild: discord.Guild) -> discord.Role:
        role_id = await self.setting(guild.id, "verified_role")
        role = guild.get_role(role_id) if role_id else None
        if role is None:
            raise UserError("Verification is not set up in this server yet: staff need to set "
                            "`verification.verified_role` (see `/settings set`).")
        return role

    async def _check_limits(self, conn: Any, guild_id: int, user_id: int) -> None:
        limit = await self.setting(guild_id, "max_attempts")
        if await store.attempts(conn, guild_id, user_id) >= limit:
            raise UserError(f"You have used all {limit} verification attempts in this server. "
                            "Please ask a staff member, who can open one for you.")
        rejected_at = await store.last_rejection(conn, guild_id, user_id)
        cooldown = timedelta(minutes=await self.setting(guild_id, "cooldown_minutes"))
        if rejected_at is not None and rejected_at + cooldown > datetime.now(UTC):
            again = int((rejected_at + cooldown).timestamp())
            raise UserError(f"Your last verification was rejected. You can try again <t:{again}:R>.")

    async def _create_channel(self, member: discord.Member) -> discord.TextChannel:
        guild = member.guild
        allow_talk = discord.PermissionOverwrite(view_channel=True, send_messages=True, read_message_history=True,
                                                 attach_files=True)
        overwrites: dict[Any, discord.PermissionOverwrite] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            member: allow_talk,
            guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True, read_message_history=True,
                                                  attach_files=True, embed_links=True, manage_messages=True),
        }
        staff_role = guild.get_role(await self.setting(guild.id, "staff_role") or 0)
        if staff_role is not None:
            overwrites[staff_role] = allow_talk
        category_id = await self.setting(guild.id, "category")
        category = guild.get_channel(category_id) if category_id else None
        try:
            return await guild.create_text_channel(
                _channel_name(member), overwrites=overwrites,
                category=category if isinstance(category, discord.CategoryChannel) else None,
                reason=f"verification of member {member.id}",
            )
        except discord.Forbidden:
            raise UserError("I cannot create the private channel: I need the Manage Channels and "
                            "Manage Roles permissions (in the verification category too).") from None
        except discord.HTTPException as exc:  # e.g. the category holds 50 channels already
            log.warning("verification.channel_failed", guild_id=guild.id, status=exc.status, code=exc.code)
            raise UserError("I could not create your private channel just now (the verification category "
                            "may be full). Please try again later, or tell staff.") from None

    async def _post_intro(self, channel: discord.TextChannel, member: discord.Member, ticket_id: int) -> None:
        from alphapy_verification.views import intro_view

        guild_id = member.guild.id
        mode = await self.setting(guild_id, "mode")
        limit = describe_limit(_mb(await self.setting(guild_id, "max_image_mb")))
        checker = ("Staff will check it." if mode == "manual" else
                   "An AI model reads it first to help staff" + (" (or to verify you at once)" if mode == "auto"
                                                                 else "") + ".")
        embed = discord.Embed(title="What to send", description=clip(await self.setting(guild_id, "instructions"), 4000),
                              colour=discord.Colour.blurple())
        embed.add_field(name="How", value=(
            f"Upload **one screenshot** here (PNG, JPEG or WebP, up to {limit}). {checker} "
            "Cover what you do not want to share, such as card numbers; I never keep the image."), inline=False)
        await channel.send(
            f"{member.mention}, this is your private verification channel: only you, staff and I can see it.",
            embed=embed, view=intro_view(ticket_id), allowed_mentions=pings(user=member.id),
        )

    # --- a screenshot --------------------------------------------------------------------
    async def on_upload(self, message: discord.Message) -> None:
        """A message with attachments: act if it is a member's upload in their ticket channel."""
        assert message.guild is not None
        async with self.bot.db.acquire() as conn:
            ticket = await store.ticket_in_channel(conn, message.guild.id, message.channel.id)
        if ticket is None or ticket["user_id"] != message.author.id or ticket["status"] not in store.OPEN:
            return
        guild_id = message.guild.id
        if len(message.attachments) > 1:
            await self._discard(message, "Please send one screenshot per message.")
            return
        max_bytes = _mb(await self.setting(guild_id, "max_image_mb"))
        attachment = message.attachments[0]
        try:
            if attachment.size > max_bytes:  # refused before downloading anything
                raise NotAcceptable(f"That file is too large: screenshots can be up to {describe_limit(max_bytes)}.")
            screenshot = await asyncio.to_thread(check_screenshot, await attachment.read(), max_bytes)
        except NotAcceptable as refusal:
            log.info("verification.upload_refused", ticket_id=ticket["id"], guild_id=guild_id, size=attachment.size)
            await self._discard(message, str(refusal))
            return
        except discord.HTTPException:
            await self._discard(message, "I could not download that file. Please send it again.")
            return
        if ticket["status"] != "pending":
            await self._add_for_staff(message, ticket, screenshot)
            return
        async with self.bot.db.acquire() as conn:
            claimed = await store.claim_for_processing(conn, guild_id, ticket["id"])
        if not claimed:
            await self._discard(message, "I am still checking your previous screenshot; please wait for my answer.")
            return
        try:
            await self._check(message, ticket, screenshot)
        finally:
            async with self.bot.db.acquire() as conn:
                await store.release_processing(conn, guild_id, ticket["id"])

    async def _discard(self, message: discord.Message, sentence: str) -> None:
        """Refuse an upload: say why, and remove it (it may show payment details)."""
        await message.reply(sentence, mention_author=False, allowed_mentions=NO_PINGS)
        if await self.setting(message.guild.id, "delete_screenshots"):  # type: ignore[union-attr]
            await self._delete_messages(message.channel, [message.id])

    async def _remember(self, conn: Any, message: discord.Message, ticket: Any, screenshot: Screenshot) -> int | None:
        """Keep the hash and the message id; return another member who sent the same picture."""
        guild_id = ticket["guild_id"]
        other = await store.near_duplicate(conn, guild_id, ticket["user_id"], screenshot.dhash, DUPLICATE_DISTANCE)
        await store.add_hash(conn, guild_id, ticket["user_id"], ticket["id"], screenshot.dhash)
        await store.add_evidence(conn, guild_id, ticket["id"], message.id)
        return other

    async def _check(self, message: discord.Message, ticket: Any, screenshot: Screenshot) -> None:
        guild_id = ticket["guild_id"]
        async with self.bot.db.transaction() as conn:
            duplicate_of = await self._remember(conn, message, ticket, screenshot)
        mode = await self.setting(guild_id, "mode")
        view: ModelView | None = None
        if mode != "manual":
            async with message.channel.typing():
                view = await ask_model(self.bot.ai, await self.setting(guild_id, "instructions"), screenshot.for_model)
        decision = decide(mode, view, duplicate=duplicate_of is not None)
        assessment = view.assessment if view else None
        reason = (one_line(assessment.reason) if assessment
                  else CAUSES[view.failure] if view and view.failure else None)
        outcome = store.Outcome(decision.status, decision.cause,
                                assessment.can_verify if assessment else None,
                                assessment.needs_manual_review if assessment else None,
                                reason, duplicate_of)
        async with self.bot.db.transaction() as conn:
            row = await store.record_outcome(conn, guild_id, ticket["id"], outcome)
        if row is None:
            return  # cancelled meanwhile
        log.info("verification.checked", ticket_id=row["id"], guild_id=guild_id, status=row["status"],
                 cause=row["review_cause"], image_format=screenshot.format, duplicate=duplicate_of is not None)
        if row["status"] == "verified":
            await self._grant(message.channel, row, decided_by=None)
        else:
            await self._send_to_staff(message.channel, row)

    async def _add_for_staff(self, message: discord.Message, ticket: Any, screenshot: Screenshot) -> None:
        async with self.bot.db.transaction() as conn:
            duplicate_of = await self._remember(conn, message, ticket, screenshot)
        note = " It closely matches a screenshot another member sent." if duplicate_of else ""
        await message.reply(f"Added for the staff's review.{note}", mention_author=False, allowed_mentions=NO_PINGS)

    # --- outcomes ------------------------------------------------------------------------
    async def _grant(self, channel: Any, row: Any, *, decided_by: int | None) -> bool:
        """Give the verified role; on failure the ticket goes (back) to staff. True if granted."""
        guild = self.bot.get_guild(row["guild_id"])
        member = guild.get_member(row["user_id"]) if guild else None
        if member is None and guild is not None:
            try:
                member = await guild.fetch_member(row["user_id"])
            except discord.HTTPException:
                member = None
        role_id = await self.setting(row["guild_id"], "verified_role")
        role = guild.get_role(role_id) if guild and role_id else None
        try:
            if member is None or role is None:
                raise LookupError("member or role missing")
            await member.add_roles(role, reason=f"verification #{row['id']}")
        except (discord.HTTPException, LookupError) as exc:
            log.warning("verification.role_failed", ticket_id=row["id"], guild_id=row["guild_id"],
                        error=type(exc).__name__)
            async with self.bot.db.acquire() as conn:
                back = await store.to_review(conn, row["guild_id"], row["id"], "role_failed")
            if back is not None:
                await self._send_to_staff(channel, back)
            return False
        delay = await self.setting(row["guild_id"], "close_delay_seconds")
        await self._clear_evidence(channel, row)
        by = f" by <@{decided_by}>" if decided_by else ""
        await channel.send(f"✅ <@{row['user_id']}>, you are verified{by} and have the **{safe(role.name, 80)}** role. "
                           f"This channel closes in {duration(delay)}.",
                           allowed_mentions=pings(user=row["user_id"]))
        await self._schedule_close(row, delay)
        log.info("verification.verified", ticket_id=row["id"], guild_id=row["guild_id"],
                 decision=row["decision"], decided_by=decided_by)
        return True

    async def _schedule_close(self, row: Any, delay: float) -> None:
        """Always the last step: with no delay the channel goes at once."""
        async with self.bot.db.transaction() as conn:
            await store.schedule_close(conn, row["guild_id"], row["id"], delay)

    async def _send_to_staff(self, channel: Any, row: Any) -> None:
        from alphapy_verification.views import review_embed, review_view

        staff_role_id = await self.setting(row["guild_id"], "staff_role")
        ping = f"<@&{staff_role_id}>" if staff_role_id else "Staff"
        message = await channel.send(
            f"{ping}: verification #{row['id']} of <@{row['user_id']}> needs your decision. "
            f"<@{row['user_id']}>, staff will answer here.",
            embed=review_embed(row), view=review_view(row["id"]),
            allowed_mentions=pings(role=staff_role_id),
        )
        async with self.bot.db.acquire() as conn:
            await store.set_review_message(conn, row["guild_id"], row["id"], message.id)
        log.info("verification.to_staff", ticket_id=row["id"], guild_id=row["guild_id"], status=row["status"],
                 cause=row["review_cause"])

    async def _clear_evidence(self, channel: Any, row: Any) -> None:
        async with self.bot.db.acquire() as conn:
            ids = await store.take_evidence(conn, row["guild_id"], row["id"])
        if ids and await self.setting(row["guild_id"], "delete_screenshots"):
            await self._delete_messages(channel, ids)

    @staticmethod
    async def _delete_messages(channel: Any, ids: list[int]) -> None:
        for message_id in ids:
            try:
                await channel.get_partial_message(message_id).delete()
            except discord.NotFound:
                pass
            except discord.HTTPException as exc:
                log.warning("verification.delete_failed", channel_id=channel.id, error=type(exc).__name__)

    # --- staff decisions -----------------------------------------------------------------
    # A button checks the person's access first (``_staff_ticket``); the dashboard's page is
    # opened to the same staff by the core. Both then go through ``decidable`` and the
    # ``resolve_*`` / ``announce_*`` steps below, so the rules, sentences and messages match.
    async def _staff_ticket(self, interaction: discord.Interaction, ticket_id: int, verb: str) -> Any:
        """The ticket a staff member acts on, after every refusal a button needs."""
        assert interaction.guild is not None
        try:
            await self.bot.gate.check_access(interaction, "staff", PLUGIN)
        except discord.app_commands.CheckFailure:
            raise UserError(f"Only staff can {verb} verifications.") from None
        return await self.decidable(interaction.guild.id, ticket_id, interaction.user.id)

    async def decidable(self, guild_id: int, ticket_id: int, staff_id: int) -> Any:
        """The ticket, if this staff member may decide it now (not their own, not decided yet)."""
        async with self.bot.db.acquire() as conn:
            row = await store.ticket(conn, guild_id, ticket_id)
        if row is None:
            raise UserError("That verification does not exist in this server.")
        if row["user_id"] == staff_id:
            raise UserError("You cannot decide your own verification; another staff member has to.")
        if row["status"] not in store.WITH_STAFF:
            raise UserError(f"Verification #{row['id']} is already decided ({row['status'].replace('_', ' ')}).")
        return row

    def ticket_channel(self, row: Any) -> Any:
        """The private channel of a ticket, to write in without having it in the cache."""
        return self.bot.get_partial_messageable(row["channel_id"], guild_id=row["guild_id"])

    async def approve_as(self, guild_id: int, ticket_id: int, staff_id: int, channel: Any) -> tuple[Any, bool]:
        """Approve and give the role; (the row, whether the role was given: if not, it is back with staff)."""
        async with self.bot.db.transaction() as conn:
            row = await store.resolve(conn, guild_id, ticket_id, status="verified", decision="approved",
                                      decided_by=staff_id, from_statuses=store.WITH_STAFF)
        if row is None:
            raise UserError("Someone else decided this verification a moment ago.")
        return row, await self._grant(channel, row, decided_by=staff_id)

    async def approve(self, interaction: discord.Interaction, ticket_id: int) -> None:
        from alphapy_verification.views import decided_embed

        await self._staff_ticket(interaction, ticket_id, "approve")
        assert interaction.guild_id is not None  # _staff_ticket refused anything else
        await interaction.response.defer()
        assert interaction.guild_id is not None
        row, granted = await self.approve_as(interaction.guild_id, ticket_id, interaction.user.id,
                                             interaction.channel)
        if granted:
            await interaction.edit_original_response(embed=decided_embed(row, "Approved", interaction.user.id),
                                                     view=None)
        else:
            await interaction.followup.send(ROLE_NOT_GIVEN, ephemeral=True)

    async def start_reject(self, interaction: discord.Interaction, ticket_id: int) -> None:
        from alphapy_verification.views import reject_form

        await self._staff_ticket(interaction, ticket_id, "reject")
        await interaction.response.send_modal(reject_form(ticket_id))

    async def resolve_reject(self, guild_id: int, ticket_id: int, staff_id: int, reason: str) -> Any:
        """Record the rejection (the reason on one line, personal data as the member wrote it is theirs)."""
        staff_reason = one_line(reason, limit=500) or "No reason given."
        async with self.bot.db.transaction() as conn:
            row = await store.resolve(conn, guild_id, ticket_id, status="closed_manual",
                                      decision="rejected", decided_by=staff_id,
                                      from_statuses=store.WITH_STAFF, staff_reason=staff_reason)
        if row is None:
            raise UserError("Someone else decided this verification a moment ago.")
        log.info("verification.rejected", ticket_id=row["id"], guild_id=row["guild_id"], decided_by=staff_id)
        return row

    async def announce_reject(self, channel: Any, row: Any, staff_id: int, guild_name: str) -> None:
        """Tell the channel and the member, mark the review message decided, schedule the closing."""
        from alphapy_verification.views import decided_embed

        staff_reason = row["staff_reason"]
        delay = await self.setting(row["guild_id"], "close_delay_seconds")
        await self._clear_evidence(channel, row)
        if row["review_message_id"]:
            try:
                await channel.get_partial_message(row["review_message_id"]).edit(
                    embed=decided_embed(row, "Rejected", staff_id), view=None)
            except discord.HTTPException:
                pass
        cooldown = await self.setting(row["guild_id"], "cooldown_minutes")
        again = f" You can try again in {duration(cooldown * 60)}." if cooldown else ""
        text = f"❌ <@{row['user_id']}>, your verification was not accepted: {safe(staff_reason, 500)}.{again}"
        await channel.send(f"{text} This channel closes in {duration(delay)}.",
                           allowed_mentions=pings(user=row["user_id"]))
        await self._tell_member(row, f"Your verification in **{safe(guild_name, 80)}** was not "
                                     f"accepted: {safe(staff_reason, 500)}.{again}")
        await self._schedule_close(row, delay)

    async def reject(self, interaction: discord.Interaction, ticket_id: int, reason: str) -> None:
        await self._staff_ticket(interaction, ticket_id, "reject")
        assert interaction.guild is not None
        row = await self.resolve_reject(interaction.guild.id, ticket_id, interaction.user.id, reason)
        await interaction.response.send_message(f"Rejected verification #{row['id']}.", ephemeral=True)
        await self.announce_reject(interaction.channel, row, interaction.user.id, interaction.guild.name)

    async def cancel(self, interaction: discord.Interaction, ticket_id: int) -> None:
        assert interaction.guild is not None
        async with self.bot.db.acquire() as conn:
            row = await store.ticket(conn, interaction.guild.id, ticket_id)
        if row is None:
            raise UserError("That verification does not exist in this server.")
        if row["user_id"] != interaction.user.id:
            try:
                await self.bot.gate.check_access(interaction, "staff", PLUGIN)
            except discord.app_commands.CheckFailure:
                raise UserError("Only the member or staff can cancel this verification.") from None
        delay = await self.setting(interaction.guild.id, "close_delay_seconds")
        async with self.bot.db.transaction() as conn:
            row = await store.resolve(conn, interaction.guild.id, ticket_id, status="closed_manual",
                                      decision="cancelled", decided_by=interaction.user.id,
                                      from_statuses=store.OPEN)
        if row is None:
            raise UserError("This verification is already closed.")
        log.info("verification.cancelled", ticket_id=row["id"], guild_id=row["guild_id"])
        await interaction.response.edit_message(view=None)
        await self._clear_evidence(interaction.channel, row)
        await interaction.followup.send(f"Verification cancelled. This channel closes in {duration(delay)}.")
        await self._schedule_close(row, delay)

    async def _tell_member(self, row: Any, text: str) -> None:
        user = self.bot.get_user(row["user_id"])
        if user is None:
            return
        try:
            await user.send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            pass  # DMs closed: the channel said it too

    # --- events ---------------------------------------------------------------------------
    async def member_left(self, member: discord.Member) -> None:
        delay = await self.setting(member.guild.id, "close_delay_seconds")
        async with self.bot.db.transaction() as conn:
            row = await store.cancel_open(conn, member.guild.id, member.id, delay)
        if row is not None:
            log.info("verification.cancelled", ticket_id=row["id"], guild_id=row["guild_id"], cause="member_left")

    async def channel_deleted(self, channel: discord.abc.GuildChannel) -> None:
        async with self.bot.db.acquire() as conn:
            row = await store.channel_deleted(conn, channel.guild.id, channel.id)
        if row is not None and row["decision"] == "cancelled" and row["decided_by"] is None:
            log.info("verification.cancelled", ticket_id=row["id"], guild_id=row["guild_id"], cause="channel_deleted")

    # --- closing channels ------------------------------------------------------------------
    def due_work(self) -> DueWork:
        return DueWork(name="verification.close", claim=store.claim_closing, next_due=store.next_closing,
                       handle=self._close_channels, channel=store.CLOSE_CHANNEL, batch_size=50, poll_interval=300)

    async def _close_channels(self, rows: list[Any]) -> None:
        for row in rows:
            try:
                # By id, not through the cache: after a restart the cache may not hold it yet.
                await self.bot.http.delete_channel(row["channel_id"], reason=f"verification #{row['id']} closed")
            except discord.NotFound:
                pass
            except discord.Forbidden:
                log.warning("verification.close_forbidden", ticket_id=row["id"], guild_id=row["guild_id"])
            except discord.HTTPException as exc:
                log.warning("verification.close_failed", ticket_id=row["id"], guild_id=row["guild_id"],
                            error=type(exc).__name__)
                continue  # left claimed: tried again when the lease ends
            async with self.bot.db.acquire() as conn:
                await store.mark_closed(conn, row["guild_id"], row["id"])

    async def _delete_channel(self, channel: discord.TextChannel) -> None:
        try:
            await channel.delete(reason="duplicate verification channel")
        except discord.HTTPException:
            log.warning("verification.delete_channel_failed", channel_id=channel.id)
