"""The help desk: a ticket's whole life, whichever way a change arrives.

A button, a form, a member's message, a member leaving, the auto-close timer: every path
calls the same method here, which checks who may do it, changes the row with one guarded
UPDATE (:mod:`alphapy_tickets.store`) and then tells the channel. Discord calls that only
inform (a note, the control message's new buttons) are best effort: the database is the
truth, and a missing permission there is logged, never turned into a lost change.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from alphapy import MESSAGE_CONTENT, UserError, fit, get_logger
from alphapy_tickets import channels, embeds, store, summary, transcript
from alphapy_tickets.lifecycle import TRANSITIONS, Status, Ticket, refusal
from alphapy_tickets.views import DESCRIPTION_MAX, REASON_MAX, control_view

if TYPE_CHECKING:
    from alphapy import AlphapyBot

log = get_logger("alphapy.plugins.tickets")

PLUGIN = "tickets"
NO_PINGS = discord.AllowedMentions.none()
SUMMARY_WAIT = 20.0  # archive waits this long for a summary still being written

@dataclass(frozen=True)
class DeskSettings:
    """The guild's tickets.* settings, read together (each read is a cache hit)."""

    category: int | None
    overflow_category: int | None
    staff_role: int | None
    escalation_role: int | None
    log_channel: int | None
    ai_summaries: bool
    max_open_per_user: int
    cooldown_minutes: int
    autoclose_hours: int
    core_staff_role: int | None


def clean_text(text: str | None, *, limit: int, what: str, required: bool) -> str | None:
    """Member-written text as it is stored: trimmed, no control characters (PostgreSQL refuses
    NUL), within ``limit``; empty means None, or a refusal when ``required``."""
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in (text or "")).strip()
    if not cleaned:
        if required:
            raise UserError(f"Please write a {what}: it cannot be empty.")
        return None
    if len(cleaned) > limit:
        raise UserError(f"The {what} is too long ({len(cleaned):,} characters; at most {limit:,}).")
    return cleaned


class TicketDesk:
    def __init__(self, bot: AlphapyBot) -> None:
        self.bot = bot
        self._summaries: dict[int, asyncio.Task[None]] = {}

    # --- settings and people --------------------------------------------------------------
    async def settings(self, guild_id: int) -> DeskSettings:
        get = self.bot.settings.get
        return DeskSettings(
            category=await get(guild_id, PLUGIN, "category"),
            overflow_category=await get(guild_id, PLUGIN, "overflow_category"),
            staff_role=await get(guild_id, PLUGIN, "staff_role"),
            escalation_role=await get(guild_id, PLUGIN, "escalation_role"),
            log_channel=await get(guild_id, PLUGIN, "log_channel"),
            ai_summaries=await get(guild_id, PLUGIN, "ai_summaries"),
            max_open_per_user=await get(guild_id, PLUGIN, "max_open_per_user"),
            cooldown_minutes=await get(guild_id, PLUGIN, "cooldown_minutes"),
            autoclose_hours=await get(guild_id, PLUGIN, "autoclose_hours"),
            core_staff_role=await get(guild_id, "core", "staff_role"),
        )

    async def is_staff(self, member: discord.Member) -> bool:
        return await self.bot.gate.is_staff(member, PLUGIN)

    async def authorise(self, action: str, actor: discord.Member, ticket: Ticket | None = None) -> None:
        """Refuse ``actor`` unless :data:`TRANSITIONS` lets them take ``action`` (on ``ticket``)."""
        rule = TRANSITIONS[action]
        if rule.who == "staff" and not await self.is_staff(actor):
            raise UserError(f"Only staff can {rule.staff_task}.")
        if rule.who == "staff_or_owner":
            assert ticket is not None
            if actor.id != ticket.user_id and not await self.is_staff(actor):
                raise UserError(f"Only staff or the member who opened ticket #{ticket.id} can {action} it.")

    async def _why(self, conn: Any, action: str, guild_id: int, ticket_id: int) -> str:
        ticket = await store.get(conn, guild_id, ticket_id)
        return f"There is no ticket #{ticket_id} in this server." if ticket is None else refusal(action, ticket)

    async def get(self, guild_id: int, ticket_id: int) -> Ticket:
        async with self.bot.db.acquire() as conn:
            ticket = await store.get(conn, guild_id, ticket_id)
        if ticket is None:
            raise UserError(f"There is no ticket #{ticket_id} in this server.")
        return ticket

    def channel_of(self, ticket: Ticket) -> discord.TextChannel | None:
        guild = self.bot.get_guild(ticket.guild_id)
        channel = guild.get_channel(ticket.channel_id) if guild and ticket.channel_id else None
        return channel if isinstance(channel, discord.TextChannel) else None

    # --- opening ------------------------------------------------------------------------
    async def check_can_open(self, member: discord.Member) -> None:
        """The limits, read without a lock: to refuse before showing the form (re-checked on submit)."""
        config = await self.settings(member.guild.id)
        async with self.bot.db.acquire() as conn:
            open_channels, last = await store.member_open_channels(conn, member.guild.id, member.id)
        cooldown = timedelta(minutes=config.cooldown_minutes)
        retry_at = last + cooldown if last is not None and cooldown else None
        if retry_at is not None and retry_at <= discord.utils.utcnow():
            retry_at = None
        self._refuse_over_limit(open_channels, config.max_open_per_user, retry_at)

    @staticmethod
    def _refuse_over_limit(open_channels: list[int | None], max_open: int, retry_at: Any) -> None:
        if len(open_channels) >= max_open:
            where = ", ".join(f"<#{c}>" if c else "(being opened)" for c in open_channels)
            if max_open == 1:
                raise UserError(f"You already have an open ticket: {where}. Please continue there.")
            raise UserError(f"You already have {len(open_channels)} open tickets, the most this server "
                            f"allows: {where}.")
        if retry_at is not None:
            raise UserError(f"You opened a ticket a moment ago. You can open another one {embeds.stamp(retry_at)}.")

    async def open(self, member: discord.Member, description: str | None) -> tuple[Ticket, discord.TextChannel]:
        """Record the ticket, create its private channel, post the control message."""
        text = clean_text(description, limit=DESCRIPTION_MAX, what="description", required=True)
        assert text is not None
        guild = member.guild
        config = await self.settings(guild.id)
        async with self.bot.db.acquire() as conn:
            attempt = await store.open_ticket(
                conn, guild_id=guild.id, user_id=member.id, username=member.name, description=text,
                max_open=config.max_open_per_user, cooldown=timedelta(minutes=config.cooldown_minutes))
        if attempt.ticket is None:
            self._refuse_over_limit(attempt.open_channels, config.max_open_per_user, attempt.retry_at)
        ticket = attempt.ticket
        assert ticket is not None
        placement = channels.Placement(
            category_ids=tuple(c for c in (config.category, config.overflow_category) if c),
            staff_role_ids=tuple(r for r in (config.staff_role, config.core_staff_role) if r))
        try:
            channel = await channels.create(guild, member, ticket, placement)
        except BaseException:
            await store.discard_unopened(self.bot.db, ticket.id, guild.id)
            raise
        staff = guild.get_role(config.staff_role or config.core_staff_role or 0)
        try:
            control = await channel.send(
                f"{member.mention}, thank you: staff will answer here."
                + (f" {staff.mention}" if staff is not None else ""),
                embed=embeds.control_embed(ticket), view=control_view(ticket),
                allowed_mentions=discord.AllowedMentions(everyone=False, users=[member],
                                                         roles=[staff] if staff is not None else False))
        except discord.HTTPException:
            await store.discard_unopened(self.bot.db, ticket.id, guild.id)
            await self._delete_quietly(channel, "the ticket could not be set up")
            raise UserError("I created the ticket channel but could not post in it (check my permissions "
                            "there). Please tell the server staff.") from None
        ticket = await store.attach_channel(self.bot.db, ticket.id, guild.id, channel.id, control.id)
        log.info("tickets.opened", ticket_id=ticket.id, guild_id=guild.id, channel_id=channel.id)
        return ticket, channel

    # --- the transitions (each: who may, one guarded UPDATE, the refusal) ------------------
    async def claim(self, actor: discord.Member, ticket_id: int) -> Ticket:
        await self.authorise("claim", actor)
        async with self.bot.db.acquire() as conn:
            ticket = await store.claim(conn, ticket_id, actor.guild.id, actor.id)
            if ticket is None:
                raise UserError(await self._why(conn, "claim", actor.guild.id, ticket_id))
        log.info("tickets.claimed", ticket_id=ticket_id, guild_id=actor.guild.id, by=actor.id)
        return ticket

    async def ask_member(self, actor: discord.Member, ticket_id: int) -> Ticket:
        await self.authorise("ask", actor)
        hours = await self.bot.settings.get(actor.guild.id, PLUGIN, "autoclose_hours")
        async with self.bot.db.acquire() as conn:
            ticket = await store.ask_member(conn, ticket_id, actor.guild.id, actor.id,
                                            timedelta(hours=hours) if hours else None)
            if ticket is None:
                raise UserError(await self._why(conn, "ask", actor.guild.id, ticket_id))
        log.info("tickets.waiting", ticket_id=ticket_id, guild_id=actor.guild.id, by=actor.id)
        return ticket

    async def escalate(self, actor: discord.Member, ticket_id: int) -> Ticket:
        await self.authorise("escalate", actor)
        role_id = await self.bot.settings.get(actor.guild.id, PLUGIN, "escalation_role")
        if role_id is None or actor.guild.get_role(role_id) is None:
            raise UserError("No escalation role is set here. A server manager can choose one with "
                            "`/settings set setting:tickets.escalation_role`.")
        async with self.bot.db.acquire() as conn:
            ticket = await store.escalate(conn, ticket_id, actor.guild.id, actor.id, role_id)
            if ticket is None:
                raise UserError(await self._why(conn, "escalate", actor.guild.id, ticket_id))
        log.info("tickets.escalated", ticket_id=ticket_id, guild_id=actor.guild.id, by=actor.id, role_id=role_id)
        return ticket

    async def close(self, actor: discord.Member | None, guild_id: int, ticket_id: int, reason: str | None, *,
                    only_from: list[str] | None = None) -> Ticket | None:
        """Close (``actor`` None: the bot itself). Returns None for the bot when the guard
        did not match (the member answered in time, somebody else closed it)."""
        if actor is not None:
            await self.authorise("close", actor, await self.get(guild_id, ticket_id))
        async with self.bot.db.acquire() as conn:
            ticket = await store.close(conn, ticket_id, guild_id, actor.id if actor else None, reason, only_from)
            if ticket is None:
                if actor is None:
                    return None
                raise UserError(await self._why(conn, "close", guild_id, ticket_id))
        log.info("tickets.closed", ticket_id=ticket_id, guild_id=guild_id, by=actor.id if actor else None)
        await self.after_close(ticket, actor)
        return ticket

    async def member_replied(self, message: discord.Message) -> None:
        """A member's message in their own ticket that waits for them: back to the staff member."""
        assert message.guild is not None
        async with self.bot.db.acquire() as conn:
            ticket = await store.member_replied(conn, message.channel.id, message.guild.id, message.author.id)
        if ticket is None:
            return
        owner = f" <@{ticket.claimed_by}>, over to you." if ticket.claimed_by else ""
        await self.say(ticket, f"↩️ {message.author.mention} answered.{owner}",
                       discord.AllowedMentions(users=[discord.Object(ticket.claimed_by)] if ticket.claimed_by else False))
        await self.refresh(ticket)

    async def member_left(self, guild_id: int, user_id: int) -> list[Ticket]:
        async with self.bot.db.acquire() as conn:
            tickets = await store.active_of_member(conn, guild_id, user_id)
        closed = []
        for ticket in tickets:
            done = await self.close(None, guild_id, ticket.id, "The member left the server.")
            if done is not None:
                closed.append(done)
        return closed

    async def autoclose(self, rows: list[Any]) -> None:
        """The scheduler's handler: close tickets whose member did not answer in time."""
        for row in rows:
            if not await self.bot.settings.is_enabled(row["guild_id"], PLUGIN):
                continue  # switched off here: the ticket simply stays waiting
            await self.close(None, row["guild_id"], row["id"], "The member did not answer in time.",
                             only_from=[str(Status.WAITING)])

    # --- archiving ----------------------------------------------------------------------
    async def archive(self, actor: discord.Member, ticket_id: int) -> tuple[Ticket, discord.Message]:
        """Mark archived, post the HTML transcript to the log channel; undo the mark if it fails.

        The channel itself is deleted afterwards by :meth:`remove_channel`, once the staff
        member has been told where the transcript is."""
        await self.authorise("archive", actor)
        guild = actor.guild
        log_channel_id = await self.bot.settings.get(guild.id, PLUGIN, "log_channel")
        log_channel = guild.get_channel(log_channel_id) if log_channel_id else None
        if not isinstance(log_channel, discord.TextChannel):
            raise UserError("Set a log channel first (`tickets.log_channel`): the transcript is posted there "
                            "before the ticket's channel is deleted.")
        mine = log_channel.permissions_for(guild.me)
        if not (mine.view_channel and mine.send_messages and mine.attach_files):
            raise UserError(f"I cannot post the transcript in {log_channel.mention}: I need View Channel, "
                            "Send Messages and Attach Files there.")
        pending = self._summaries.get(ticket_id)
        if pending is not None:
            await asyncio.wait({pending}, timeout=SUMMARY_WAIT)
        async with self.bot.db.acquire() as conn:
            ticket = await store.archive(conn, ticket_id, guild.id, actor.id)
            if ticket is None:
                raise UserError(await self._why(conn, "archive", guild.id, ticket_id))
        try:
            posted = await self._post_transcript(ticket, log_channel)
        except BaseException as exc:
            await store.unarchive(self.bot.db, ticket_id, guild.id, actor.id)
            if isinstance(exc, discord.HTTPException):
                raise UserError(f"I could not post the transcript in {log_channel.mention} ({exc.text or exc.status}). "
                                "The ticket stays closed and nothing was deleted.") from None
            raise
        log.info("tickets.archived", ticket_id=ticket_id, guild_id=guild.id, by=actor.id)
        return ticket, posted

    async def transcript_page(self, ticket: Ticket, guild: discord.Guild) -> tuple[str, int]:
        """The HTML transcript of the ticket's channel as it is now, and how many messages it holds
        (the archive posts it; the dashboard shows it while the channel still exists)."""
        lines, truncated = await self.history(ticket)
        names = {m.id: m.name for m in (guild.get_member(i) for i in (ticket.claimed_by, ticket.closed_by,
                                                                       ticket.archived_by) if i) if m}
        timezone = await self.bot.settings.get(guild.id, "core", "timezone")
        return transcript.render(ticket, guild_name=guild.name, lines=lines, timezone=timezone,
                                 staff_names=names, truncated=truncated), len(lines)

    async def _post_transcript(self, ticket: Ticket, log_channel: discord.TextChannel) -> discord.Message:
        page, messages = await self.transcript_page(ticket, log_channel.guild)
        embed = discord.Embed(title=f"Ticket #{ticket.id} archived", colour=embeds.COLOURS[Status.ARCHIVED])
        embed.add_field(name="Opened by", value=f"<@{ticket.user_id}> ({embeds.quote(ticket.username, 100)})"
                        if ticket.user_id else "*(forgotten)*")
        embed.add_field(name="Claimed by", value=f"<@{ticket.claimed_by}>" if ticket.claimed_by else "—")
        embed.add_field(name="Archived by", value=f"<@{ticket.archived_by}>")
        embed.add_field(name="Messages", value=str(messages))
        if ticket.close_reason:
            embed.add_field(name="Reason", value=embeds.quote(ticket.close_reason, 1000), inline=False)
        embed.description = embeds.quote(ticket.description, 300)
        return await log_channel.send(
            embed=embed, allowed_mentions=NO_PINGS,
            file=discord.File(io.BytesIO(page.encode("utf-8")), filename=f"ticket-{ticket.id}-transcript.html"))

    async def remove_channel(self, ticket: Ticket) -> bool:
        channel = self.channel_of(ticket)
        if channel is None:
            return True
        try:
            await channel.delete(reason=f"ticket #{ticket.id} archived")
        except discord.HTTPException as exc:
            log.warning("tickets.channel_delete_failed", ticket_id=ticket.id, guild_id=ticket.guild_id, error=str(exc))
            await self.say(ticket, "🗄️ Archived, and the transcript is saved, but I could not delete this channel "
                                   "(I need Manage Channels). A server manager can delete it.")
            return False
        return True

    async def history(self, ticket: Ticket) -> tuple[list[transcript.Line], bool]:
        """The channel's messages, oldest first (at most :data:`transcript.MAX_MESSAGES`)."""
        channel = self.channel_of(ticket)
        if channel is None:
            return [], False
        lines: list[transcript.Line] = []
        async for message in channel.history(limit=transcript.MAX_MESSAGES + 1, oldest_first=True):
            lines.append(transcript.Line(
                author=message.author.name, author_id=message.author.id, bot=message.author.bot,
                created_at=message.created_at, content=message.content,
                embeds=[(e.title or "", e.description or "", [(f.name or "", f.value or "") for f in e.fields])
                        for e in message.embeds],
                attachments=[(a.filename, a.size) for a in message.attachments]))
        return lines[: transcript.MAX_MESSAGES], len(lines) > transcript.MAX_MESSAGES

    # --- telling the channel ----------------------------------------------------------------
    async def say(self, ticket: Ticket, content: str, mentions: discord.AllowedMentions = NO_PINGS) -> None:
        channel = self.channel_of(ticket)
        if channel is None:
            return
        try:
            await channel.send(fit(content, MESSAGE_CONTENT), allowed_mentions=mentions)
        except discord.HTTPException as exc:
            log.warning("tickets.note_failed", ticket_id=ticket.id, guild_id=ticket.guild_id, error=str(exc))

    async def refresh(self, ticket: Ticket) -> None:
        """Show the ticket's new state and buttons on its control message."""
        channel = self.channel_of(ticket)
        if channel is None or ticket.message_id is None:
            return
        try:
            await channel.get_partial_message(ticket.message_id).edit(
                embed=embeds.control_embed(ticket), view=control_view(ticket))
        except discord.HTTPException as exc:
            log.warning("tickets.refresh_failed", ticket_id=ticket.id, guild_id=ticket.guild_id, error=str(exc))

    async def announce(self, action: str, ticket: Ticket, actor: discord.Member) -> None:
        """The public note of a staff action, and what else it changes in Discord."""
        if action == "claim":
            await self.say(ticket, f"🙋 {actor.mention} claimed this ticket and will help you.")
        elif action == "ask":
            until = (f" Without an answer it closes automatically {embeds.stamp(ticket.autoclose_at)}."
                     if ticket.autoclose_at else "")
            await self.say(ticket, f"💬 <@{ticket.user_id}>, {actor.mention} needs more information from you: "
                                   f"please answer here.{until}",
                           discord.AllowedMentions(users=[discord.Object(ticket.user_id)]))
        elif action == "escalate":
            role = actor.guild.get_role(ticket.escalated_to or 0)
            channel = self.channel_of(ticket)
            if role is not None and channel is not None:
                try:
                    await channel.set_permissions(role, overwrite=channels.PARTICIPANT,
                                                  reason=f"ticket #{ticket.id} escalated")
                except discord.HTTPException as exc:
                    log.warning("tickets.escalation_access_failed", ticket_id=ticket.id, error=str(exc))
                    await self.say(ticket, "⚠️ I could not give the escalation role access to this channel "
                                           "(I need Manage Roles).")
            mention = role.mention if role is not None else "the escalation team"
            await self.say(ticket, f"⬆️ {actor.mention} escalated this ticket to {mention}.",
                           discord.AllowedMentions(roles=[role] if role is not None else False))

    async def after_close(self, ticket: Ticket, actor: discord.Member | None) -> None:
        by = f" by {actor.mention}" if actor is not None else ""
        reason = f" Reason: {embeds.quote(ticket.close_reason, REASON_MAX)}" if ticket.close_reason else ""
        await self.say(ticket, f"🔒 Closed{by}.{reason}")
        channel = self.channel_of(ticket)
        member = channel.guild.get_member(ticket.user_id) if channel is not None else None
        if channel is not None and member is not None:
            try:  # the member can still read the ticket, no longer write in it
                await channel.set_permissions(member, overwrite=channels.READ_ONLY, reason=f"ticket #{ticket.id} closed")
            except discord.HTTPException as exc:
                log.warning("tickets.lock_failed", ticket_id=ticket.id, guild_id=ticket.guild_id, error=str(exc))
        await self.refresh(ticket)
        self.start_summary(ticket)

    # --- AI summaries -------------------------------------------------------------------------
    def start_summary(self, ticket: Ticket) -> None:
        """Summarise in the background (the close is answered at once), when the host allows it."""
        task = asyncio.create_task(self._summarise(ticket), name=f"tickets.summary.{ticket.id}")
        self._summaries[ticket.id] = task
        task.add_done_callback(lambda _t: self._summaries.pop(ticket.id, None))

    async def _summarise(self, ticket: Ticket) -> None:
        try:
            if not await self.bot.settings.get(ticket.guild_id, PLUGIN, "ai_summaries") or not self.bot.ai.available():
                return
            lines, _ = await self.history(ticket)
            said = [summary.Said(by_member=line.author_id == ticket.user_id, text=line.content)
                    for line in lines if not line.bot]
            answer = await summary.summarise(self.bot.ai, ticket.description, said,
                                             ticket_id=ticket.id, guild_id=ticket.guild_id)
            if answer is None:
                return
            async with self.bot.db.acquire() as conn:
                row = await store.insert_summary(conn, ticket, *answer)
                fresh = await store.get(conn, ticket.guild_id, ticket.id)
            if row is None or fresh is None:
                return
            log.info("tickets.summarized", ticket_id=ticket.id, guild_id=ticket.guild_id)
            await self.say(fresh, f"📝 Summary: {embeds.quote(row['summary'], 1800)}")
            await self.bot.plugins.call_async(
                "ticket_summarized", ticket=fresh.as_dict(),
                summary={"id": row["id"], "ticket_id": row["ticket_id"], "summary": row["summary"],
                         "similarity_key": row["similarity_key"], "created_at": row["created_at"]})
        except Exception as exc:  # a summary is a bonus: never let it break anything
            log.exception("tickets.summary_error", ticket_id=ticket.id, guild_id=ticket.guild_id, error=str(exc))

    async def drain(self, timeout: float = 10.0) -> None:
        """Let summaries being written finish (shutdown)."""
        pending = set(self._summaries.values())
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    @staticmethod
    async def _delete_quietly(channel: discord.abc.GuildChannel, reason: str) -> None:
        try:
            await channel.delete(reason=reason)
        except discord.HTTPException:
            pass
