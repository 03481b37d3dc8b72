"""Using application commands like a person: slash commands, autocomplete, context menus."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import permissions as perms
from ..interactions import APPLICATION_COMMAND, AUTOCOMPLETE, AutocompleteChoice, Interaction
from ..permissions import P
from ..state import ApplicationCommand, Channel, Guild, Member, Message, User
from .delivery import DeliveryDriver
from .options import SUB_COMMAND, SUB_COMMAND_GROUP, OptionDriver, driver_options


class CommandDriver(OptionDriver, DeliveryDriver):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    async def slash(
        self,
        member: Member | User,
        command: str,
        /,
        in_channel: Channel | str | None = None,
        *,
        options: Mapping[str, Any] | Any = None,
        timeout: float | None = None,
        locale: str = "en-US",
        check_permissions: bool = True,
        **kwoptions: Any,
    ) -> Interaction:
        """Use ``/command`` (``"settings set"`` for a subcommand) as ``member``.

        Options come as keyword arguments (or ``options={...}`` for names that clash with
        this method's parameters: ``timeout``, ``locale``, ...); channel/role/user/member
        options take state objects. A command option itself named ``options`` may also be
        given as ``options="..."``: a value that is not a mapping is that option's value.
        ``in_channel`` defaults to the guild's first channel the member can see; a
        :class:`User` (not a member) uses the command in the bot's DMs. Returns once the bot
        answered; deferred answers wait for the follow-up or the ``@original`` edit.
        """
        given = driver_options(options, kwoptions)
        interaction = self._command_interaction(
            member,
            command,
            in_channel,
            given,
            kind=APPLICATION_COMMAND,
            locale=locale,
            check_permissions=check_permissions,
        )
        return await self._deliver(interaction, timeout)

    async def autocomplete(
        self,
        member: Member | User,
        command: str,
        /,
        *,
        focused: str,
        value: Any = "",
        in_channel: Channel | str | None = None,
        options: Mapping[str, Any] | Any = None,
        timeout: float | None = None,
        **kwoptions: Any,
    ) -> list[AutocompleteChoice]:
        """Type ``value`` into option ``focused`` of ``/command``; returns the bot's choices.

        The other options come as for :meth:`slash`."""
        given = {**driver_options(options, kwoptions), focused: value}
        interaction = self._command_interaction(
            member,
            command,
            in_channel,
            given,
            kind=AUTOCOMPLETE,
            focused=focused,
            locale="en-US",
            check_permissions=True,
        )
        await self._deliver(interaction, timeout)
        return list(interaction.choices or [])

    async def context_menu(
        self,
        member: Member | User,
        name: str,
        target: Member | User | Message,
        /,
        *,
        timeout: float | None = None,
        check_permissions: bool = True,
    ) -> Interaction:
        """Use the context-menu command ``name`` on a user (type 2) or a message (type 3)."""
        kind = 3 if isinstance(target, Message) else 2
        who, user, guild = self._who(member)
        app = self.state.application
        pool = list(app.guild_commands.get(guild.id, {}).values()) if guild is not None else []
        pool += list(app.commands.values())
        cmd = next((c for c in pool if c.name == name and c.type == kind), None)
        if cmd is None:
            synced = sorted(c.name for c in pool if c.type == kind)
            what = "message" if kind == 3 else "user"
            raise LookupError(f"no {what} context menu {name!r} is synced; synced: {synced}")
        resolved: dict[str, dict[str, Any]] = {}
        if isinstance(target, Message):
            channel = target.channel
            resolved["messages"] = {str(target.id): target.payload()}
        else:
            channel = self._pick_channel(who, user, guild, None)
            self._resolve_user(target, guild, channel, resolved)
        if check_permissions and who is not None:
            self._check_command_allowed(who, channel, cmd)
        data: dict[str, Any] = {
            "id": str(cmd.id),
            "name": cmd.name,
            "type": kind,
            "target_id": str(target.id),
            "resolved": resolved,
        }
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        interaction = Interaction(
            self.state.ids.next(), APPLICATION_COMMAND, user, who, guild, channel, data, name=f"{name!r} (context menu)"
        )
        return await self._deliver(interaction, timeout)

    def _command_interaction(
        self,
        who: Member | User,
        command: str,
        in_channel: Channel | str | None,
        given: dict[str, Any],
        *,
        kind: int,
        locale: str,
        check_permissions: bool,
        focused: str | None = None,
    ) -> Interaction:
        parts = command.strip().lstrip("/").split()
        if not parts:
            raise ValueError("empty command name")
        member, user, guild = self._who(who)
        channel = self._pick_channel(member, user, guild, in_channel)
        cmd, path, defs = self._find_command(parts, guild)
        if check_permissions and member is not None:
            self._check_command_allowed(member, channel, cmd)
        elif check_permissions and guild is None:
            contexts = cmd.data.get("contexts")
            if cmd.data.get("dm_permission") is False or (contexts is not None and 1 not in contexts):
                raise PermissionError(f"/{cmd.name} cannot be used in DMs with the bot")
        resolved: dict[str, dict[str, Any]] = {}
        built = self._build_options(command, defs, given, guild, channel, resolved, focused=focused)
        # nest the leaf options under the subcommand path
        for sub in reversed(path):
            built = [{"name": sub["name"], "type": sub["type"], "options": built}]
        data: dict[str, Any] = {"id": str(cmd.id), "name": cmd.name, "type": cmd.type}
        if built:
            data["options"] = built
        if resolved:
            data["resolved"] = resolved
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        interaction = Interaction(
            self.state.ids.next(), kind, user, member, guild, channel, data, name="/" + " ".join(parts)
        )
        interaction.locale = locale
        return interaction

    def _find_command(
        self, parts: list[str], guild: Guild | None
    ) -> tuple[ApplicationCommand, list[dict[str, Any]], list[dict[str, Any]]]:
        app = self.state.application
        top = parts[0]
        pool: list[ApplicationCommand] = []
        if guild is not None:
            pool.extend(app.guild_commands.get(guild.id, {}).values())
        pool.extend(app.commands.values())
        cmd = next((c for c in pool if c.name == top and c.type == 1), None)
        if cmd is None:
            synced = sorted({"/" + c.name for c in pool if c.type == 1})
            hint = " Did the bot sync its command tree (await bot.tree.sync())?" if not synced else ""
            raise LookupError(
                f"no slash command /{top} is synced{' for ' + guild.name if guild else ''}; synced: {synced}.{hint}"
            )
        defs = cmd.options
        path: list[dict[str, Any]] = []
        for part in parts[1:]:
            sub = next(
                (o for o in defs if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) and o.get("name") == part), None
            )
            if sub is None:
                subs = [o["name"] for o in defs if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
                raise LookupError(f"/{' '.join(parts[: len(path) + 1])} has no subcommand {part!r}; it has {subs}")
            path.append(sub)
            defs = sub.get("options") or []
        subs = [o["name"] for o in defs if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if subs:
            raise LookupError(f"/{' '.join(parts)} is a group; name a subcommand: {subs}")
        return cmd, path, defs

    def _check_command_allowed(
        self, member: Member, channel: Channel, cmd: ApplicationCommand
    ) -> None:
        granted = perms.permissions_for(member, channel)
        if not granted & P.VIEW_CHANNEL:
            raise PermissionError(f"{member.name} cannot see #{channel.name}")
        if not granted & P.USE_APPLICATION_COMMANDS:
            raise PermissionError(f"{member.name} may not use application commands in #{channel.name}")
        contexts = cmd.data.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise PermissionError(f"/{cmd.name} cannot be used in guilds (contexts={contexts})")
        required = cmd.data.get("default_member_permissions")
        if required in (None, ""):
            return
        needed = int(required)
        base = perms.base_permissions(member)
        # "0" means: nobody but administrators (and the owner)
        if base != perms.ALL and (needed == 0 or base & needed != needed):
            what = perms.names(needed) if needed else ["administrator"]
            raise PermissionError(
                f"Discord hides /{cmd.name} from {member.name}: it needs {what} "
                f"(default_member_permissions). Pass check_permissions=False to act as if a server admin "
                f"allowed it in the integration settings."
            )

    def commands(self, guild: Guild | None = None) -> list[ApplicationCommand]:
        """The commands the bot synced: global ones, plus ``guild``'s when given."""
        app = self.state.application
        found = list(app.commands.values())
        if guild is not None:
            found += list(app.guild_commands.get(guild.id, {}).values())
        return found
