"""Declared number ranges of slash-command options, enforced by the bot as well.

A plugin bounds an option with ``app_commands.Range[int, 1, 2_147_483_647]`` (a SERIAL id)
and Discord's own client refuses anything outside it. discord.py does not check those
bounds when an interaction arrives, so a modified client or a hand-made request could
still hand a plugin ``2**63``, which PostgreSQL then refused as an integer overflow and
the member saw an error id. The command tree calls :func:`out_of_range` before any
command runs, so every plugin's declared range holds without a check of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

import discord
from discord import AppCommandOptionType, app_commands

from alphapy.errors import UserError

__all__ = ["out_of_range", "refuse_out_of_range"]

_SUBCOMMANDS = (AppCommandOptionType.subcommand.value, AppCommandOptionType.subcommand_group.value)
_NUMBERS = (AppCommandOptionType.integer.value, AppCommandOptionType.number.value)


def _leaf_options(options: list[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """The options the member filled in, below any subcommand group and subcommand."""
    for option in options:
        if option.get("type") in _SUBCOMMANDS:
            yield from _leaf_options(option.get("options") or [])
        else:
            yield option


class _Bounds(NamedTuple):
    """One option's declared range: plain values, so that the cache below holds no
    reference back to its command (a ``Parameter`` does, and would keep it alive)."""

    name: str
    low: int | float | None
    high: int | float | None
    integer: bool

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            return f"{kind} from {self.low:,} to {self.high:,}"
        return f"{kind} of at least {self.low:,}" if self.low is not None else f"{kind} of at most {self.high:,}"


_BOUNDED: WeakKeyDictionary[app_commands.Command[Any, ..., Any], dict[str, _Bounds]] = WeakKeyDictionary()


def _bounded(command: app_commands.Command[Any, ..., Any]) -> dict[str, _Bounds]:
    """The command's number options that declare a range, by the name Discord sends.

    Worked out once per command: every slash command passes through :func:`out_of_range`,
    and ``command.parameters`` builds a new list of new objects at each call, for nothing
    on the many commands that declare no range (``/ping``). A command's parameters are
    fixed when it is built, and its entry goes with it (a withdrawn plugin's commands).
    """
    bounded = _BOUNDED.get(command)
    if bounded is None:
        bounded = {p.display_name: _Bounds(p.display_name, p.min_value, p.max_value,
                                           p.type is AppCommandOptionType.integer)
                   for p in command.parameters
                   if p.type.value in _NUMBERS and (p.min_value is not None or p.max_value is not None)}
        _BOUNDED[command] = bounded
    return bounded


def out_of_range(command: app_commands.Command[Any, ..., Any], data: Mapping[str, Any]) -> str | None:
    """A sentence for the first number option outside its declared range, or ``None``.

    ``data`` is the interaction's raw ``data``; values that are not numbers are left to
    discord.py's own conversion (which refuses them politely already).
    """
    filled = data.get("options")
    if not filled:  # nothing given (``/ping``): nothing to check, not even the table
        return None
    bounded = _bounded(command)
    if not bounded:
        return None
    for option in _leaf_options(list(filled)):
        bounds = bounded.get(str(option.get("name")))
        value = option.get("value")
        if bounds is None or option.get("type") not in _NUMBERS:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if (bounds.low is not None and value < bounds.low) or (bounds.high is not None and value > bounds.high):
            return f"The {bounds.name} must be {bounds.describe()}."
    return None


def refuse_out_of_range(interaction: discord.Interaction, command: Any) -> None:
    """:class:`UserError` for a slash command with a number outside its declared range.

    Autocomplete is left alone: the value being typed is not the value that will be sent.
    """
    if interaction.type is not discord.InteractionType.application_command:
        return
    if not isinstance(command, app_commands.Command):
        return  # a context menu takes no options
    refusal = out_of_range(command, interaction.data or {})
    if refusal is not None:
        raise UserError(refusal)
