"""``/premium`` and ``/premium_transfer``: a member's own premium, and moving it here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import discord
from discord import app_commands

from alphapy import AlphapyBot, PluginCog, UserError, escape
from alphapy_premium import store
from alphapy_premium.ledger import Refusal
from alphapy_premium.moves import UNAVAILABLE, cooldown_between, plan_move, wall_clock
from alphapy_premium.service import BILLING, ENTITLEMENT, PremiumService
from alphapy_premium.views import DYNAMIC_ITEMS, NO_MENTIONS, transfer_view

SOURCES = {
    BILLING: "the billing service",
    "local": "this bot's records",
    ENTITLEMENT: "your Discord subscription",
}


class PremiumCog(PluginCog, plugin="premium"):
    def __init__(self, bot: AlphapyBot) -> None:
        super().__init__(bot)
        #: the process's premium answer: made by the ``startup`` hook, closed by ``shutdown``
        self.running_service: PremiumService | None = None

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)

    @property
    def service(self) -> PremiumService:
        service = self.running_service
        if service is None:
            raise UserError(UNAVAILABLE)
        return service

    # --- helpers ----------------------------------------------------------------------
    async def _when(self, guild_id: int, moment: datetime) -> str:
        """A wall-clock time in the server's timezone, and Discord's relative form."""
        return f"**{await wall_clock(self.bot.settings, guild_id, moment)}** (<t:{int(moment.timestamp())}:R>)"

    def _guild_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return f"another server (id {guild_id})"
        return f"**{escape(guild.name)}**"

    async def _cooldown(self, *guild_ids: int) -> timedelta:
        return await cooldown_between(self.bot.settings, *guild_ids)

    # --- /premium ---------------------------------------------------------------------
    @app_commands.command(name="premium", description="Your premium status in this server")
    @app_commands.guild_only()
    async def premium(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        overview = await self.service.overview(user_id, guild_id)
        here, current = overview.here, overview.current
        now = datetime.now(timezone.utc)
        lines: list[str] = []
        if here.active:
            tier = f" ({here.tier})" if here.tier else ""
            if here.source == ENTITLEMENT:
                lines.append("✨ You have **Premium** here through a Discord subscription"
                             + (f", until {await self._when(guild_id, here.expires_at)}." if here.expires_at else "."))
            elif here.expires_at is None:
                lines.append(f"✨ You have **Premium**{tier} in this server, with no end date.")
            elif here.status == "cancelled":
                lines.append(f"✨ You have **Premium**{tier} in this server until "
                             f"{await self._when(guild_id, here.expires_at)}. It was cancelled and will not renew.")
            elif here.expires_at > now:
                lines.append(f"✨ You have **Premium**{tier} in this server; it renews "
                             f"{await self._when(guild_id, here.expires_at)}.")
            else:
                lines.append(f"✨ You have **Premium**{tier} in this server. It was due to renew "
                             f"{await self._when(guild_id, here.expires_at)}; it stays on while the payment "
                             "goes through.")
        else:
            lines.append("You do not have premium in this server.")
            if current is not None and current.guild_id != guild_id:
                lines.append(f"Your **{current.tier}** subscription applies to {self._guild_name(current.guild_id)}. "
                             "Use `/premium_transfer` here to move it to this server.")
            elif here.status == "expired":
                ended = here.expires_at is not None and here.expires_at <= now
                lines.append(f"Your subscription here ended {await self._when(guild_id, here.expires_at)}."
                             if ended and here.expires_at else "Your subscription here has ended.")
        lines.append(f"-# Checked with {SOURCES.get(here.source if here.active else overview.source, 'nothing')}.")
        await interaction.response.send_message("\n".join(lines), ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- /premium_transfer --------------------------------------------------------------
    @app_commands.command(name="premium_transfer", description="Move your premium subscription to this server")
    @app_commands.guild_only()
    async def premium_transfer(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        guild_id, user_id = interaction.guild_id, interaction.user.id
        plan = await plan_move(self.bot.db, self.bot.settings, user_id, guild_id, self._when)
        sub, days = plan.subscription, plan.cooldown_days
        await interaction.response.send_message(
            f"Move your **{sub.tier}** premium from {self._guild_name(sub.guild_id)} to **this server**?\n"
            "Premium features there switch off from then on; nothing anyone made there is deleted, and it comes "
            f"back if you move your subscription back. After a move you can move it again in {days} "
            f"day{'s' if days != 1 else ''}.",
            view=transfer_view(sub.id or 0), ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def confirm_transfer(self, interaction: discord.Interaction, sub_id: int) -> None:
        """The ``premium:transfer:<id>`` button: every rule again, under a row lock."""
        guild_id = interaction.guild_id
        if guild_id is None:
            raise UserError("Subscriptions move between servers; click this in a server.")
        row = await store.get(self.bot.db, sub_id) if 0 < sub_id < 2**31 else None
        if row is None or row["user_id"] != interaction.user.id:  # not theirs: say as little as for a missing one
            raise UserError("That subscription does not exist (any more).")
        await interaction.response.defer()  # the billing service may take a moment
        try:
            cooldown = await self._cooldown(row["guild_id"], guild_id)
            done = await self.service.transfer(sub_id=sub_id, user_id=interaction.user.id, guild_id=guild_id,
                                               cooldown=cooldown)
        except Refusal as refusal:
            await self._edit(interaction, str(refusal))
            return
        await self._edit(interaction,
                         f"✅ Your **{done.subscription.tier}** premium now applies to **this server**. Premium "
                         f"features in {self._guild_name(done.from_guild_id)} are off from now on; nothing there "
                         "was deleted.")

    async def _edit(self, interaction: discord.Interaction, content: str) -> None:
        await interaction.edit_original_response(content=content, view=None, allowed_mentions=NO_MENTIONS)
