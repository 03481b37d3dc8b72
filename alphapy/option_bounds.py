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
from typing import Any

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


def _describe(parameter: app_commands.Parameter) -> str:
    low, high = parameter.min_value, parameter.max_value
    kind = "a whole number" if parameter.type is AppCommandOptionType.integer else "a number"
    if low is not None and high is not None:
        return f"{kind} from {low:,} to {high:,}"
    return f"{kind} of at least {low:,}" if low is not None else f"{kind} of at most {high:,}"


def out_of_range(command: app_commands.Command[Any, ..., Any], data: Mapping[str, Any]) -> str | None:
    """A sentence for the first number option outside its declared range, or ``None``.

    ``data`` is the interaction's raw ``data``; values that are not numbers are left to
    discord.py's own conversion (which refuses them politely already).
    """
    parameters = {parameter.display_name: parameter for parameter in command.parameters}
    for option in _leaf_options(list(data.get("options") or [])):
        parameter = parameters.get(str(option.get("name")))
        value = option.get("value")
        if parameter is None or option.get("type") not in _NUMBERS:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        low, high = parameter.min_value, parameter.max_value
        if (low is not None and value < low) or (high is not None and value > high):
            return f"The {parameter.display_name} must be {_describe(parameter)}."
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
