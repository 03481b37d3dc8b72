"""The per-guild gate: a plugin switched off in a guild does nothing there.

One place decides, for slash commands, components (buttons, selects, modals) and event
listeners alike, so that no plugin has to remember to check (Red-DiscordBot left
listeners to each cog, and its users suffered for years). Plugins *declare* who may
use a command (``@manage_guild_only()``, ``@staff_only()``); the gate enforces it.

Ownership: a command belongs to the plugin whose cog defines it; a component belongs
to the plugin its ``custom_id`` starts with (``tickets:claim:42``); a listener belongs
to its cog's plugin.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import discord
from discord import app_commands

from alphapy.errors import AccessDenied, PluginDisabled, report_interaction_error, send_ephemeral
from alphapy.log import get_logger, log_context
from alphapy.staff_roles import staff_role_ids

if TYPE_CHECKING:
    from discord.ext import commands

    from alphapy.settings import SettingsService

log = get_logger(__name__)

Access = Literal["manage_guild", "staff"]
ACCESS_ATTRIBUTE = "__alphapy_access__"
CUSTOM_ID_SEPARATOR = ":"
T = TypeVar("T")


def _declare(level: Access) -> Callable[[T], T]:
    def decorator(target: T) -> T:
        if isinstance(target, (app_commands.Command, app_commands.Group)):
            target.extras[ACCESS_ATTRIBUTE] = level
            if level == "manage_guild":
                target.default_permissions = discord.Permissions(manage_guild=True)
        else:
            setattr(target, ACCESS_ATTRIBUTE, level)
            if level == "manage_guild":
                app_commands.default_permissions(manage_guild=True)(target)
        return target

    return decorator


def manage_guild_only() -> Callable[[T], T]:
    """Only members with Manage Server (or Administrator) may use this command or group."""
    return _declare("manage_guild")


def staff_only() -> Callable[[T], T]:
    """Members with Manage Server, the server's ``core.staff_role``, or the plugin's
    own ``<plugin>.staff_role`` setting (when the plugin declares one)."""
    return _declare("staff")


STAFF_REFUSAL = "Only staff can use this."


async def require_staff(interaction: discord.Interaction, refusal: str = STAFF_REFUSAL, *,
                        plugin: str | None = None) -> None:
    """Refuse a component (button, select, modal) to anyone but staff, by ``@staff_only()``'s rule.

    A component has no declaration for the gate to enforce, so its handler calls this first,
    inside ``answering_errors``: the member is told ``refusal`` in one sentence. The
    plugin whose ``staff_role`` also counts is ``plugin``, else the one the custom id names.
    """
    gate: Gate | None = getattr(interaction.client, "gate", None)
    member = interaction.user
    if plugin is None and gate is not None:
        custom_id = dict(interaction.data or {}).get("custom_id")
        plugin = gate.component_plugin(custom_id) if isinstance(custom_id, str) else None
    if gate is None or not isinstance(member, discord.Member) or not await gate.is_staff(member, plugin):
        raise AccessDenied(refusal)


def access_level(command: Any) -> Access | None:
    """The strictest level declared on the command or any group above it."""
    levels: list[str] = []
    node = command
    while node is not None:
        level = getattr(node, "extras", {}).get(ACCESS_ATTRIBUTE) or getattr(
            getattr(node, "callback", None), ACCESS_ATTRIBUTE, None
        )
        if level:
            levels.append(level)
        node = getattr(node, "parent", None)
    if "manage_guild" in levels:
        return "manage_guild"
    return "staff" if "staff" in levels else None


def _guild_id_of(args: tuple[Any, ...]) -> int | None:
    """The guild an event concerns, from its first argument that tells."""
    for arg in args:
        if isinstance(arg, discord.Guild):
            return arg.id
        guild = getattr(arg, "guild", None)
        if isinstance(guild, discord.Guild):
            return guild.id
        guild_id = getattr(arg, "guild_id", None)
        if isinstance(guild_id, int):
            return guild_id
    return None


class Gate:
    """Knows which plugin owns what, and asks the settings whether it is on."""

    def __init__(self, settings: SettingsService) -> None:
        self.settings = settings
        self.command_owner: dict[str, str] = {}  # root command name -> plugin
        self.plugins: set[str] = set()

    # --- registration ---------------------------------------------------------------
    def adopt_cog(self, cog: commands.Cog, plugin: str) -> None:
        """Record the cog's commands as the plugin's and gate its listeners (before add_cog)."""
        self.plugins.add(plugin)
        cog.__alphapy_plugin__ = plugin  # type: ignore[attr-defined]
        for command in cog.__cog_app_commands__:
            self.command_owner[command.name] = plugin
        if cog.__cog_app_commands_group__ is not None:
            self.command_owner[cog.__cog_app_commands_group__.name] = plugin
        for _event, method_name in cog.__cog_listeners__:
            method = getattr(cog, method_name)
            setattr(cog, method_name, self._gated_listener(plugin, method))

    def _gated_listener(self, plugin: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def gated(*args: Any, **kwargs: Any) -> Any:
            guild_id = _guild_id_of(args)
            if guild_id is not None and not await self.settings.is_enabled(guild_id, plugin):
                return None
            with log_context(plugin=plugin, guild_id=guild_id):
                return await method(*args, **kwargs)

        return gated

    def plugin_of(self, command: Any) -> str | None:
        root = getattr(command, "root_parent", None) or command
        return self.command_owner.get(getattr(root, "name", ""))

    # --- application commands -------------------------------------------------------------
    async def check_command(self, interaction: discord.Interaction, command: Any) -> None:
        """Raise :class:`PluginDisabled` or :class:`AccessDenied`; return when allowed."""
        plugin = self.plugin_of(command)
        if plugin is not None and interaction.guild_id is not None:
            if not await self.settings.is_enabled(interaction.guild_id, plugin):
                raise PluginDisabled(plugin)
        level = access_level(command)
        if level is not None:
            await self.check_access(interaction, level, plugin)

    async def check_access(self, interaction: discord.Interaction, level: Access, plugin: str | None) -> None:
        if interaction.guild is None or not isinstance(interaction.user, discord.Member):
            raise AccessDenied("This command works in a server, not in direct messages.")
        member = interaction.user
        permissions = member.guild_permissions
        if permissions.manage_guild or permissions.administrator:
            return
        if level == "staff" and await self._is_staff(member, plugin):
            return
        who = "server managers (Manage Server)" if level == "manage_guild" else "staff"
        raise AccessDenied(f"Only {who} can use this command.")

    async def is_staff(self, member: discord.Member, plugin: str | None = None) -> bool:
        """Whether ``member`` counts as staff for ``plugin``, by the rule ``@staff_only()`` uses.

        For components and listeners, which have no declaration to enforce: a plugin can
        refuse a button with its own sentence ("Only staff can claim tickets.").
        """
        permissions = member.guild_permissions
        if permissions.manage_guild or permissions.administrator:
            return True
        return await self._is_staff(member, plugin)

    async def _is_staff(self, member: discord.Member, plugin: str | None) -> bool:
        staff_roles = await staff_role_ids(self.settings, member.guild.id, plugin)
        return any(role.id in staff_roles for role in member.roles)

    # --- components ---------------------------------------------------------------------
    def component_plugin(self, custom_id: str) -> str | None:
        prefix = custom_id.split(CUSTOM_ID_SEPARATOR, 1)[0]
        return prefix if prefix in self.plugins else None

    def install_component_gate(self, state: Any, loop_task: Callable[[Awaitable[Any]], Any]) -> None:
        """Wrap discord.py's INTERACTION_CREATE parser: gated plugins' components wait for the gate."""
        original = state.parsers["INTERACTION_CREATE"]

        def parse(data: dict[str, Any]) -> None:
            if data.get("type") in (3, 5) and data.get("guild_id"):
                plugin = self.component_plugin(str(data.get("data", {}).get("custom_id", "")))
                if plugin is not None:
                    loop_task(self._gate_component(state, data, plugin, original))
                    return
            original(data)

        state.parsers["INTERACTION_CREATE"] = parse

    async def _gate_component(self, state: Any, data: dict[str, Any], plugin: str,
                              original: Callable[[dict[str, Any]], None]) -> None:
        # This runs in a task of its own that nobody awaits: a failure here (the database
        # away) must be answered and logged here, or the member sees "interaction failed".
        try:
            enabled = await self.settings.is_enabled(int(data["guild_id"]), plugin)
        except Exception as exc:
            interaction = discord.Interaction(data=data, state=state)  # type: ignore[arg-type]
            custom_id = str(data.get("data", {}).get("custom_id", ""))
            with log_context(plugin=plugin, guild_id=interaction.guild_id):
                await report_interaction_error(interaction, exc, plugin=plugin, command=f"{plugin} {custom_id}")
            return
        if enabled:
            original(data)
            return
        interaction = discord.Interaction(data=data, state=state)  # type: ignore[arg-type]
        await send_ephemeral(interaction, str(PluginDisabled(plugin)))
