"""Discord's rules for application-command definitions, as the bulk overwrite checks them.

``PUT /applications/{id}/commands`` (and the guild variant) replaces every command at once,
so one bad definition refuses the whole list: ``400 Invalid Form Body`` (50035) with the
``errors`` tree naming the command by its index. The OpenAPI description encodes almost
none of these rules (it has no name pattern, no ordering rule, no total size), so they are
written here from Discord's documentation, which wins where the two disagree.

==============================  ==============================================================  ========
rule                            limit                                                           source
==============================  ==============================================================  ========
command.name.pattern            slash names match Discord's pattern (below), in the lower-case  [naming]
                                form of every letter that has one
command.name.length             user and message command names are 1-32 characters              [object]
command.description.length      slash command descriptions are 1-100 characters                 [object]
command.options.max             at most 25 options (at every level)                             [object]
command.options.required_first  required options come before optional ones                      [option]
command.options.no_mixing       subcommands and groups are not mixed with other options         [subcmd]
option.name.pattern             option names follow the slash command name rule                 [naming]
option.description.length       option descriptions are 1-100 characters                        [option]
option.choices.max              at most 25 choices                                              [option]
option.choices.name.length      choice names are 1-100 characters                               [choice]
option.choices.value.length     string choice values are 1-100 characters                       [choice]
option.autocomplete.choices     ``autocomplete`` is never set together with ``choices``         [option]
option.min_max                  ``min_value <= max_value``, ``min_length <= max_length``        [option]
command.size                    names, descriptions and choice values of a command, its         [regist]
                                options and choices: at most 4000 characters in all (a
                                localized field counts at its longest locale)
commands.chat_input.max         at most 100 slash commands in one list                          [regist]
commands.name.unique            no two commands of one type share a name                        [regist]
==============================  ==============================================================  ========

The pattern is ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`` (Unicode).

Sources, sections of https://discord.com/developers/docs/interactions/application-commands:
[naming] ``#application-command-object-application-command-naming``;
[object] ``#application-command-object-application-command-structure``;
[option] ``#application-command-object-application-command-option-structure``;
[choice] ``#application-command-object-application-command-option-choice-structure``;
[subcmd] ``#subcommands-and-subcommand-groups``;
[regist] ``#registering-a-command``.

Discord does not document its leaf codes: the ``BASE_TYPE_*`` ones are those it uses for
lengths everywhere, the ``APPLICATION_COMMAND*`` ones follow its naming. Tests and the bot
read the field path and the rule name, never the code.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from alphapy.discord_rules import FormErrors

__all__ = [
    "CHAT_INPUT",
    "MAX_CHAT_INPUT_COMMANDS",
    "MAX_COMMAND_SIZE",
    "RULES",
    "bulk_overwrite_errors",
    "command_errors",
    "command_size",
    "is_valid_slash_name",
]

# application command types
CHAT_INPUT, USER, MESSAGE = 1, 2, 3
# option types that nest other options
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING = 3

NAME_MAX = 32
DESCRIPTION_MAX = 100
MAX_OPTIONS = 25
MAX_CHOICES = 25
CHOICE_MAX = 100
MAX_COMMAND_SIZE = 4000
MAX_CHAT_INPUT_COMMANDS = 100

INVALID_NAME = "APPLICATION_COMMAND_INVALID_NAME"
REQUIRED_INVALID = "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID"
TYPE_INVALID = "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID"
AUTOCOMPLETE_INVALID = "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_INVALID"
NUMBER_TYPE_MAX = "NUMBER_TYPE_MAX"
TOO_LARGE = "APPLICATION_COMMAND_TOO_LARGE"
DUPLICATE_NAME = "APPLICATION_COMMANDS_DUPLICATE_NAME"

_DOCS = "https://discord.com/developers/docs/interactions/application-commands"
_NAMING = f"{_DOCS}#application-command-object-application-command-naming"
_OBJECT = f"{_DOCS}#application-command-object-application-command-structure"
_OPTION = f"{_DOCS}#application-command-object-application-command-option-structure"
_CHOICE = f"{_DOCS}#application-command-object-application-command-option-choice-structure"
_SUBCMD = f"{_DOCS}#subcommands-and-subcommand-groups"
_REGIST = f"{_DOCS}#registering-a-command"

#: Every rule of this module: name -> (the limit in words, the documentation page); the
#: emulator's ``allow()`` takes these names, ``docs/discord-limits.md`` lists them.
RULES: dict[str, tuple[str, str]] = {
    "command.name.pattern": ("slash names match Discord's pattern, lower-case", _NAMING),
    "command.name.length": (f"user and message command names 1-{NAME_MAX}", _OBJECT),
    "command.description.length": (f"slash command descriptions 1-{DESCRIPTION_MAX}", _OBJECT),
    "command.options.max": (f"at most {MAX_OPTIONS} options at every level", _OBJECT),
    "command.options.required_first": ("required options before optional ones", _OPTION),
    "command.options.no_mixing": ("subcommands and groups not mixed with other options", _SUBCMD),
    "option.name.pattern": ("option names follow the slash command name rule", _NAMING),
    "option.description.length": (f"option descriptions 1-{DESCRIPTION_MAX}", _OPTION),
    "option.choices.max": (f"at most {MAX_CHOICES} choices", _OPTION),
    "option.choices.name.length": (f"choice names 1-{CHOICE_MAX}", _CHOICE),
    "option.choices.value.length": (f"string choice values 1-{CHOICE_MAX}", _CHOICE),
    "option.autocomplete.choices": ("autocomplete never together with choices", _OPTION),
    "option.min_max": ("min_value <= max_value and min_length <= max_length", _OPTION),
    "command.size": (f"at most {MAX_COMMAND_SIZE} characters per command", _REGIST),
    "commands.chat_input.max": (f"at most {MAX_CHAT_INPUT_COMMANDS} slash commands", _REGIST),
    "commands.name.unique": ("no two commands of one type share a name", _REGIST),
}

_DEVANAGARI = range(0x0900, 0x0980)
_THAI = range(0x0E00, 0x0E80)


def _name_character(char: str) -> bool:
    """One character of ``[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]`` (Python's ``re`` lacks ``\\p``)."""
    if char in "-_'":
        return True
    if unicodedata.category(char)[0] in ("L", "N"):
        return True
    return ord(char) in _DEVANAGARI or ord(char) in _THAI


def is_valid_slash_name(name: str) -> bool:
    """Discord's pattern for slash command and option names, lower-case where a letter has a case."""
    return (1 <= len(name) <= NAME_MAX and all(_name_character(c) for c in name)
            and name == name.lower())


def _check_slash_name(errors: FormErrors, value: Any, *, rule: str) -> None:
    if not isinstance(value, str) or not value:
        errors.required("name", rule=rule)
    elif not is_valid_slash_name(value):
        errors.add("name", INVALID_NAME, "Command name is invalid", rule=rule)


def _check_description(errors: FormErrors, value: Any, *, rule: str) -> None:
    errors.length_between("description", value if isinstance(value, str) else "", 1, DESCRIPTION_MAX, rule=rule)


def _localized(node: Mapping[str, Any], field: str) -> int:
    """A field's length at its longest localization (the size rule counts every locale)."""
    localizations = node.get(f"{field}_localizations")
    values = [node.get(field) or "", *(localizations.values() if isinstance(localizations, Mapping) else ())]
    return max(len(str(value)) for value in values)


def command_size(command: Mapping[str, Any]) -> int:
    """Characters the 4000 rule counts: names, descriptions and string choice values, nested."""

    def walk(node: Any) -> int:
        if not isinstance(node, Mapping):
            return 0  # not an object: the OpenAPI description refuses it
        total = _localized(node, "name") + _localized(node, "description")
        for choice in node.get("choices") or ():
            if isinstance(choice, Mapping):
                total += _localized(choice, "name") + len(str(choice.get("value", "")))
        return total + sum(walk(option) for option in node.get("options") or ())

    return walk(command)


def _list(value: Any) -> list[Any]:
    """``options``/``choices`` as a list; any other shape is the OpenAPI description's to refuse."""
    return value if isinstance(value, list) else []


def _check_options(errors: FormErrors, options: Sequence[Any], depth: int) -> None:
    """One level of options: their count, order and kinds, then each option (and its children)."""
    errors.max_length("options", options, MAX_OPTIONS, rule="command.options.max")
    # the shape of each option (an object, its types) is the OpenAPI description's to judge
    options = [option if isinstance(option, Mapping) else {} for option in options]
    nesting = [o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options]
    if any(nesting) and not all(nesting):
        errors.add("options", TYPE_INVALID,
                   "Sub-command and sub-command group option types are mutually exclusive to all other types",
                   rule="command.options.no_mixing")
    seen_optional = False
    for index, option in enumerate(options):
        if nesting[index]:
            continue
        if option.get("required"):
            if seen_optional:
                errors.add(("options", index, "required"), REQUIRED_INVALID,
                           "Required options must be placed before non-required options",
                           rule="command.options.required_first")
        else:
            seen_optional = True
    for index, option in enumerate(options):
        _check_option(errors.at("options", index), option, depth)


def _check_option(errors: FormErrors, option: Mapping[str, Any], depth: int) -> None:
    _check_slash_name(errors, option.get("name"), rule="option.name.pattern")
    _check_description(errors, option.get("description"), rule="option.description.length")
    if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        if depth < 2:  # a group holds subcommands, a subcommand holds plain options
            _check_options(errors, _list(option.get("options")), depth + 1)
        return
    choices = _list(option.get("choices"))
    if choices:
        errors.max_length("choices", choices, MAX_CHOICES, rule="option.choices.max")
        if option.get("autocomplete"):
            errors.add("autocomplete", AUTOCOMPLETE_INVALID, "Autocomplete and choices are mutually exclusive",
                       rule="option.autocomplete.choices")
    for index, choice in enumerate(c if isinstance(c, Mapping) else {} for c in choices):
        errors.length_between(("choices", index, "name"), str(choice.get("name") or ""), 1, CHOICE_MAX,
                              rule="option.choices.name.length")
        if option.get("type") == STRING:
            errors.length_between(("choices", index, "value"), str(choice.get("value") or ""), 1, CHOICE_MAX,
                                  rule="option.choices.value.length")
    for low, high in (("min_value", "max_value"), ("min_length", "max_length")):
        bounds = option.get(low), option.get(high)
        if all(isinstance(b, (int, float)) for b in bounds) and bounds[0] > bounds[1]:
            errors.add(low, NUMBER_TYPE_MAX, f"Must be less than or equal to {option[high]}.",
                       rule="option.min_max")


def command_errors(command: Mapping[str, Any], errors: FormErrors | None = None) -> FormErrors:
    """Every rule one command definition breaks, with paths relative to the command."""
    errors = FormErrors() if errors is None else errors
    kind = command.get("type") or CHAT_INPUT
    if kind == CHAT_INPUT:
        _check_slash_name(errors, command.get("name"), rule="command.name.pattern")
        _check_description(errors, command.get("description"), rule="command.description.length")
        _check_options(errors, _list(command.get("options")), depth=0)
    else:
        errors.length_between("name", str(command.get("name") or ""), 1, NAME_MAX, rule="command.name.length")
    if command_size(command) > MAX_COMMAND_SIZE:
        errors.add((), TOO_LARGE, f"Command exceeds maximum size ({MAX_COMMAND_SIZE})", rule="command.size")
    return errors


def _list_errors(errors: FormErrors, commands: Sequence[Mapping[str, Any]]) -> None:
    """The rules of the list as a whole: how many slash commands, and unique names per type."""
    slash = [c for c in commands if (c.get("type") or CHAT_INPUT) == CHAT_INPUT]
    if len(slash) > MAX_CHAT_INPUT_COMMANDS:
        errors.add((), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CHAT_INPUT_COMMANDS} or fewer in length.",
                   rule="commands.chat_input.max")
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        key = (command.get("type") or CHAT_INPUT, str(command.get("name")))
        if key in seen:
            errors.add((index, "name"), DUPLICATE_NAME, "Application command names must be unique",
                       rule="commands.name.unique")
        seen.add(key)


def bulk_overwrite_errors(commands: Iterable[Mapping[str, Any]], errors: FormErrors | None = None) -> FormErrors:
    """Every rule a bulk-overwrite body breaks, paths starting at the command's index."""
    listed = list(commands)
    errors = FormErrors() if errors is None else errors
    for index, command in enumerate(listed):
        command_errors(command, errors.at(index))
    _list_errors(errors, listed)
    return errors
