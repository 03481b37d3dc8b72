"""Which form input fits each setting type, and how a posted form becomes the text to save.

The page never validates on its own: whatever is posted goes as text to
``SettingsService.set(..., from_text=True)``, the path ``/settings set`` takes, so a refused
value gets the same sentence. The inputs only make a right value easy to give: pickers of
the server's real channels and roles, ``min``/``max`` from the type, a timezone list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from multidict import MultiDictProxy

from alphapy.dashboard.guild_data import CATEGORY, GuildSnapshot
from alphapy.settings import SettingSpec, SettingValue
from alphapy.settings.types import (
    BoolType,
    ChannelListType,
    ChannelType,
    ChoiceType,
    FloatType,
    IntType,
    JsonType,
    RoleType,
    StrType,
    TimeType,
    TimezoneType,
)

VALUE_FIELD = "value"
SHORT_TEXT = 100  # longer text settings get a textarea


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class SettingField:
    """One setting's input on the page: what the template needs and nothing else."""

    spec: SettingSpec
    widget: str  # select | multiselect | checkbox | number | time | timezone | textarea | text
    text: str  # what the input holds: the current value, or the refused text as typed
    current: str
    default: str
    is_default: bool
    options: list[Option] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def input_id(self) -> str:
        """``setting-core.timezone``: stable for labels, errors and browser tests."""
        return f"setting-{self.spec.full_name}"

    @property
    def checked(self) -> bool:
        return self.text == "true"


@lru_cache(maxsize=1)
def timezone_names() -> list[str]:
    return sorted(available_timezones())


def shown(spec: SettingSpec, value: Any, snapshot: GuildSnapshot) -> str:
    """A value as a host reads it on the page: channel and role names, not mentions."""
    kind = spec.type
    if value is None:
        return "not set"
    if isinstance(kind, ChannelType):
        return _channel_name(snapshot, value)
    if isinstance(kind, ChannelListType):
        return ", ".join(_channel_name(snapshot, item) for item in value) or "none"
    if isinstance(kind, RoleType):
        role = snapshot.roles.get(value)
        return f"@{role.name}" if role else f"a role that no longer exists ({value})"
    return kind.display(value)


def _channel_name(snapshot: GuildSnapshot, channel_id: int) -> str:
    channel = snapshot.channels.get(channel_id)
    return channel.label if channel else f"a channel that no longer exists ({channel_id})"


def as_text(spec: SettingSpec, value: Any) -> str:
    """The value written the way the type parses it back."""
    kind = spec.type
    if value is None:
        return ""
    if isinstance(kind, BoolType):
        return "true" if value else "false"
    if isinstance(kind, JsonType):
        return json.dumps(value, ensure_ascii=False, indent=2)
    if isinstance(kind, ChannelListType):
        return ",".join(str(item) for item in value)
    if isinstance(kind, FloatType):
        return f"{value:g}"
    return str(value)


def build_field(item: SettingValue, snapshot: GuildSnapshot, *, typed: str | None = None,
                error: str | None = None) -> SettingField:
    """The input for one setting; ``typed`` (with ``error``) is a refused text to show again."""
    spec = item.spec
    text = as_text(spec, item.value) if typed is None else typed
    widget, options, attrs = _widget(spec, text, snapshot)
    return SettingField(spec, widget, text, shown(spec, item.value, snapshot), shown(spec, spec.default, snapshot),
                        item.is_default, options, attrs, error)


def _widget(spec: SettingSpec, text: str, snapshot: GuildSnapshot) -> tuple[str, list[Option], dict[str, str]]:
    kind = spec.type
    if isinstance(kind, BoolType):
        return "checkbox", [], {}
    if isinstance(kind, ChoiceType):
        return "select", _with_unset([Option(c, c, c.lower() == text.lower()) for c in kind.choices], text), {}
    if isinstance(kind, ChannelType):
        return "select", _with_unset([Option(str(c.id), c.label, str(c.id) == text)
                                      for c in snapshot.channel_choices()], text), {}
    if isinstance(kind, ChannelListType):
        chosen = set(text.split(","))
        return "multiselect", [Option(str(c.id), c.label, str(c.id) in chosen)
                               for c in snapshot.channel_choices() if c.kind != CATEGORY], {}
    if isinstance(kind, RoleType):
        return "select", _with_unset([Option(str(r.id), "@" + r.name, str(r.id) == text)
                                      for r in snapshot.role_choices()], text), {}
    if isinstance(kind, IntType):
        return "number", [], _bounds(kind.min, kind.max, "1")
    if isinstance(kind, FloatType):
        return "number", [], _bounds(kind.min, kind.max, "any")
    if isinstance(kind, TimeType):
        return "time", [], {}
    if isinstance(kind, TimezoneType):
        return "timezone", [], {"maxlength": "64"}
    if isinstance(kind, JsonType):
        return "textarea", [], {"maxlength": str(kind.max_bytes)}  # a guide: the type counts bytes
    if isinstance(kind, StrType):
        attrs = {"maxlength": str(kind.max_length)}
        return ("textarea" if kind.multiline and kind.max_length > SHORT_TEXT else "text"), [], attrs
    return "text", [], {}


def _with_unset(options: list[Option], text: str) -> list[Option]:
    """A first entry while nothing listed is chosen: "Choose…", or the text as given (a
    refused id, a deleted role) so that what was there or typed is not silently replaced."""
    if any(o.selected for o in options):
        return options
    first = Option(text, f"{text} (not in this server)", True) if text else Option("", "Choose…", True)
    return [first, *options]


def _bounds(low: float | None, high: float | None, step: str) -> dict[str, str]:
    attrs = {"step": step}
    if low is not None:
        attrs["min"] = f"{low:g}"
    if high is not None:
        attrs["max"] = f"{high:g}"
    return attrs


def posted_text(spec: SettingSpec, form: MultiDictProxy[Any]) -> str:
    """What the form says, as the text ``/settings set`` would have been given.

    A checkbox posts nothing when cleared, so the page sends a hidden ``false`` before it and
    the last value wins; a multiple select posts one value per channel.
    """
    values = [v for v in form.getall(VALUE_FIELD, []) if isinstance(v, str)]
    if isinstance(spec.type, ChannelListType):
        return ",".join(values)
    return values[-1] if values else ""
