"""Turning the option values a test passes into the typed options and ``resolved`` data
Discord sends, checked against the synced definition (choices, ranges, channel types)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import permissions as perms
from ..state import Attachment, Channel, Guild, Member, Role, User
from .base import DriverBase

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


class OptionDriver(DriverBase):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    def _build_options(
        self,
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
        self,
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
        self,
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
        self, value: Channel, guild: Guild | None, resolved: dict[str, dict[str, Any]]
    ) -> None:
        data = value.payload()
        if guild is not None:
            data["permissions"] = str(perms.permissions_for(guild.me, value))
        resolved.setdefault("channels", {})[str(value.id)] = data

    def _as_attachment(self, value: Any, channel: Channel) -> Attachment:
        if isinstance(value, Attachment):
            return value
        if isinstance(value, tuple) and len(value) in (2, 3):
            filename, data = value[0], value[1]
            content_type = value[2] if len(value) == 3 else None
            if isinstance(data, str):
                data = data.encode()
            return self.state.new_attachment(channel.id, filename, bytes(data), content_type)
        raise TypeError(f"an attachment is (filename, bytes[, content_type]) or an Attachment, not {value!r}")
