"""The base class of every plugin cog, so that every plugin looks like every other.

A plugin's ``cog.py`` defines ``class XCog(PluginCog, plugin="x")``; the core adds it,
gates it per guild and tracks its commands. The cog reaches the core's services through
``self.bot`` (``db``, ``settings``, ``tracker``, ``ai``, ``scheduler``) and its own
settings through :meth:`setting`.

A plugin's per-process state (a service, a runner, a desk) lives on its cog, and any code
that has the bot (a hook, a component handler through ``interaction.client``, a demo
chapter) reaches it with ``XCog.of(bot)``: found by class, not by a name string, and
without a module-level registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord
from discord.ext import commands

from alphapy.errors import UserError
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

    @classmethod
    def of(cls, bot: discord.Client | None) -> Self:
        """The running instance of this cog on ``bot`` (the bot, or ``interaction.client``).

        A missing cog means the plugin failed to load: a component handler that asks for it
        answers the member with one polite sentence instead of a crash.
        """
        cog = cls.find(bot)
        if cog is None:
            raise UserError(f"The {cls.plugin or cls.__cog_name__} feature is not available right now.")
        return cog

    @classmethod
    def find(cls, bot: discord.Client | None) -> Self | None:
        """Like :meth:`of`, but ``None`` when the cog is not loaded (health, shutdown)."""
        get_cog = getattr(bot, "get_cog", None)
        cog = get_cog(cls.__cog_name__) if get_cog is not None else None
        return cog if isinstance(cog, cls) else None

    async def setting(self, guild_id: int, key: str) -> Any:
        """This plugin's setting ``key`` in a guild (the guild's value or the default)."""
        return await self.bot.settings.get(guild_id, self.plugin, key)

    @classmethod
    def custom_id(cls, *parts: object) -> str:
        """A component custom id that the gate routes to this plugin: ``plugin:part:part``.

        A class method, so a ``DynamicItem`` (which has no cog instance) builds its ids with
        ``XCog.custom_id(...)`` the same way the cog does.
        """
        return ":".join([cls.plugin, *(str(p) for p in parts)])
