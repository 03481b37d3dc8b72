"""``/command_stats`` and ``/ping``: how the bot is used here, and whether it answers."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from alphapy.gate import manage_guild_only

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def ping_reply(latency: float) -> str:
    """``/ping``'s answer: the gateway latency when there is one (NaN or infinite before
    the first heartbeat is answered)."""
    shown = f" ({latency * 1000:.0f} ms)" if latency == latency and latency != float("inf") else ""
    return f"Pong{shown}."


class StatsCog(commands.Cog):
    def __init__(self, bot: AlphapyBot) -> None:
        self.bot = bot

    @app_commands.command(name="command_stats", description="Command use in this server: counts and success rates")
    @app_commands.describe(period="how far back to look")
    @app_commands.guild_only()
    @manage_guild_only()
    async def command_stats(self, interaction: discord.Interaction,
                            period: Literal["24h", "7d", "30d"] = "7d") -> None:
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.tracker.flush()  # include this process's latest uses
        report = await self.bot.tracker.usage(interaction.guild_id, PERIODS[period], top=15)
        embed = discord.Embed(title=f"Command use — last {period}")
        if not report.commands:
            embed.description = "No commands were used in this period."
        else:
            embed.description = "\n".join(
                f"`/{c.command_name}` — {c.count} use{'s' if c.count != 1 else ''}, "
                f"{c.success_rate * 100:.0f}% ok" for c in report.commands)
            rate = report.success_rate
            embed.set_footer(text=f"{report.total} in all" + (f", {rate * 100:.0f}% ok" if rate is not None else ""))
        await interaction.followup.send(embed=embed, ephemeral=True)

    @app_commands.command(name="ping", description="Check that the bot answers")
    async def ping_slash(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(ping_reply(self.bot.latency), ephemeral=True)

    @commands.command(name="ping", help="Check that the bot answers")
    async def ping_text(self, ctx: commands.Context[AlphapyBot]) -> None:
        await ctx.reply("Pong.", mention_author=False)
