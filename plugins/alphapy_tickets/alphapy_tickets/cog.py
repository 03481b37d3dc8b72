"""``/ticket open|panel|info|list|stats``, the buttons' and forms' handlers, and the listeners
that move tickets on their own (a member answering, leaving, a channel deleted by hand)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands

from alphapy import PluginCog, UserError, manage_guild_only, staff_only
from alphapy_tickets import embeds, store
from alphapy_tickets.desk import REASON_MAX, TicketDesk, clean_text
from alphapy_tickets.lifecycle import ACTIVE, Status, Ticket, refusal
from alphapy_tickets.metrics import take_snapshot
from alphapy_tickets.views import (
    CLOSE_FORM,
    DESCRIPTION_MAX,
    MAX_TICKET_ID,
    OPEN_FORM,
    OpenButton,
    TicketButton,
    close_form,
    confirm_view,
    control_view,
    form_values,
    open_form,
    panel_view,
    run_guarded,
)

if TYPE_CHECKING:
    from alphapy import AlphapyBot

LIST_CHOICES = Literal["active", "open", "claimed", "waiting_for_user", "escalated", "closed", "archived"]
PANEL_TEXT = ("Need help? Press the button and describe your problem: a private channel opens "
              "where staff will answer you.")


def _member(interaction: discord.Interaction) -> discord.Member:
    if not isinstance(interaction.user, discord.Member):
        raise UserError("Tickets work in a server, not in direct messages.")
    return interaction.user


class TicketsCog(PluginCog, plugin="tickets"):
    ticket = app_commands.Group(name="ticket", description="Support tickets", guild_only=True)

    def __init__(self, bot: AlphapyBot) -> None:
        super().__init__(bot)
        self.desk = TicketDesk(self.bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(TicketButton, OpenButton)
        self.desk.serve(True)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(TicketButton, OpenButton)
        self.desk.serve(False)

    # --- commands ---------------------------------------------------------------------------
    @ticket.command(name="open", description="Open a support ticket: a private channel with staff")
    @app_commands.describe(description="what you need help with (leave empty to get a form)")
    async def open_(self, interaction: discord.Interaction,
                    description: app_commands.Range[str, 1, DESCRIPTION_MAX] | None = None) -> None:
        member = _member(interaction)
        if description is None:
            await self.desk.check_can_open(member)
            await interaction.response.send_modal(open_form())
            return
        await self._open(interaction, member, description)

    @ticket.command(name="panel", description="Post a panel with an 'Open a ticket' button")
    @app_commands.describe(channel="where to post it (this channel if empty)", text="the panel's text")
    @manage_guild_only()
    async def panel(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None,
                    text: app_commands.Range[str, 1, 1000] | None = None) -> None:
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel) or target.guild.id != interaction.guild_id:
            raise UserError("Choose a text channel of this server for the panel.")
        mine = target.permissions_for(target.guild.me)
        if not (mine.view_channel and mine.send_messages and mine.embed_links):
            raise UserError(f"I cannot post in {target.mention}: I need View Channel, Send Messages and Embed Links.")
        body = clean_text(text, limit=1000, what="panel text", required=False) or PANEL_TEXT
        embed = discord.Embed(title="Support", description=embeds.quote(body, 1000), colour=0x5865F2)
        await target.send(embed=embed, view=panel_view(), allowed_mentions=discord.AllowedMentions.none())
        await interaction.response.send_message(f"The ticket panel is posted in {target.mention}.", ephemeral=True)

    @ticket.command(name="info", description="This ticket's status and history (inside a ticket channel)")
    async def info(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None and interaction.channel_id is not None
        async with self.bot.db.acquire() as conn:
            ticket = await store.by_channel(conn, interaction.guild_id, interaction.channel_id)
            found = await store.summary_of(conn, interaction.guild_id, ticket.id) if ticket else None
        if ticket is None:
            raise UserError("This is not a ticket channel: use `/ticket info` inside a ticket's channel.")
        await interaction.response.send_message(embed=embeds.info_embed(ticket, found), view=control_view(ticket),
                                                ephemeral=True)

    @ticket.command(name="list", description="Tickets of this server (staff)")
    @app_commands.describe(status="which tickets (default: every ticket still being worked on)")
    @staff_only()
    async def list_(self, interaction: discord.Interaction, status: LIST_CHOICES = "active") -> None:
        assert interaction.guild_id is not None
        statuses = [str(s) for s in ACTIVE] if status == "active" else [status]
        async with self.bot.db.acquire() as conn:
            tickets, total = await store.list_tickets(conn, interaction.guild_id, statuses, 25)
        heading = "being worked on" if status == "active" else status.replace("_", " ")
        await interaction.response.send_message(embed=embeds.list_embed(tickets, total, heading), ephemeral=True)

    @ticket.command(name="stats", description="Ticket numbers: per status, time to close, per day (staff)")
    @app_commands.describe(period="which tickets: opened in the last 7 or 30 days, or all")
    @staff_only()
    async def stats(self, interaction: discord.Interaction, period: Literal["7d", "30d", "all"] = "7d") -> None:
        assert interaction.guild_id is not None
        timezone = await self.bot.settings.get(interaction.guild_id, "core", "timezone")
        snapshot = await take_snapshot(self.bot.db, guild_id=interaction.guild_id, scope=period,
                                       timezone=timezone, triggered_by=interaction.user.id)
        await interaction.response.send_message(embed=embeds.stats_embed(snapshot), ephemeral=True)

    # --- opening ----------------------------------------------------------------------------
    async def _open(self, interaction: discord.Interaction, member: discord.Member, description: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        ticket, channel = await self.desk.open(member, description)
        await interaction.followup.send(f"Your ticket #{ticket.id} is open: {channel.mention}", ephemeral=True)

    async def on_open_button(self, interaction: discord.Interaction) -> None:
        await self.desk.check_can_open(_member(interaction))
        await interaction.response.send_modal(open_form())

    # --- buttons ----------------------------------------------------------------------------
    async def on_action(self, interaction: discord.Interaction, action: str, ticket_id: int) -> None:
        member = _member(interaction)
        guild_id = member.guild.id
        if action in ("close", "close_reason"):
            ticket = await self.desk.get(guild_id, ticket_id)
            await self.desk.authorise("close", member, ticket)
            if not ticket.active:
                raise UserError(refusal("close", ticket))
        if action == "close":
            await interaction.response.send_message(
                f"Close ticket #{ticket_id}? Staff can still read it until it is archived.",
                view=confirm_view(ticket_id, "close_confirm", "close_reason"), ephemeral=True)
        elif action == "close_reason":
            await interaction.response.send_modal(close_form(ticket_id))
        elif action == "close_confirm":
            await self._close(interaction, member, ticket_id, None)
        elif action == "archive":
            await self.desk.authorise("archive", member)
            ticket = await self.desk.get(guild_id, ticket_id)
            if ticket.status != Status.CLOSED:
                raise UserError(refusal("archive", ticket))
            await interaction.response.send_message(
                f"Archive ticket #{ticket_id}? The transcript goes to the log channel and this channel is deleted.",
                view=confirm_view(ticket_id, "archive_confirm"), ephemeral=True)
        elif action == "archive_confirm":
            await interaction.response.defer(ephemeral=True, thinking=True)
            ticket, posted = await self.desk.archive(member, ticket_id)
            await interaction.followup.send(f"Ticket #{ticket_id} is archived; the transcript is in "
                                            f"{posted.jump_url}. Deleting the ticket's channel.", ephemeral=True)
            await self.desk.remove_channel(ticket)
        else:
            change = {"claim": self.desk.claim, "ask": self.desk.ask_member, "escalate": self.desk.escalate}[action]
            ticket = await change(member, ticket_id)
            await self._show(interaction, ticket)
            await self.desk.announce(action, ticket, member)

    async def _show(self, interaction: discord.Interaction, ticket: Ticket) -> None:
        """Answer a click with the ticket's new state: on the clicked message itself (the control
        message, or the copy /ticket info showed), and on the control message if that was a copy."""
        await interaction.response.edit_message(embed=embeds.control_embed(ticket), view=control_view(ticket))
        if interaction.message is None or interaction.message.id != ticket.message_id:
            await self.desk.refresh(ticket)

    async def _close(self, interaction: discord.Interaction, member: discord.Member, ticket_id: int,
                     reason: str | None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.desk.close(member, member.guild.id, ticket_id, reason)
        await interaction.followup.send(f"Ticket #{ticket_id} is closed.", ephemeral=True)

    # --- forms (handled by custom id: they survive a restart) --------------------------------
    @PluginCog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        values = form_values(interaction.data)
        if custom_id == OPEN_FORM:
            await run_guarded(interaction, self._open(interaction, _member(interaction), values.get("description", "")),
                              "form open")
        elif (match := CLOSE_FORM.fullmatch(custom_id)) is not None:
            async def close_with_reason() -> None:
                ticket_id = int(match[1])
                if ticket_id > MAX_TICKET_ID:
                    raise UserError("There is no such ticket in this server.")
                reason = clean_text(values.get("reason"), limit=REASON_MAX, what="reason", required=False)
                await self._close(interaction, _member(interaction), ticket_id, reason)

            await run_guarded(interaction, close_with_reason(), "form close")

    # --- things that happen on their own -------------------------------------------------------
    @PluginCog.listener()
    async def on_message(self, message: discord.Message) -> None:
        # Cheap filter first: only a ticket's member has a member overwrite in its channel.
        if (message.author.bot or message.guild is None or not isinstance(message.channel, discord.TextChannel)
                or message.channel.overwrites_for(message.author).is_empty()):
            return
        await self.desk.member_replied(message)

    @PluginCog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        await self.desk.member_left(payload.guild_id, payload.user.id)

    @PluginCog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        async with self.bot.db.acquire() as conn:
            ticket = await store.channel_gone(conn, channel.guild.id, channel.id)
        if ticket is not None:
            self.log.info("tickets.channel_deleted", ticket_id=ticket.id, guild_id=ticket.guild_id)
