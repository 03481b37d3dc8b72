"""One plugin cannot stop the bot at the command sync.

A plugin whose commands Discord would refuse is failed with the field and rule when its
cogs are added, left out of the one bulk sync, and the other plugins' commands sync. When
Discord refuses the sync anyway, the bot keeps running and ``/readyz`` says so.
"""

from __future__ import annotations

import io
import json
import types
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from alphapy import hookimpl
from alphapy.cogs.text import safe
from alphapy.log import configure_logging
from tests.conftest import test_plugin


class LongDescription(commands.Cog):
    @app_commands.command(name="longwinded", description="d" * 101)
    async def longwinded(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("never synced")


class UpperCaseName(commands.Cog):
    @app_commands.command(name="shout", description="Shout")
    async def shout(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("never synced")

    shout.name = "Shout"  # discord.py checks a name when the command is built, not when it changes


class OptionalFirstCommand(app_commands.Command[Any, ..., Any]):
    """A command that builds its own payload, and puts its optional option first."""

    def to_dict(self, tree: app_commands.CommandTree[Any]) -> dict[str, Any]:
        payload = super().to_dict(tree)
        payload["options"].sort(key=lambda option: option["required"])
        return payload


class OptionalFirst(commands.Cog):
    async def _order(self, interaction: discord.Interaction, first: str, second: str = "x") -> None:
        await interaction.response.send_message("never synced")

    order = OptionalFirstCommand(name="order", description="Order", callback=_order)


class Fine(commands.Cog):
    @app_commands.command(name="fine", description="A legal command of the failing plugin")
    async def fine(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("never synced")


class HelloAgain(commands.Cog):
    @app_commands.command(name="hello", description="Clashes with the hello plugin")
    async def hello(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("never synced")


def overflowing(count: int) -> type[commands.Cog]:
    """A cog with ``count`` legal commands (together with the others: more than 100)."""

    def command(name: str) -> app_commands.Command[Any, ..., Any]:
        async def callback(self: Any, interaction: discord.Interaction) -> None:
            await interaction.response.send_message("never synced")

        callback.__qualname__ = f"Overflowing.{name}"  # a method, as discord.py tells them apart
        return app_commands.Command(name=name, description="One too many", callback=callback)

    return type("Overflowing", (commands.Cog,), {f"extra{i}": command(f"extra{i}") for i in range(count)})


def plugin_with(name: str, *cog_classes: type[commands.Cog]) -> types.ModuleType:
    module = types.ModuleType(name)

    def register_cogs(bot: Any) -> list[commands.Cog]:
        return [cls() for cls in cog_classes]

    module.register_cogs = hookimpl(register_cogs)  # type: ignore[attr-defined]
    return module


ILLEGAL: dict[str, tuple[type[commands.Cog], str]] = {
    "description": (LongDescription, "/longwinded description: Must be between 1 and 100 in length. "
                                     "(rule command.description.length)"),
    "upper-case": (UpperCaseName, "/Shout name: Command name is invalid (rule command.name.pattern)"),
    "required-after-optional": (OptionalFirst, "/order options.1.required: Required options must be placed "
                                               "before non-required options (rule command.options.required_first)"),
}


@pytest.fixture
def illegal() -> str:
    return "description"


@pytest.fixture
def alphapy_plugins(illegal: str) -> list[tuple[str, Any]]:
    # "fine" comes first, so the failing plugin's legal command is already in the tree
    return [("hello", test_plugin("hello")), ("illegal", plugin_with("illegal", Fine, ILLEGAL[illegal][0]))]


@pytest.mark.parametrize("illegal", list(ILLEGAL))
async def test_a_plugin_with_an_illegal_command_is_failed_and_the_others_sync(
        bot, emulator, host, illegal: str) -> None:
    reason = f"Discord would refuse its commands: {ILLEGAL[illegal][1]}"
    info = bot.plugins.infos["illegal"]
    assert (info.status, info.error) == ("failed", reason)

    synced = {command.name for command in emulator.commands()}
    assert {"hello", "hello_admin", "plugins"} <= synced
    assert not synced & {"fine", "longwinded", "shout", "Shout", "order"}
    assert bot.tree.get_command("fine") is None and bot.get_cog("Fine") is None
    assert (await emulator.slash(host, "hello")).content.endswith(f", {host.display_name}!")

    listing = await emulator.slash(host, "plugins list")
    shown = safe(reason, 300)  # as /plugins list shows any reason: markdown escaped
    assert listing.embed["description"].splitlines()[-1] == f"🔴 **illegal** — did not load: {shown}"


@pytest.mark.parametrize("extra", ["clash", "overflow"])
async def test_the_plugin_adding_a_clashing_or_overflowing_command_is_the_one_failed(
        emulator, guild, migrated_database_url, extra: str) -> None:
    from alphapy.testing.bot import running_alphapy

    late = HelloAgain if extra == "clash" else overflowing(100)
    plugins = [("hello", test_plugin("hello")), ("late", plugin_with("late", Fine, late))]
    async with running_alphapy(emulator, migrated_database_url, plugins=plugins) as runner:
        infos = runner.bot.plugins.infos
        assert (infos["hello"].status, infos["late"].status) == ("loaded", "failed")
        synced = [command.name for command in emulator.commands()]
    assert "hello" in synced and "fine" not in synced and "extra0" not in synced
    assert len(synced) == len(set(synced)) <= 100


async def test_a_sync_discord_refuses_leaves_the_bot_running_and_readyz_says_so(
        migrated_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from alphapy.testing.bot import running_alphapy
    from alphapy.testing.emulator.fixtures import running_emulator
    from alphapy.testing.emulator.spec import ENV_VAR

    refusal = {"0": {"_errors": [{"code": "APPLICATION_COMMAND_TOO_LARGE",
                                  "message": "Command exceeds maximum size (4000)"}]}}
    # Without the OpenAPI description: it types the leaf codes of an errors tree as
    # integers, where Discord sends strings like the one above.
    monkeypatch.delenv(ENV_VAR, raising=False)
    plugins = [("hello", test_plugin("hello"))]
    async with running_emulator() as emulator:
        guild = emulator.add_guild("Test Guild", owner_name="host")
        async with running_alphapy(emulator, migrated_database_url, plugins=plugins):
            pass  # an earlier run synced the commands Discord has
        had = sorted(command.name for command in emulator.commands())
        emulator.refuse_command_sync(refusal)
        stream = io.StringIO()
        configure_logging("info", "json", stream=stream)
        try:
            async with running_alphapy(emulator, migrated_database_url, plugins=plugins, health=True) as runner:
                url = runner.services.health.url
                async with aiohttp.ClientSession() as session:
                    async with session.get(f"{url}/readyz") as response:
                        ready = (response.status, await response.json())
                    async with session.get(f"{url}/api/health") as response:
                        report = await response.json()
                assert sorted(command.name for command in emulator.commands()) == had
                assert (await emulator.slash(guild.owner, "hello")).content.endswith("!")  # still serving
                emulator.refuse_command_sync(None)
                await runner.bot.sync_commands()  # a later sync that Discord accepts clears it
                assert runner.bot.command_sync == {"status": "ok"}
        finally:
            configure_logging("warning", "json")
    lines = [line for line in stream.getvalue().splitlines() if '"commands.sync_refused"' in line]
    assert len(lines) == 1 and json.loads(lines[0])["errors"] == refusal  # the whole tree, one line
    status, body = ready
    assert status == 200 and body["status"] == "ready"
    assert body["command_sync"]["status"] == "refused" and body["command_sync"]["errors"] == refusal
    assert report["command_sync"] == {"status": "refused", "code": 50035, "errors": refusal}
    assert report["status"] == "degraded" and report["gateway"] == "ok"
