"""``/verify`` and ``/verification panel|open|pending|stats``, and the listeners of the flow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands

from alphapy import EMBED_DESCRIPTION, PluginCog, UserError, fit_lines, manage_guild_only, staff_only
from alphapy_verification import store
from alphapy_verification.assess import CAUSES
from alphapy_verification.flow import Verifications, duration
from alphapy_verification.views import DYNAMIC_ITEMS, REASON_FORM, _run, panel_view, submitted_reason

PENDING_PAGE = 20
STATUS_LABELS = {
    "pending": "Waiting for a screenshot",
    "manual_review": "Waiting for staff",
    "error": "Waiting for staff (AI error)",
    "verified": "Verified",
    "closed_manual": "Closed (rejected or cancelled)",
}


def _member(interaction: discord.Interaction) -> discord.Member:
    if not isinstance(interaction.user, discord.Member):
        raise UserError("Verification works in a server, not in direct messages.")
    return interaction.user


class VerificationCog(PluginCog, plugin="verification"):
    verification = app_commands.Group(name="verification", description="Verification of payments: panel, reviews, "
                                      "statistics", guild_only=True)

    def __init__(self, bot: discord.Client) -> None:
        super().__init__(bot)  # type: ignore[arg-type]
        self.flow = Verifications(self.bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.flow.serve()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.flow.stop_serving()

    # --- members ----------------------------------------------------------------------------
    @app_commands.command(name="verify", description="Verify your purchase with a screenshot, in a private channel")
    @app_commands.guild_only()
    async def verify(self, interaction: discord.Interaction) -> None:
        await self.flow.open(interaction, _member(interaction), by_staff=False)

    # --- hosts and staff ----------------------------------------------------------------------
    @verification.command(name="panel", description="Post a message with a Start verification button")
    @app_commands.describe(channel="where to post it (default: here)")
    @manage_guild_only()
    async def panel(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel):
            raise UserError("Pick a text channel for the panel.")
        embed = discord.Embed(
            title="Verify your purchase",
            description="Press the button to open a private channel with staff, then upload a screenshot of your "
                        "payment. Only you, staff and I can see it, and the image is not kept.",
            colour=discord.Colour.blurple(),
        )
        try:
            await target.send(embed=embed, view=panel_view())
        except discord.Forbidden:
            raise UserError(f"I cannot post in {target.mention}: I need to see it and send messages there.") from None
        await interaction.response.send_message(f"Posted the verification panel in {target.mention}.", ephemeral=True)

    @verification.command(name="open", description="Open a verification for a member (no attempt limit or cooldown)")
    @staff_only()
    async def open_for(self, interaction: discord.Interaction, member: discord.Member) -> None:
        if member.bot:
            raise UserError("Bots do not need verifying.")
        await self.flow.open(interaction, member, by_staff=True)

    @verification.command(name="pending", description="Verifications waiting for a staff decision")
    @staff_only()
    async def pending(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.acquire() as conn:
            rows, total = await store.waiting_for_staff(conn, interaction.guild_id, PENDING_PAGE)
        if not rows:
            await interaction.response.send_message("No verification is waiting for staff.", ephemeral=True)
            return
        lines = []
        for row in rows:
            cause = CAUSES.get(row["review_cause"], "")
            waiting = int(row["created_at"].timestamp())
            lines.append(f"`#{row['id']}` <@{row['user_id']}> in <#{row['channel_id']}> — "
                         f"{STATUS_LABELS[row['status']].lower()}, opened <t:{waiting}:R>. {cause}")
        embed = discord.Embed(title=f"Waiting for staff: {total}",
                              description=fit_lines(lines, EMBED_DESCRIPTION, unshown=total - len(rows)))
        await interaction.response.send_message(embed=embed, ephemeral=True,
                                                allowed_mentions=discord.AllowedMentions.none())

    @verification.command(name="stats", description="Verification counts, auto-verified share and time to a decision")
    @app_commands.describe(days="only verifications opened in the last N days (default: all)")
    @staff_only()
    async def stats(self, interaction: discord.Interaction,
                    days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        assert interaction.guild_id is not None
        since = datetime.now(UTC) - timedelta(days=days) if days else None
        async with self.bot.db.acquire() as conn:
            figures = await store.stats(conn, interaction.guild_id, since)
        total = sum(figures.counts.values())
        embed = discord.Embed(title=f"Verifications — {f'last {days} days' if days else 'all time'}: {total}")
        embed.description = "\n".join(
            f"{label}: **{figures.counts.get(status, 0)}**" for status, label in STATUS_LABELS.items()
        )
        share = figures.auto_share
        embed.add_field(name="Verified automatically",
                        value=f"{figures.auto_verified} of {figures.verified} ({share:.0%})" if share is not None
                        else "none verified yet")
        embed.add_field(name="Median time to a decision",
                        value=duration(figures.median_seconds) if figures.median_seconds is not None else "—")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- listeners ------------------------------------------------------------------------------
    @PluginCog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or message.author.bot or message.webhook_id or not message.attachments:
            return  # only a person's upload can be a screenshot
        await self.flow.on_upload(message)

    @PluginCog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit or interaction.data is None:
            return
        match = REASON_FORM.fullmatch(str(interaction.data.get("custom_id", "")))
        if match is None:
            return
        reason = submitted_reason(interaction.data)  # type: ignore[arg-type]
        await _run(interaction, "reject", lambda flow: flow.reject(interaction, int(match["id"]), reason))

    @PluginCog.listener()
    async def on_member_remove(self, member: discord.Member) -> None:
        await self.flow.member_left(member)

    @PluginCog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        await self.flow.channel_deleted(channel)
