"""``/settings show|set|reset|history|rollback``: a host's view of the server's settings."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from alphapy.cogs.text import clip, safe
from alphapy.errors import UserError
from alphapy.gate import manage_guild_only
from alphapy.settings import SettingsError, SettingSpec
from alphapy.settings.types import JsonType, StrType

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot
    from alphapy.settings import HistoryEntry

_NAME = re.compile(r"[a-z0-9_]{1,40}\.[a-z0-9_]{1,64}")
_SCOPE = re.compile(r"[a-z0-9_]{1,40}")
HISTORY_PAGE = 10


class SettingsCog(commands.GroupCog, group_name="settings", group_description="Show and change this server's settings"):
    def __init__(self, bot: AlphapyBot) -> None:
        self.bot = bot
        super().__init__()

    # --- helpers ------------------------------------------------------------------------
    def _spec(self, name: str) -> SettingSpec:
        name = name.strip().lower()
        if not _NAME.fullmatch(name):
            raise UserError("Write the setting as scope.key, for example `core.timezone` (see `/settings show`).")
        try:
            return self.bot.settings.registry.find(name)
        except KeyError:
            raise UserError(f"There is no setting `{safe(name, 60)}` (see `/settings show`).") from None

    def _show(self, spec: SettingSpec, value: Any) -> str:
        shown = spec.type.display(value)
        if isinstance(spec.type, (StrType, JsonType)) and value is not None:
            return f"`{clip(shown.replace('`', 'ˋ'), 200)}`"
        return clip(shown, 200)

    async def _names(self, _interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        current = current.lower()
        names = [n for n in self.bot.settings.registry.names() if current in n]
        return [app_commands.Choice(name=n, value=n) for n in names[:25]]

    async def _scopes(self, _interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=s, value=s) for s in self.bot.settings.registry.scopes()
                if current.lower() in s][:25]

    @staticmethod
    async def _answer(interaction: discord.Interaction, call: Any) -> Any:
        try:
            return await call
        except SettingsError as exc:
            raise UserError(str(exc)) from None

    # --- commands -----------------------------------------------------------------------
    @app_commands.command(name="show", description="Show the settings (of one scope) and their values")
    @app_commands.describe(scope="core, plugins, or a plugin's name")
    @app_commands.autocomplete(scope=_scopes)
    @app_commands.guild_only()
    @manage_guild_only()
    async def show(self, interaction: discord.Interaction, scope: str | None = None) -> None:
        assert interaction.guild_id is not None
        if scope is not None and not _SCOPE.fullmatch(scope.strip().lower()):
            raise UserError("A scope is a plugin's name, `core` or `plugins` (see `/settings show`).")
        values = await self._answer(interaction, self.bot.settings.describe(interaction.guild_id,
                                                                            scope.strip().lower() if scope else None))
        embed = discord.Embed(title=f"Settings{f' — {scope}' if scope else ''}")
        lines = []
        for item in values:
            default = " *(default)*" if item.is_default else ""
            lines.append(f"**{item.spec.full_name}** = {self._show(item.spec, item.value)}{default}")
            if scope and item.spec.help:
                lines.append(f"-# {clip(item.spec.help, 150)}")
        text = "\n".join(lines)
        if len(text) > 4000:
            text = clip(text, 3900) + "\nPick a scope to see the rest: `/settings show scope:<name>`."
        embed.description = text
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="set", description="Change a setting (the change is kept in the history)")
    @app_commands.describe(setting="scope.key, e.g. core.timezone", value="the new value")
    @app_commands.autocomplete(setting=_names)
    @app_commands.guild_only()
    @manage_guild_only()
    async def set(self, interaction: discord.Interaction, setting: str, value: str) -> None:
        assert interaction.guild_id is not None
        spec = self._spec(setting)
        entry = await self._answer(interaction, self.bot.settings.set(
            interaction.guild_id, spec.scope, spec.key, value, changed_by=interaction.user.id, from_text=True,
            actor=interaction.user))
        await interaction.response.send_message(
            f"**{spec.full_name}** = {self._show(spec, entry.new_value)} (history #{entry.id})", ephemeral=True)

    @app_commands.command(name="reset", description="Put a setting back to its default")
    @app_commands.describe(setting="scope.key, e.g. core.timezone")
    @app_commands.autocomplete(setting=_names)
    @app_commands.guild_only()
    @manage_guild_only()
    async def reset(self, interaction: discord.Interaction, setting: str) -> None:
        assert interaction.guild_id is not None
        spec = self._spec(setting)
        entry = await self._answer(interaction, self.bot.settings.reset(
            interaction.guild_id, spec.scope, spec.key, changed_by=interaction.user.id))
        default = self._show(spec, spec.default)
        if entry is None:
            await interaction.response.send_message(f"**{spec.full_name}** already has its default ({default}).",
                                                    ephemeral=True)
        else:
            await interaction.response.send_message(
                f"**{spec.full_name}** is back to its default {default} (history #{entry.id}).", ephemeral=True)

    @app_commands.command(name="history", description="Recent changes to the settings, newest first")
    @app_commands.describe(setting="only this setting (scope.key)", before="show entries older than this id")
    @app_commands.autocomplete(setting=_names)
    @app_commands.guild_only()
    @manage_guild_only()
    async def history(self, interaction: discord.Interaction, setting: str | None = None,
                      before: app_commands.Range[int, 1, 2_147_483_647] | None = None) -> None:
        assert interaction.guild_id is not None
        spec = self._spec(setting) if setting else None
        entries = await self._answer(interaction, self.bot.settings.history(
            interaction.guild_id, spec.scope if spec else None, spec.key if spec else None,
            before_id=before, limit=HISTORY_PAGE))
        if not entries:
            await interaction.response.send_message("No changes recorded yet.", ephemeral=True)
            return
        embed = discord.Embed(title="Settings history", description="\n".join(self._line(e) for e in entries))
        if len(entries) == HISTORY_PAGE:
            embed.set_footer(text=f"Older changes: /settings history before:{entries[-1].id}")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    def _line(self, entry: HistoryEntry) -> str:
        spec = self.bot.settings.registry.lookup(entry.scope, entry.key)
        show = (lambda v: self._show(spec, v)) if spec else (lambda v: safe(str(v), 60))
        when = discord.utils.format_dt(entry.changed_at, "R")
        who = f" by <@{entry.changed_by}>" if entry.changed_by else ""
        change = {"deleted": f"reset (was {show(entry.old_value)})"}.get(
            entry.change_type, f"{entry.change_type}: {show(entry.new_value)}")
        return f"`#{entry.id}` {when} **{entry.scope}.{entry.key}** {change}{who}"

    @app_commands.command(name="rollback", description="Put a setting back to the value a history entry recorded")
    @app_commands.describe(history_id="the # of the entry (see /settings history)")
    @app_commands.guild_only()
    @manage_guild_only()
    async def rollback(self, interaction: discord.Interaction,
                       history_id: app_commands.Range[int, 1, 2_147_483_647]) -> None:
        assert interaction.guild_id is not None
        entry = await self._answer(interaction, self.bot.settings.rollback(
            interaction.guild_id, history_id, changed_by=interaction.user.id, actor=interaction.user))
        spec = self.bot.settings.registry.get(entry.scope, entry.key)
        await interaction.response.send_message(
            f"**{spec.full_name}** rolled back to #{history_id}: now {self._show(spec, entry.new_value)} "
            f"(history #{entry.id}).", ephemeral=True)
