"""Declared ranges, checked from a per-command table: the same refusals, and no command kept
alive by the table (the bot's own round trip is covered in test_bot.py)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import discord
from discord import app_commands

from alphapy.cogs.stats import ping_reply
from alphapy.option_bounds import out_of_range


def bounded_command() -> app_commands.Command[Any, ..., Any]:
    @app_commands.command(name="pick", description="Pick a number")
    @app_commands.rename(count="how_many")
    async def pick(interaction: discord.Interaction, count: app_commands.Range[int, 1, 10],
                   share: app_commands.Range[float, None, 0.5] = 0.1, label: str = "",
                   free: int = 0) -> None:
        return None

    return pick


def plain_command() -> app_commands.Command[Any, ..., Any]:
    @app_commands.command(name="plain", description="No ranges")
    async def plain(interaction: discord.Interaction, free: int = 0) -> None:
        return None

    return plain


def options(**values: Any) -> dict[str, Any]:
    kinds = {int: 4, float: 10, str: 3}
    return {"options": [{"name": name, "type": kinds[type(value)], "value": value} for name, value in values.items()]}


def test_values_outside_a_declared_range_are_refused_by_their_displayed_name() -> None:
    command = bounded_command()
    assert out_of_range(command, options(how_many=0)) == "The how_many must be a whole number from 1 to 10."
    assert out_of_range(command, options(how_many=11)) == "The how_many must be a whole number from 1 to 10."
    assert out_of_range(command, options(how_many=3, share=0.75)) == "The share must be a number of at most 0.5."
    assert out_of_range(command, options(how_many=10, share=0.5, label="x", free=10**20)) is None


def test_a_subcommand_option_is_checked_and_a_command_without_ranges_refuses_nothing() -> None:
    command = bounded_command()
    nested = {"options": [{"name": "group", "type": 2, "options": [{"name": "sub", "type": 1, **options(how_many=99)}]}]}
    assert out_of_range(command, nested) == "The how_many must be a whole number from 1 to 10."
    assert out_of_range(plain_command(), options(free=2**63)) is None


def test_the_table_keeps_no_command_alive() -> None:
    command = bounded_command()
    assert out_of_range(command, options(how_many=0)) is not None  # now in the table
    gone = weakref.ref(command)
    del command
    gc.collect()
    assert gone() is None


def test_ping_reply_shows_the_latency_only_once_there_is_one() -> None:
    assert ping_reply(0.0123) == "Pong (12 ms)."
    assert ping_reply(float("nan")) == "Pong."
    assert ping_reply(float("inf")) == "Pong."
