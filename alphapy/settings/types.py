"""Setting types: how a value is parsed from text, checked, stored and shown.

Every value a host sets goes through its declared type before it is stored, from the
``/settings`` command, the ``alphapy settings`` command line or a plugin's own code, so
a bad value is refused with one sentence saying what is expected and nothing is written.
Values are stored as JSON (``bot_settings.value`` is JSONB); ``name`` goes to
``value_type``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from alphapy.json_input import JsonInputError, load_json_input

_MAX_SNOWFLAKE = 2**64 - 1
GRANT = "grant"
PING = "ping"
_PURPOSES = (GRANT, PING)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidValue(ValueError):
    """The value does not fit the type; ``expected`` completes "<setting> must be ..."."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


@dataclass(frozen=True)
class SettingType:
    """Base of all types: ``parse`` reads text, ``validate`` checks a Python/JSON value."""

    name: ClassVar[str] = "any"

    def expected(self) -> str:
        """The words after "must be", e.g. "a whole number from 1 to 10"."""
        return "a valid value"

    def parse(self, text: str) -> Any:
        """Turn what a person typed into a value (then validated)."""
        return self.validate(text)

    def validate(self, value: Any) -> Any:
        """Check (and normalise) a value; raise :class:`InvalidValue` when it does not fit."""
        return value

    def display(self, value: Any) -> str:
        """How a value reads in Discord and on the command line."""
        if value is None:
            return "not set"
        return str(value)

    def fail(self) -> InvalidValue:
        return InvalidValue(self.expected())

    def role_uses(self, value: Any) -> list[tuple[int, str]]:
        """The roles a (valid) value makes the bot give or ping: ``(role id, "grant" | "ping")``.

        The settings service judges each against who is configuring it
        (:mod:`alphapy.authority`); a type that carries no roles has none.
        """
        return []


@dataclass(frozen=True)
class BoolType(SettingType):
    name: ClassVar[str] = "bool"
    _TRUE: ClassVar[frozenset[str]] = frozenset({"true", "yes", "on", "1", "enable", "enabled", "ja", "aan"})
    _FALSE: ClassVar[frozenset[str]] = frozenset({"false", "no", "off", "0", "disable", "disabled", "nee", "uit"})

    def expected(self) -> str:
        return "true or false (yes/no, on/off)"

    def parse(self, text: str) -> bool:
        word = text.strip().lower()
        if word in self._TRUE:
            return True
        if word in self._FALSE:
            return False
        raise self.fail()

    def validate(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self.parse(value)
        raise self.fail()

    def display(self, value: Any) -> str:
        return "not set" if value is None else ("on" if value else "off")


@dataclass(frozen=True)
class IntType(SettingType):
    name: ClassVar[str] = "int"
    min: int | None = None
    max: int | None = None

    def expected(self) -> str:
        if self.min is not None and self.max is not None:
            return f"a whole number from {self.min} to {self.max}"
        if self.min is not None:
            return f"a whole number of at least {self.min}"
        if self.max is not None:
            return f"a whole number of at most {self.max}"
        return "a whole number"

    def parse(self, text: str) -> int:
        text = text.strip().replace("_", "")
        if not re.fullmatch(r"[+-]?\d{1,20}", text):
            raise self.fail()
        return self.validate(int(text))

    def validate(self, value: Any) -> int:
        if isinstance(value, str):
            return self.parse(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail()
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise self.fail()
        if abs(value) > 2**63 - 1:
            raise self.fail()
        return value


@dataclass(frozen=True)
class StrType(SettingType):
    name: ClassVar[str] = "str"
    max_length: int = 1000
    min_length: int = 1
    multiline: bool = True

    def expected(self) -> str:
        return f"text of {self.min_length} to {self.max_length} characters, without control characters"

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail()
        if not self.min_length <= len(value) <= self.max_length or _CONTROL.search(value):
            raise self.fail()
        if not self.multiline and ("\n" in value or "\r" in value):
            raise InvalidValue(f"a single line of at most {self.max_length} characters")
        return value


@dataclass(frozen=True)
class ChoiceType(SettingType):
    name: ClassVar[str] = "choice"
    choices: tuple[str, ...] = ()

    def expected(self) -> str:
        return "one of: " + ", ".join(self.choices)

    def validate(self, value: Any) -> str:
        if isinstance(value, str):
            folded = value.strip().lower()
            for choice in self.choices:
                if choice.lower() == folded:
                    return choice
        raise self.fail()


def _snowflake(value: Any, mention: re.Pattern[str]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        match = mention.fullmatch(text)
        if match:
            text = match.group(1)
        if not re.fullmatch(r"\d{1,20}", text):
            return None
        number = int(text)
    else:
        return None
    return number if 0 < number <= _MAX_SNOWFLAKE else None


@dataclass(frozen=True)
class _ReferenceType(SettingType):
    """Something of the guild referred to by id or mention; the bot checks it belongs there."""

    _MENTION: ClassVar[re.Pattern[str]]
    _SHOWN: ClassVar[str]  # the mention markup, with {} for the id
    _WHAT: ClassVar[str]
    _HINT: ClassVar[str]  # how a person sees a mention of it

    def expected(self) -> str:
        return f"a {self._WHAT} of this server (a {self._HINT} mention or its id)"

    def validate(self, value: Any) -> int:
        number = _snowflake(value, self._MENTION)
        if number is None:
            raise self.fail()
        return number

    def display(self, value: Any) -> str:
        return "not set" if value is None else self._SHOWN.format(value)


@dataclass(frozen=True)
class ChannelType(_ReferenceType):
    name: ClassVar[str] = "channel"
    _MENTION: ClassVar[re.Pattern[str]] = re.compile(r"<#(\d+)>")
    _SHOWN: ClassVar[str] = "<#{}>"
    _WHAT: ClassVar[str] = "channel"
    _HINT: ClassVar[str] = "#channel"


def _check_purpose(purpose: str | None) -> None:
    if purpose is not None and purpose not in _PURPOSES:
        raise ValueError(f"unknown role purpose {purpose!r} (known: {', '.join(_PURPOSES)})")


@dataclass(frozen=True)
class RoleType(_ReferenceType):
    """A role; ``purpose`` says whether the bot gives it (``"grant"``) or pings it (``"ping"``).

    A role with a purpose is only accepted from someone who could give (or mention) it
    in Discord themselves: declaring the purpose is all a plugin does for that rule.
    """

    name: ClassVar[str] = "role"
    _MENTION: ClassVar[re.Pattern[str]] = re.compile(r"<@&(\d+)>")
    _SHOWN: ClassVar[str] = "<@&{}>"
    _WHAT: ClassVar[str] = "role"
    _HINT: ClassVar[str] = "@role"
    purpose: str | None = None

    def __post_init__(self) -> None:
        _check_purpose(self.purpose)

    def role_uses(self, value: Any) -> list[tuple[int, str]]:
        return [(value, self.purpose)] if self.purpose and value is not None else []


@dataclass(frozen=True)
class ChannelListType(SettingType):
    """Several channels, written as mentions or ids separated by commas or spaces."""

    name: ClassVar[str] = "channels"
    max_items: int = 25

    def expected(self) -> str:
        return f"up to {self.max_items} channels of this server (#channel mentions or ids, separated by commas)"

    def parse(self, text: str) -> list[int]:
        parts = [p for p in re.split(r"[\s,]+", text.strip()) if p]
        return self.validate(parts)

    def validate(self, value: Any) -> list[int]:
        if isinstance(value, str):
            return self.parse(value)
        if not isinstance(value, (list, tuple)) or len(value) > self.max_items:
            raise self.fail()
        out: list[int] = []
        for item in value:
            number = _snowflake(item, ChannelType._MENTION)
            if number is None:
                raise self.fail()
            if number not in out:
                out.append(number)
        return out

    def display(self, value: Any) -> str:
        if not value:
            return "none"
        return ", ".join(f"<#{v}>" for v in value)


@dataclass(frozen=True)
class TimeType(SettingType):
    name: ClassVar[str] = "time"

    def expected(self) -> str:
        return "a time as HH:MM, such as 19:30"

    def validate(self, value: Any) -> str:
        if not isinstance(value, str):
            raise self.fail()
        match = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*", value)
        if not match:
            raise self.fail()
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours > 23 or minutes > 59:
            raise self.fail()
        return f"{hours:02d}:{minutes:02d}"


@dataclass(frozen=True)
class TimezoneType(SettingType):
    name: ClassVar[str] = "timezone"

    def expected(self) -> str:
        return "an IANA timezone such as Europe/Amsterdam"

    def validate(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise self.fail()
        name = value.strip()
        if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name) or name.startswith("/") or ".." in name:
            raise self.fail()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
            # zoneinfo is case-sensitive; accept "europe/amsterdam" as the host meant it.
            folded = {zone.lower(): zone for zone in available_timezones()}
            if name.lower() in folded:
                return folded[name.lower()]
            raise self.fail() from None
        return name


@dataclass(frozen=True)
class JsonType(SettingType):
    """Any JSON; ``granted_role_keys`` / ``pinged_role_keys`` name the object keys (at any
    depth) whose values are roles the bot gives / pings, so they meet the role rules too."""

    name: ClassVar[str] = "json"
    max_bytes: int = 16_000
    granted_role_keys: tuple[str, ...] = ()
    pinged_role_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "granted_role_keys", tuple(self.granted_role_keys))
        object.__setattr__(self, "pinged_role_keys", tuple(self.pinged_role_keys))

    def role_uses(self, value: Any) -> list[tuple[int, str]]:
        if not (self.granted_role_keys or self.pinged_role_keys):
            return []
        found: list[tuple[int, str]] = []
        pending = [value]
        while pending:  # iterative: a deeply nested value cannot exhaust the stack
            item = pending.pop()
            if isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, dict):
                for key, inner in item.items():
                    purpose = (GRANT if key in self.granted_role_keys
                               else PING if key in self.pinged_role_keys else None)
                    if purpose is None or inner is None:
                        pending.append(inner)
                        continue
                    role_id = _snowflake(inner, RoleType._MENTION)
                    if role_id is None:
                        raise InvalidValue(f"JSON whose {key!r} values are roles of this server "
                                           "(@role mentions or ids)")
                    found.append((role_id, purpose))
        return found

    def expected(self) -> str:
        return f"valid JSON of at most {self.max_bytes} bytes"

    def parse(self, text: str) -> Any:
        try:
            value = load_json_input(text)  # the core's one rule for typed JSON: bounded nesting, no NaN
        except JsonInputError:
            raise self.fail() from None
        return self.validate(value)

    def validate(self, value: Any) -> Any:
        try:
            encoded = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            raise self.fail() from None
        if len(encoded.encode()) > self.max_bytes or "\\u0000" in encoded:
            raise self.fail()
        self.role_uses(value)  # the role keys must hold roles
        return value

    def display(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class FloatType(SettingType):
    name: ClassVar[str] = "float"
    min: float | None = None
    max: float | None = None

    def expected(self) -> str:
        if self.min is not None and self.max is not None:
            return f"a number from {self.min:g} to {self.max:g}"
        return "a number"

    def parse(self, text: str) -> float:
        try:
            return self.validate(float(text.strip().replace(",", ".")))
        except ValueError:
            raise self.fail() from None

    def validate(self, value: Any) -> float:
        if isinstance(value, str):
            return self.parse(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise self.fail()
        if value in (float("inf"), float("-inf")):
            raise self.fail()
        if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
            raise self.fail()
        return float(value)


TYPES: dict[str, type[SettingType]] = {
    cls.name: cls
    for cls in (BoolType, IntType, StrType, ChoiceType, ChannelType, RoleType, ChannelListType,
                TimeType, TimezoneType, JsonType, FloatType)
}


def make_type(kind: str | SettingType, options: dict[str, Any] | None = None) -> SettingType:
    """A type from its name and options (``"int", {"min": 1}``) or an instance as is."""
    if isinstance(kind, SettingType):
        if options:
            raise TypeError("options are given to the type instance, not beside it")
        return kind
    if kind not in TYPES:
        raise ValueError(f"unknown setting type {kind!r} (known: {', '.join(sorted(TYPES))})")
    options = dict(options or {})
    if "choices" in options:
        options["choices"] = tuple(options["choices"])
    return TYPES[kind](**options)


@dataclass(frozen=True)
class SettingSpec:
    """One declared setting: where it lives, its type, default and help text."""

    scope: str
    key: str
    type: SettingType
    default: Any = None
    help: str = ""
    premium: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.scope}.{self.key}"
