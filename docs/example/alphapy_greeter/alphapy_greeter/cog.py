"""The greeter's commands and listener; the core gates them per guild and tracks them."""

from __future__ import annotations

import discord
from discord import app_commands

from alphapy import PluginCog, UserError, manage_guild_only
from alphapy_greeter import store


class GreeterCog(PluginCog, plugin="greeter"):
    async def greeting_for(self, member: discord.Member) -> str:
        text: str = await self.setting(member.guild.id, "text")
        return text.replace("{member}", member.mention)

    @app_commands.command(name="greet", description="Greet someone")
    @app_commands.guild_only()
    async def greet(self, interaction: discord.Interaction, member: discord.Member) -> None:
        if member.bot:
            raise UserError("Bots do not need greetings.")  # shown as written, only to the caller
        await interaction.response.send_message(
            await self.greeting_for(member), allowed_mentions=discord.AllowedMentions(users=[member]))

    @app_commands.command(name="greeter_stats", description="How many members were greeted here")
    @app_commands.guild_only()
    @manage_guild_only()  # declared here, enforced by the core
    async def stats(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.acquire() as conn:
            count = await store.welcome_count(conn, interaction.guild_id)
        await interaction.response.send_message(f"{count} member(s) greeted so far.", ephemeral=True)

    @PluginCog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        channel_id = await self.setting(member.guild.id, "channel")
        channel = member.guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return
        await channel.send(await self.greeting_for(member), allowed_mentions=discord.AllowedMentions(users=[member]))
        async with self.bot.db.acquire() as conn:
            await store.record_welcome(conn, member.guild.id, member.id)
