"""Test drivers that read like a person using Discord.

``await emu.slash(alice, "settings set", key="lang", value="fr")`` builds the interaction
Discord would send for the command the bot synced (subcommands, option types and
``resolved`` data taken from that definition), delivers it over the gateway and returns
once the bot has answered, with the answer. ``click``, ``select`` and ``submit_modal`` do the
same for components and modals; ``post``, ``member_join``, ``member_leave`` and
``pass_screening`` make things happen in a guild and wait until the bot has reacted.

A person can only do what Discord lets them do: use a command they can see, click in a
channel they can see, fill a required field. When the bot does not answer in time, the
error says what it did instead (the requests it made meanwhile).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import permissions as perms
from .interactions import (
    APPLICATION_COMMAND,
    ATTACHMENT_SIZE_LIMIT,
    AUTOCOMPLETE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    AutocompleteChoice,
    Interaction,
)
from .interactions import delete_message as remove_message
from .messages import (
    SELECT_TYPES,
    UploadedFile,
    apply_edit,
    create_message,
    walk_components,
)
from .permissions import P
from .state import (
    DM,
    ApplicationCommand,
    Attachment,
    Channel,
    Entitlement,
    Guild,
    Member,
    Message,
    Role,
    User,
    iso,
)

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

# Application command option types
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10
ATTACHMENT = 11

_OPTION_TYPE_NAMES = {
    3: "string",
    4: "integer",
    5: "boolean",
    6: "user",
    7: "channel",
    8: "role",
    9: "mentionable",
    10: "number",
    11: "attachment",
}


class EmulatorTimeout(AssertionError):
    """The bot did not do what the test waited for, in time (the message says what it did)."""


def driver_options(options: Mapping[str, Any] | Any, kwoptions: Mapping[str, Any]) -> dict[str, Any]:
    """The option values of one command use, from ``options=`` and the keyword arguments.

    ``options=`` is the way to pass options named like a driver parameter, but a command
    may itself have an option named ``options`` (onboarding's questions do): a mapping is
    read as option values, anything else as the value of that option, so neither spelling
    ends in a bare ``TypeError``.
    """
    if options is None:
        return dict(kwoptions)
    if isinstance(options, Mapping):
        return {**options, **kwoptions}
    return {"options": options, **kwoptions}


class DriversMixin:
    """The person-like drivers of :class:`~.emulator.DiscordEmulator`."""

    # ------------------------------------------------------------------ slash commands
    async def slash(
        self: DiscordEmulator,
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
        self: DiscordEmulator,
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
        self: DiscordEmulator,
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
        self: DiscordEmulator,
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
        self: DiscordEmulator, parts: list[str], guild: Guild | None
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
        self: DiscordEmulator, member: Member, channel: Channel, cmd: ApplicationCommand
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

    def _build_options(
        self: DiscordEmulator,
        command: str,
        defs: list[dict[str, Any]],
        given: dict[str, Any],
        guild: Guild | None,
        channel: Channel,
        resolved: dict[str, dict[str, Any]],
        *,
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        by_name = {d["name"]: d for d in defs}

        def definition(key: str) -> dict[str, Any]:
            d = by_name.get(key) or by_name.get(key.replace("_", "-"))
            if d is None:
                raise TypeError(f"/{command} has no option {key!r}; options: {list(by_name)}")
            return d

        focused_name = definition(focused)["name"] if focused is not None else None
        built: list[dict[str, Any]] = []
        for key, value in given.items():
            d = definition(key)
            if value is None:
                continue
            option: dict[str, Any] = {"name": d["name"], "type": d["type"]}
            if d["name"] == focused_name:
                option["value"] = str(value) if d["type"] not in (INTEGER, NUMBER) or isinstance(value, str) else value
                option["focused"] = True
            else:
                option["value"] = self._option_value(command, d, value, guild, channel, resolved)
            built.append(option)
        if focused is None:
            names = {o["name"] for o in built}
            missing = [d["name"] for d in defs if d.get("required") and d["name"] not in names]
            if missing:
                raise TypeError(f"/{command}: missing required option(s) {missing}")
        return built

    def _option_value(
        self: DiscordEmulator,
        command: str,
        d: dict[str, Any],
        value: Any,
        guild: Guild | None,
        channel: Channel,
        resolved: dict[str, dict[str, Any]],
    ) -> Any:
        kind = d["type"]
        name = d["name"]
        choices = d.get("choices") or []
        if kind in (STRING, INTEGER, NUMBER) and choices:
            for choice in choices:
                if choice["value"] == value or choice["name"] == value:
                    value = choice["value"]
                    break
            else:
                raise ValueError(
                    f"/{command} {name}: {value!r} is not one of the choices {[c['name'] for c in choices]}"
                )
        if kind == STRING:
            text = str(value)
            if (
                d.get("min_length") is not None
                and len(text) < d["min_length"]
                or (d.get("max_length") is not None and len(text) > d["max_length"])
            ):
                raise ValueError(
                    f"/{command} {name}: length {len(text)} outside {d.get('min_length')}..{d.get('max_length')}"
                )
            return text
        if kind in (INTEGER, NUMBER):
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise TypeError(f"/{command} {name} takes a number, not {value!r}")
            number: int | float = int(value) if kind == INTEGER else float(value)
            if (
                d.get("min_value") is not None
                and number < d["min_value"]
                or (d.get("max_value") is not None and number > d["max_value"])
            ):
                raise ValueError(f"/{command} {name}: {number} outside {d.get('min_value')}..{d.get('max_value')}")
            return number
        if kind == BOOLEAN:
            if not isinstance(value, bool):
                raise TypeError(f"/{command} {name} takes True or False, not {value!r}")
            return value
        if kind in (USER, MENTIONABLE) and isinstance(value, (Member, User)):
            self._resolve_user(value, guild, channel, resolved)
            return str(value.id)
        if kind in (ROLE, MENTIONABLE) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if kind == CHANNEL and isinstance(value, Channel):
            types = d.get("channel_types")
            if types and value.type not in types:
                raise ValueError(
                    f"/{command} {name}: #{value.name} (type {value.type}) is not one of channel types {types}"
                )
            self._resolve_channel(value, guild, resolved)
            return str(value.id)
        if kind == ATTACHMENT:
            attachment = self._as_attachment(value, channel)
            resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.payload()
            return str(attachment.id)
        expected = _OPTION_TYPE_NAMES.get(kind, str(kind))
        raise TypeError(f"/{command} {name} is a {expected} option; got {value!r}")

    def _resolve_user(
        self: DiscordEmulator,
        value: Member | User,
        guild: Guild | None,
        channel: Channel,
        resolved: dict[str, dict[str, Any]],
    ) -> None:
        user = value.user if isinstance(value, Member) else value
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        member = value if isinstance(value, Member) else (guild.members.get(user.id) if guild else None)
        if member is not None:
            data = member.payload(user=False)
            data["permissions"] = str(perms.permissions_for(member, channel))
            resolved.setdefault("members", {})[str(user.id)] = data

    def _resolve_channel(
        self: DiscordEmulator, value: Channel, guild: Guild | None, resolved: dict[str, dict[str, Any]]
    ) -> None:
        data = value.payload()
        if guild is not None:
            data["permissions"] = str(perms.permissions_for(guild.me, value))
        resolved.setdefault("channels", {})[str(value.id)] = data

    def _as_attachment(self: DiscordEmulator, value: Any, channel: Channel) -> Attachment:
        if isinstance(value, Attachment):
            return value
        if isinstance(value, tuple) and len(value) in (2, 3):
            filename, data = value[0], value[1]
            content_type = value[2] if len(value) == 3 else None
            if isinstance(data, str):
                data = data.encode()
            return self.state.new_attachment(channel.id, filename, bytes(data), content_type)
        raise TypeError(f"an attachment is (filename, bytes[, content_type]) or an Attachment, not {value!r}")

    # ------------------------------------------------------------------ components & modals
    async def click(
        self: DiscordEmulator,
        message: Message | Interaction,
        label_or_custom_id: str,
        *,
        by: Member | User | None = None,
        timeout: float | None = None,
    ) -> Interaction:
        """Click the button with this label (or custom id) on ``message``."""
        msg = self._as_message(message)
        buttons = [c for c in walk_components(msg.components) if c.get("type") == 2]
        button = next((b for b in buttons if b.get("custom_id") == label_or_custom_id), None) or next(
            (b for b in buttons if b.get("label") == label_or_custom_id), None
        )
        if button is None:
            labels = [b.get("label") or b.get("custom_id") for b in buttons]
            raise LookupError(f"no button {label_or_custom_id!r} on message {msg.id}; buttons: {labels}")
        if button.get("disabled"):
            raise PermissionError(f"button {label_or_custom_id!r} is disabled")
        if not button.get("custom_id"):
            raise ValueError(f"button {label_or_custom_id!r} is a link/premium button; it sends no interaction")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        if isinstance(button.get("id"), int):
            data["id"] = button["id"]
        name = f"button {button.get('label') or button['custom_id']!r}"
        return await self._use_component(msg, by, lambda _guild: data, name, timeout)

    async def _use_component(
        self: DiscordEmulator,
        msg: Message,
        by: Member | User | None,
        build: Any,
        name: str,
        timeout: float | None,
    ) -> Interaction:
        """Send the MESSAGE_COMPONENT interaction that ``build(guild)`` describes, by ``by``."""
        member, user, guild = self._actor(by, msg)
        interaction = Interaction(
            self.state.ids.next(), MESSAGE_COMPONENT, user, member, guild, msg.channel, build(guild),
            name=name, message=msg,
        )
        return await self._deliver(interaction, timeout)

    async def select(
        self: DiscordEmulator,
        message: Message | Interaction,
        values: Any,
        *,
        by: Member | User | None = None,
        custom_id: str | None = None,
        timeout: float | None = None,
    ) -> Interaction:
        """Pick ``values`` in a select menu of ``message`` (string select: option values or
        labels; user/role/channel selects: state objects). ``custom_id`` picks the menu when
        the message has several."""
        msg = self._as_message(message)
        selects = [c for c in walk_components(msg.components) if c.get("type") in SELECT_TYPES]
        if custom_id is not None:
            menu = next((s for s in selects if s.get("custom_id") == custom_id), None)
        elif len(selects) == 1:
            menu = selects[0]
        else:
            menu = None
        if menu is None:
            raise LookupError(
                f"pick a select menu on message {msg.id} with custom_id=; menus: {[s.get('custom_id') for s in selects]}"
            )
        if menu.get("disabled"):
            raise PermissionError(f"select {menu.get('custom_id')!r} is disabled")
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            values = [values]
        values = list(values)
        low, high = menu.get("min_values", 1), menu.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ValueError(f"select {menu.get('custom_id')!r} takes {low}..{high} values, got {len(values)}")

        def build(guild: Any) -> dict[str, Any]:
            resolved: dict[str, dict[str, Any]] = {}
            chosen = self._select_values(menu, values, guild, msg.channel, resolved)
            data: dict[str, Any] = {"custom_id": menu["custom_id"], "component_type": menu["type"], "values": chosen}
            if resolved:
                data["resolved"] = resolved
            return data

        return await self._use_component(msg, by, build, f"select {menu['custom_id']!r}", timeout)

    def _select_values(
        self: DiscordEmulator,
        menu: dict[str, Any],
        values: list[Any],
        guild: Guild | None,
        channel: Channel,
        resolved: dict[str, dict[str, Any]],
    ) -> list[str]:
        kind = menu["type"]
        chosen: list[str] = []
        if kind == 3:
            options = menu.get("options") or []
            for value in values:
                option = next((o for o in options if o.get("value") == value), None) or next(
                    (o for o in options if o.get("label") == value), None
                )
                if option is None:
                    raise LookupError(
                        f"select {menu.get('custom_id')!r} has no option {value!r}; options: {[o.get('label') for o in options]}"
                    )
                chosen.append(option["value"])
            return chosen
        for value in values:
            if isinstance(value, (Member, User)) and kind in (5, 7):
                self._resolve_user(value, guild, channel, resolved)
            elif isinstance(value, Role) and kind in (6, 7):
                resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            elif isinstance(value, Channel) and kind == 8:
                types = menu.get("channel_types")
                if types and value.type not in types:
                    raise ValueError(f"#{value.name} is not one of channel types {types}")
                self._resolve_channel(value, guild, resolved)
            else:
                raise TypeError(f"select {menu.get('custom_id')!r} (type {kind}) cannot take {value!r}")
            chosen.append(str(value.id))
        return chosen

    async def submit_modal(
        self: DiscordEmulator,
        interaction: Interaction,
        values: Mapping[str, Any],
        *,
        by: Member | User | None = None,
        timeout: float | None = None,
    ) -> Interaction:
        """Fill and submit the modal the bot opened in answer to ``interaction``.

        ``values`` maps a field's custom id or label to its text (select fields: a value or
        list of values). Fields left out keep their pre-filled value."""
        modal = interaction.modal
        if modal is None:
            answer = "nothing" if interaction.response_type is None else f"callback type {interaction.response_type}"
            raise LookupError(f"the bot did not open a modal for {interaction.name} (it answered with {answer})")
        given: dict[str, Any] = {}
        resolved: dict[str, dict[str, Any]] = {}
        for key, value in values.items():
            given[modal.field(key).custom_id] = value

        def submitted(component: dict[str, Any]) -> dict[str, Any]:
            ctype = component.get("type")
            custom_id = component.get("custom_id")
            out: dict[str, Any] = {"type": ctype}
            if isinstance(component.get("id"), int):
                out["id"] = component["id"]
            if custom_id is None:
                return out
            out["custom_id"] = custom_id
            field = modal.field(custom_id)
            if ctype == 4:
                text = given.get(custom_id, field.value)
                text = "" if text is None else str(text)
                if field.required and not text:
                    raise ValueError(f"modal field {field.label or custom_id!r} is required")
                if text and (
                    field.min_length
                    and len(text) < field.min_length
                    or field.max_length
                    and len(text) > field.max_length
                ):
                    raise ValueError(
                        f"modal field {field.label or custom_id!r}: length {len(text)} outside {field.min_length}..{field.max_length}"
                    )
                out["value"] = text
            elif ctype == 21:  # radio group: one value
                out["value"] = given.get(custom_id)
            elif ctype == 23:  # checkbox
                out["value"] = bool(given.get(custom_id, False))
            else:  # selects, checkbox groups, file uploads: a list of values
                chosen = given.get(custom_id, [])
                if isinstance(chosen, (str, bytes, tuple)) or not isinstance(chosen, Iterable):
                    chosen = [chosen]
                chosen = list(chosen)
                if field.required and not chosen:
                    raise ValueError(f"modal field {field.label or custom_id!r} is required")
                if ctype == 19:
                    found = [self._as_attachment(v, interaction.channel) for v in chosen]
                    resolved.setdefault("attachments", {}).update({str(a.id): a.payload() for a in found})
                    out["values"] = [str(a.id) for a in found]
                elif ctype in SELECT_TYPES:
                    out["values"] = self._select_values(
                        component, chosen, interaction.guild, interaction.channel, resolved
                    )
                else:
                    out["values"] = [str(getattr(v, "id", v)) for v in chosen]
            return out

        components: list[dict[str, Any]] = []
        for comp in modal.components:
            ctype = comp.get("type")
            if ctype == 18 and isinstance(comp.get("component"), dict):
                row: dict[str, Any] = {"type": 18, "component": submitted(comp["component"])}
                if isinstance(comp.get("id"), int):
                    row["id"] = comp["id"]
                components.append(row)
            elif ctype == 1:
                components.append({"type": 1, "components": [submitted(c) for c in comp.get("components") or []]})
            elif comp.get("custom_id") is not None:
                components.append(submitted(comp))
        member, user, guild = (
            self._who(by) if by is not None else (interaction.member, interaction.user, interaction.guild)
        )
        data: dict[str, Any] = {"custom_id": modal.custom_id, "components": components}
        if resolved:
            data["resolved"] = resolved
        submit = Interaction(
            self.state.ids.next(),
            MODAL_SUBMIT,
            user,
            member,
            guild,
            interaction.channel,
            data,
            name=f"modal {modal.title!r}",
            message=interaction.message,
            parent=interaction,
        )
        return await self._deliver(submit, timeout)

    # ------------------------------------------------------------------ delivery
    def _interaction_payload(self: DiscordEmulator, it: Interaction) -> dict[str, Any]:
        state = self.state
        app = state.application
        locale = it.locale
        channel = it.channel
        channel_data = channel.payload()
        payload: dict[str, Any] = {
            "id": str(it.id),
            "application_id": str(app.id),
            "type": it.type,
            "data": it.data,
            "token": it.token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": channel_data,
            "locale": locale,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "entitlement_sku_ids": [],
        }
        entitlements = [
            e
            for e in app.entitlements
            if not e.deleted
            and not e.ended
            and (e.user_id == it.user.id or (it.guild is not None and e.guild_id == it.guild.id))
        ]
        payload["entitlements"] = [e.payload() for e in entitlements]
        if it.guild is not None and it.member is not None:
            guild = it.guild
            member_perms = perms.permissions_for(it.member, channel)
            channel_data["permissions"] = str(member_perms)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": list(guild.features)},
                guild_locale=guild.preferred_locale,
                member={**it.member.payload(), "permissions": str(member_perms)},
                app_permissions=str(perms.permissions_for(guild.me, channel)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=it.user.payload(),
                app_permissions=str(
                    P.VIEW_CHANNEL
                    | P.SEND_MESSAGES
                    | P.EMBED_LINKS
                    | P.ATTACH_FILES
                    | P.READ_MESSAGE_HISTORY
                    | P.ADD_REACTIONS
                ),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if it.message is not None:
            payload["message"] = it.message.payload()
        return payload

    async def _deliver(self: DiscordEmulator, it: Interaction, timeout: float | None) -> Interaction:
        guild_id = it.guild.id if it.guild is not None else None
        # A session that is resuming counts: the interaction waits in its replay buffer,
        # as Discord would hold it, and is delivered when the bot is back.
        sessions = [s for s in self.gateway.sessions.values() if not s.invalid and s.wants(guild_id)]
        if not sessions:
            connected = [f"{s.shard_id}/{s.shard_count}" for s in self.gateway.connected_sessions]
            raise EmulatorTimeout(
                f"no connected bot shard handles {it.guild.name if it.guild else 'DMs'} "
                f"(connected shards: {connected or 'none'}); start the bot before driving it"
            )
        self.interactions.register(it)
        it.request_index = self._request_seq + 1
        payload = self._interaction_payload(it)
        it.created = self.clock.now()
        self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            await asyncio.wait_for(it._acked.wait(), timeout)
        except TimeoutError:
            raise EmulatorTimeout(self._explain(it, f"did not answer within {timeout}s")) from None
        if it.response_type is None:
            raise EmulatorTimeout(self._explain(it, f"answered but Discord refused it: {it.callback_error}"))
        if it._answered.is_set():
            return it
        if it.response_type == DEFERRED_CHANNEL_MESSAGE:
            try:
                await asyncio.wait_for(it._answered.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise EmulatorTimeout(
                    self._explain(
                        it, f"deferred but sent no follow-up and did not edit the original response within {timeout}s"
                    )
                ) from None
            return it
        if it.response_type == DEFERRED_UPDATE_MESSAGE:
            # An acknowledged click may be all the bot does; wait for an edit until it is quiet.
            while not it._answered.is_set() and time.monotonic() < deadline:
                if self._is_quiet(self.quiet_period):
                    break
                try:
                    await asyncio.wait_for(it._answered.wait(), 0.005)
                except TimeoutError:
                    pass
            if it.response is None:
                it.response = it.original
        return it

    def _explain(self: DiscordEmulator, it: Interaction, what: str) -> str:
        where = f"#{it.channel.name}" if it.channel.name else "DMs"
        lines = [f"the bot {what}: {it.name} by {it.user.name} in {where} (interaction {it.id})."]
        if it.callback_error:
            lines.append(f"Its interaction callback was refused: {it.callback_error}.")
        lines.append("Requests the bot made meanwhile:")
        lines.append(self.requests.describe(it.request_index))
        shards = [f"{s.shard_id}/{s.shard_count}" for s in self.gateway.connected_sessions]
        lines.append(f"Connected shards: {shards or 'none'}.")
        if self.internal_errors:
            lines.append(f"Emulator internal errors: {self.internal_errors[-1].splitlines()[0]}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ helpers
    def _who(self: DiscordEmulator, who: Member | User) -> tuple[Member | None, User, Guild | None]:
        if isinstance(who, Member):
            return who, who.user, who.guild
        if isinstance(who, User):
            return None, who, None
        raise TypeError(f"expected a Member or User, got {who!r}")

    def _pick_channel(
        self: DiscordEmulator, member: Member | None, user: User, guild: Guild | None, in_channel: Channel | str | None
    ) -> Channel:
        if guild is None:
            if in_channel is not None and isinstance(in_channel, Channel):
                return in_channel
            return self.state.dm_channel(user)
        if in_channel is not None:
            return guild.channel(in_channel)
        assert member is not None
        for channel in guild.text_channels:
            if channel.visible_to(member):
                return channel
        raise LookupError(f"{member.name} can see no text channel in {guild.name}; pass in_channel=")

    def _as_message(self: DiscordEmulator, message: Message | Interaction) -> Message:
        if isinstance(message, Interaction):
            if message.response is None:
                raise LookupError(f"{message.name} has no answer message to interact with")
            return message.response
        if isinstance(message, Message):
            return message
        raise TypeError(f"expected a Message or an Interaction result, got {message!r}")

    def _actor(
        self: DiscordEmulator, by: Member | User | None, msg: Message
    ) -> tuple[Member | None, User, Guild | None]:
        guild = msg.channel.guild
        if by is None:
            if msg.interaction_user_id is None:
                raise ValueError("who clicks? pass by=member")
            user = self.state.users[msg.interaction_user_id]
            member = guild.members.get(user.id) if guild else None
            return member, user, guild
        member, user, _ = self._who(by)
        if guild is not None:
            member = guild.members.get(user.id)
            if member is None:
                raise PermissionError(f"{user.name} is not a member of {guild.name}")
            if not msg.channel.visible_to(member):
                raise PermissionError(f"{user.name} cannot see #{msg.channel.name}")
        if msg.ephemeral and msg.interaction_user_id not in (None, user.id):
            raise PermissionError(f"{user.name} cannot see an ephemeral message meant for someone else")
        return member, user, guild

    # ------------------------------------------------------------------ people doing things
    async def post(
        self: DiscordEmulator,
        channel: Channel,
        content: str = "",
        *,
        author: Member | User | None = None,
        embeds: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        components: Sequence[dict[str, Any]] | None = None,
        webhook: bool = False,
        reply_to: Message | None = None,
        settle: bool = True,
    ) -> Message:
        """``author`` (a person, another bot, or a webhook with ``webhook=True``) posts in
        ``channel``; MESSAGE_CREATE goes to the bot. Returns the message once the bot has
        settled (``settle=False`` returns at once). ``attachments`` are
        ``(filename, bytes, content_type)`` tuples; ``embeds`` dicts or ``discord.Embed``."""
        state = self.state
        if author is None:
            author = channel.guild.owner if channel.guild is not None else channel.recipients[0]
        user = author.user if isinstance(author, Member) else author
        webhook_id = None
        if webhook:
            webhook_id = state.ids.next()
            user = User(webhook_id, user.name if author is not None else "Webhook", bot=True)
        elif channel.guild is not None:
            member = channel.guild.members.get(user.id)
            if member is None:
                raise PermissionError(
                    f"{user.name} is not a member of {channel.guild.name}; add them first "
                    f"(guild.add_member({user.name!r}, user=user)) or post with webhook=True"
                )
            granted = perms.permissions_for(member, channel)
            needed = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
            if not granted & P.VIEW_CHANNEL or not granted & needed:
                raise PermissionError(f"{user.name} cannot post in #{channel.name}")
        elif channel.type == DM and not any(r.id == user.id for r in channel.recipients):
            raise PermissionError(f"{user.name} is not in this DM")
        files = []
        listed = []
        for index, item in enumerate(attachments or []):
            if isinstance(item, Attachment):
                item = (item.filename, item.data, item.content_type)
            filename, data = item[0], item[1]
            content_type = item[2] if len(item) > 2 else None
            if isinstance(data, str):
                data = data.encode()
            files.append(UploadedFile(index, filename, content_type, bytes(data)))
            listed.append({"id": index, "filename": filename})
        body: dict[str, Any] = {
            "content": content,
            "embeds": [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in embeds or []],
            "components": list(components or []),
            "attachments": listed,
        }
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(reply_to.id), "channel_id": str(reply_to.channel.id)}
        message = create_message(state, channel, user, body, files, webhook_id=webhook_id)
        if settle:
            await self.settle()
        return message

    async def edit_message(
        self: DiscordEmulator,
        message: Message,
        content: str | None = None,
        *,
        embeds: Sequence[Any] | None = None,
        settle: bool = True,
    ) -> Message:
        """The author (a person, another bot or a webhook) edits ``message``; MESSAGE_UPDATE
        goes to the bot with the whole new message, as Discord sends it. Only what is
        given changes (``embeds=[]`` removes them)."""
        body: dict[str, Any] = {}
        if content is not None:
            body["content"] = content
        if embeds is not None:
            body["embeds"] = [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in embeds]
        apply_edit(self.state, message, body)
        if settle:
            await self.settle()
        return message

    async def delete_message(self: DiscordEmulator, message: Message, *, settle: bool = True) -> None:
        """The author or a moderator deletes ``message`` (MESSAGE_DELETE)."""
        remove_message(self.state, message)
        if settle:
            await self.settle()

    async def delete_channel(self: DiscordEmulator, channel: Channel, *, settle: bool = True) -> None:
        """A moderator deletes ``channel`` (CHANNEL_DELETE); its messages go with it and the
        bot's later requests to it answer ``404 10003 Unknown Channel``."""
        guild = channel.guild
        if guild is None:
            raise ValueError("only a guild channel can be deleted")
        payload = channel.payload()
        guild.channels.pop(channel.id, None)
        self.state.channels.pop(channel.id, None)
        self.state.dispatch("CHANNEL_DELETE", payload, guild.id)
        if settle:
            await self.settle()

    async def react(
        self: DiscordEmulator, message: Message | Interaction, emoji: str, *, by: Member | User, settle: bool = True
    ) -> Message:
        """``by`` adds the reaction ``emoji`` (``"👍"`` or ``"<:name:id>"``) to ``message``."""
        return await self._reaction(message, emoji, by, add=True, settle=settle)

    async def unreact(
        self: DiscordEmulator, message: Message | Interaction, emoji: str, *, by: Member | User, settle: bool = True
    ) -> Message:
        """``by`` removes their reaction ``emoji`` from ``message``."""
        return await self._reaction(message, emoji, by, add=False, settle=settle)

    async def _reaction(
        self: DiscordEmulator, message: Message | Interaction, emoji: str, by: Member | User, *, add: bool, settle: bool
    ) -> Message:
        from .state import _emoji_payload

        msg = self._as_message(message)
        member, user, guild = self._actor(by, msg)
        users = msg.reactions.setdefault(emoji, set())
        if add == (user.id in users):
            return msg
        if add:
            if guild is not None and member is not None:
                granted = perms.permissions_for(member, msg.channel)
                if not granted & P.READ_MESSAGE_HISTORY or (not users and not granted & P.ADD_REACTIONS):
                    raise PermissionError(f"{user.name} may not react in #{msg.channel.name}")
            users.add(user.id)
        else:
            users.discard(user.id)
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(msg.channel.id),
            "message_id": str(msg.id),
            "emoji": _emoji_payload(emoji),
            "burst": False,
            "type": 0,
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if add and member is not None:
                data["member"] = member.payload()
        if add:
            data["message_author_id"] = str(msg.author.id)
        self.state.dispatch(
            "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data, guild.id if guild else None
        )
        if settle:
            await self.settle()
        return msg

    def dm_channel(self: DiscordEmulator, user: Member | User) -> Channel:
        """The DM channel between the bot and ``user`` (to ``post`` in it as that user)."""
        return self.state.dm_channel(user)

    async def member_join(
        self: DiscordEmulator,
        guild: Guild,
        name: str,
        *,
        pending: bool = False,
        dms_open: bool = True,
        roles: Iterable[Role | str] = (),
        bot: bool = False,
        settle: bool = True,
    ) -> Member:
        """A new person joins ``guild`` (GUILD_MEMBER_ADD); ``pending`` means they have not
        passed membership screening yet."""
        member = guild.add_member(name, pending=pending, dms_open=dms_open, roles=roles, bot=bot)
        if settle:
            await self.settle()
        return member

    async def member_leave(self: DiscordEmulator, member: Member, *, settle: bool = True) -> None:
        """``member`` leaves their guild (GUILD_MEMBER_REMOVE)."""
        guild = member.guild
        guild.members.pop(member.id, None)
        for channel in guild.channels.values():
            channel.thread_members.pop(member.id, None)
        self.state.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": member.user.payload()}, guild.id)
        if settle:
            await self.settle()

    def _member_update(self: DiscordEmulator, member: Member) -> None:
        guild = member.guild
        self.state.dispatch("GUILD_MEMBER_UPDATE", lambda: {**member.payload(), "guild_id": str(guild.id)}, guild.id)

    async def pass_screening(self: DiscordEmulator, member: Member, *, settle: bool = True) -> Member:
        """``member`` accepts the rules: ``pending`` becomes false (GUILD_MEMBER_UPDATE)."""
        member.pending = False
        self._member_update(member)
        if settle:
            await self.settle()
        return member

    async def give_role(self: DiscordEmulator, member: Member, role: Role | str, *, settle: bool = True) -> Member:
        """A moderator gives ``member`` a role (GUILD_MEMBER_UPDATE)."""
        target = member.guild.role(role)
        if target.id not in member.role_ids:
            member.role_ids.append(target.id)
            self._member_update(member)
        if settle:
            await self.settle()
        return member

    async def take_role(self: DiscordEmulator, member: Member, role: Role | str, *, settle: bool = True) -> Member:
        """A moderator removes a role from ``member`` (GUILD_MEMBER_UPDATE)."""
        target = member.guild.role(role)
        if target.id in member.role_ids:
            member.role_ids.remove(target.id)
            self._member_update(member)
        if settle:
            await self.settle()
        return member

    async def grant_entitlement(
        self: DiscordEmulator,
        user: Member | User | None = None,
        *,
        guild: Guild | None = None,
        sku_id: int | None = None,
        type: int = 8,
        ends_at: str | None = None,
        settle: bool = True,
    ) -> Entitlement:
        """Give ``user`` (or ``guild``) an entitlement, by default a Discord App Subscription
        (type 8) to the application's SKU; ENTITLEMENT_CREATE goes to the bot and it is
        listed by ``GET /applications/{id}/entitlements`` and in later interactions."""
        state = self.state
        app = state.application
        target = user.user if isinstance(user, Member) else user
        entitlement = Entitlement(
            state.ids.next(),
            sku_id or app.sku_id,
            app.id,
            target.id if target is not None else None,
            guild.id if guild is not None else None,
            type,
            starts_at=iso(),
            ends_at=ends_at,
        )
        app.entitlements.append(entitlement)
        state.dispatch("ENTITLEMENT_CREATE", entitlement.payload(), None)
        if settle:
            await self.settle()
        return entitlement

    # ------------------------------------------------------------------ reading results
    def ephemeral_replies(self: DiscordEmulator, member: Member | User) -> list[Message]:
        """Ephemeral messages the bot showed ``member`` (oldest first)."""
        uid = member.id
        return [m for m in self.state.ephemeral_messages.values() if m.interaction_user_id == uid and not m.deleted]

    def dms(self: DiscordEmulator, member: Member | User) -> list[Message]:
        """Messages the bot sent ``member`` privately (oldest first)."""
        user = member.user if isinstance(member, Member) else member
        channel = self.state.dm_channels.get(user.id)
        if channel is None:
            return []
        bot_id = self.state.bot_user.id
        return [m for m in channel.messages if m.author.id == bot_id]

    def commands(self: DiscordEmulator, guild: Guild | None = None) -> list[ApplicationCommand]:
        """The commands the bot synced: global ones, plus ``guild``'s when given."""
        app = self.state.application
        found = list(app.commands.values())
        if guild is not None:
            found += list(app.guild_commands.get(guild.id, {}).values())
        return found
