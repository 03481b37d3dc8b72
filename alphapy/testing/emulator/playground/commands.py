"""Slash-command forms built from the command tree the bot synced, and their answers
turned back into the option values the emulator's ``slash`` driver takes.

A form field per option, typed as Discord's client types it: text (with a length range),
whole or decimal numbers (with a value range), yes/no, a member, role or channel picked
from the server, a file, or one of the option's choices. The driver still checks every
value against the synced definition, so the page can never send what Discord would not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..drivers.options import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from ..state import ApplicationCommand, Channel, Guild, Member

if TYPE_CHECKING:
    from aiohttp.web_request import FileField

#: how each option type is asked for in the form
INPUT_KINDS = {STRING: "text", INTEGER: "integer", NUMBER: "number", BOOLEAN: "boolean", USER: "user",
               CHANNEL: "channel", ROLE: "role", MENTIONABLE: "mentionable", ATTACHMENT: "file"}


class FormError(ValueError):
    """A value the form cannot turn into an option; the sentence is shown to the visitor."""


@dataclass(frozen=True, slots=True)
class OptionField:
    """One option of a command, as a form field."""

    name: str
    description: str
    kind: str
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    autocomplete: bool = False
    min_value: float | None = None
    max_value: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    channel_types: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CommandForm:
    """A leaf command (``"reminder add"``) with its fields."""

    path: str
    description: str
    fields: list[OptionField]

    @property
    def has_file(self) -> bool:
        return any(f.kind == "file" for f in self.fields)

    def field(self, name: str) -> OptionField | None:
        return next((f for f in self.fields if f.name == name), None)


def command_forms(commands: list[ApplicationCommand]) -> list[CommandForm]:
    """Every slash command and subcommand the bot synced, as forms, sorted by path."""
    forms: list[CommandForm] = []
    for command in commands:
        if command.type == 1:
            _collect(command.name, str(command.data.get("description") or ""), command.options, forms)
    return sorted(forms, key=lambda f: f.path)


def _collect(path: str, description: str, options: list[dict[str, Any]], out: list[CommandForm]) -> None:
    nested = [o for o in options if o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if not nested:
        out.append(CommandForm(path, description, [_field(o) for o in options]))
        return
    for sub in nested:
        _collect(f"{path} {sub['name']}", str(sub.get("description") or ""), sub.get("options") or [], out)


def _field(option: dict[str, Any]) -> OptionField:
    return OptionField(
        name=option["name"],
        description=str(option.get("description") or ""),
        kind=INPUT_KINDS.get(option.get("type", STRING), "text"),
        required=bool(option.get("required")),
        choices=[(str(c["name"]), str(c["value"])) for c in option.get("choices") or []],
        autocomplete=bool(option.get("autocomplete")),
        min_value=option.get("min_value"),
        max_value=option.get("max_value"),
        min_length=option.get("min_length"),
        max_length=option.get("max_length"),
        channel_types=list(option.get("channel_types") or []),
    )


def option_values(form: CommandForm, submitted: Mapping[str, Any], guild: Guild | None) -> dict[str, Any]:
    """The driver's option values from a submitted form; empty fields are left out (the
    driver refuses a missing required option). Raises :class:`FormError`."""
    values: dict[str, Any] = {}
    for spec in form.fields:
        raw = submitted.get(spec.name)
        if spec.kind == "file":
            if raw is not None and getattr(raw, "filename", None):
                values[spec.name] = _upload(raw)
            continue
        text = raw.strip() if isinstance(raw, str) else ""
        if not text:
            continue
        values[spec.name] = _typed(spec, text, guild)
    return values


def _typed(spec: OptionField, text: str, guild: Guild | None) -> Any:
    if spec.choices:
        return text  # the driver matches the choice's value or name
    if spec.kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise FormError(f"{spec.name} takes a whole number, like 3.") from None
    if spec.kind == "number":
        try:
            return float(text)
        except ValueError:
            raise FormError(f"{spec.name} takes a number, like 2.5.") from None
    if spec.kind == "boolean":
        return text == "true"
    if spec.kind in ("user", "role", "channel", "mentionable"):
        return _pick(spec, text, guild)
    return text


def _pick(spec: OptionField, text: str, guild: Guild | None) -> Any:
    if guild is None or not text.isdigit():
        raise FormError(f"Choose a {spec.kind} for {spec.name} from the list.")
    ident = int(text)
    found: Member | Channel | Any = None
    if spec.kind in ("user", "mentionable"):
        found = guild.members.get(ident)
    if found is None and spec.kind in ("role", "mentionable"):
        found = guild.roles.get(ident)
    if found is None and spec.kind == "channel":
        found = guild.channels.get(ident)
    if found is None:
        raise FormError(f"That {spec.kind} is not in this server any more; choose another for {spec.name}.")
    return found


def _upload(upload: FileField) -> tuple[str, bytes, str]:
    data = upload.file.read()
    return upload.filename, data, upload.content_type or "application/octet-stream"
