"""The base class of every plugin cog, so that every plugin looks like every other.

A plugin's ``cog.py`` defines ``class XCog(PluginCog, plugin="x")``; the core adds it,
gates it per guild and tracks its commands. The cog reaches the core's services through
``self.bot`` (``db``, ``settings``, ``tracker``, ``ai``, ``scheduler``) and its own
settings through :meth:`setting`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from discord.ext import commands

from alphapy.log import get_logger

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot


class PluginCog(commands.Cog):
    """A cog owned by one plugin (``plugin=`` in the class statement names it)."""

    plugin: ClassVar[str] = ""

    def __init_subclass__(cls, plugin: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if plugin:
            cls.plugin = plugin

    def __init__(self, bot: AlphapyBot) -> None:
        if not self.plugin:
            raise TypeError(f"{type(self).__name__} must name its plugin: class X(PluginCog, plugin='name')")
        self.bot = bot
        self.log = get_logger(f"alphapy.plugins.{self.plugin}")

    async def setting(self, guild_id: int, key: str) -> Any:
        """This plugin's setting ``key`` in a guild (the guild's value or the default)."""
        return await self.bot.settings.get(guild_id, self.plugin, key)

    def custom_id(self, *parts: object) -> str:
        """A component custom id that the gate routes to this plugin: ``plugin:part:part``."""
        return ":".join([self.plugin, *(str(p) for p in parts)])
