"""``/plugins list|enable|disable``: which plugins work in this server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from alphapy.cogs.text import EMBED_DESCRIPTION, fit, fit_embed, fit_lines, safe
from alphapy.gate import manage_guild_only
from alphapy.plugin_switch import switch_plugin

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot


DESCRIPTION_SHOWN = 150
"""Of a plugin's description (its package summary, or its docstring's first line: any length)."""


class PluginsCog(commands.GroupCog, group_name="plugins", group_description="Switch plugins on or off in this server"):
    def __init__(self, bot: AlphapyBot) -> None:
        self.bot = bot
        super().__init__()

    async def _names(self, _interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        current = current.lower()
        return [app_commands.Choice(name=n, value=n) for n in self.bot.plugins.loaded if current in n][:25]

    @app_commands.command(name="list", description="Show every plugin and whether it is on here")
    @app_commands.guild_only()
    @manage_guild_only()
    async def list_plugins(self, interaction: discord.Interaction) -> None:
        assert interaction.guild_id is not None
        lines = []
        for name in self.bot.plugins.loaded:
            info = self.bot.plugins.infos[name]
            on = await self.bot.settings.is_enabled(interaction.guild_id, name)
            description = f" — {fit(info.description, DESCRIPTION_SHOWN)}" if info.description else ""
            lines.append(f"{'🟢' if on else '⚪'} **{name}** {info.version or ''}{description}")
        # A host must see why a plugin is unavailable, not just miss it in the list.
        for name, info in sorted(self.bot.plugins.infos.items()):
            if info.status != "loaded":
                version = f" {info.version}" if info.version else ""
                lines.append(f"🔴 **{name}**{version} — did not load: "
                             f"{safe(info.error or 'no reason given', 300)}")
        embed = discord.Embed(title="Plugins", description=fit_lines(lines, EMBED_DESCRIPTION)
                              or "No plugins are installed.")
        await interaction.response.send_message(embed=fit_embed(embed), ephemeral=True)

    @app_commands.command(name="enable", description="Switch a plugin on in this server")
    @app_commands.describe(plugin="the plugin's name")
    @app_commands.autocomplete(plugin=_names)
    @app_commands.guild_only()
    @manage_guild_only()
    async def enable(self, interaction: discord.Interaction, plugin: str) -> None:
        await self._switch(interaction, plugin, True)

    @app_commands.command(name="disable", description="Switch a plugin off in this server")
    @app_commands.describe(plugin="the plugin's name")
    @app_commands.autocomplete(plugin=_names)
    @app_commands.guild_only()
    @manage_guild_only()
    async def disable(self, interaction: discord.Interaction, plugin: str) -> None:
        await self._switch(interaction, plugin, False)

    async def _switch(self, interaction: discord.Interaction, plugin: str, on: bool) -> None:
        assert interaction.guild_id is not None
        result = await switch_plugin(self.bot.settings, self.bot.plugins, interaction.guild_id, plugin, on,
                                     changed_by=interaction.user.id)
        await interaction.response.send_message(result.sentence(), ephemeral=True)
