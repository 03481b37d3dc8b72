"""The core's own commands: ``/plugins``, ``/settings``, ``/command_stats`` and ``/ping``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from discord.ext import commands

    from alphapy.bot import AlphapyBot


def core_cogs(bot: AlphapyBot) -> list[commands.Cog]:
    from alphapy.cogs.plugins import PluginsCog
    from alphapy.cogs.settings import SettingsCog
    from alphapy.cogs.stats import StatsCog

    return [PluginsCog(bot), SettingsCog(bot), StatsCog(bot)]
