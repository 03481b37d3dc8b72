"""``require_staff``: a component (which no ``@staff_only()`` can declare) refused to non-staff."""

from __future__ import annotations

import re
import types
from typing import Any

import discord
import pytest
from discord import app_commands

from alphapy import PluginCog, answering_errors, hookimpl, require_staff


class DoorButton(discord.ui.DynamicItem[discord.ui.Button], template=r"doors:open"):
    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Open", custom_id=DoorsCog.custom_id("open")))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]) -> DoorButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        async with answering_errors(interaction, "open the door"):
            await require_staff(interaction, "Only staff can open this door.")
            await interaction.response.send_message("The door opens.", ephemeral=True)


class DoorsCog(PluginCog, plugin="doors"):
    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DoorButton)

    @app_commands.command(name="doors", description="Post a door only staff may open")
    async def doors(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(DoorButton())
        await interaction.response.send_message("A door", view=view)


def doors_plugin() -> types.ModuleType:
    module = types.ModuleType("doors")

    def register_settings(register: Any) -> None:
        register("staff_role", "role", help="who may open doors")

    def register_cogs(bot: Any) -> Any:
        return DoorsCog(bot)

    module.register_settings = hookimpl(register_settings)  # type: ignore[attr-defined]
    module.register_cogs = hookimpl(register_cogs)  # type: ignore[attr-defined]
    return module


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("doors", doors_plugin())]


async def test_a_member_is_refused_in_one_sentence(bot, emulator, member) -> None:
    posted = await emulator.slash(member, "doors")
    refused = await emulator.click(posted.response, "Open", by=member)
    assert refused.ephemeral and refused.content == "Only staff can open this door."


async def test_a_manager_passes(bot, emulator, member, host) -> None:
    posted = await emulator.slash(member, "doors")
    opened = await emulator.click(posted.response, "Open", by=host)
    assert opened.ephemeral and opened.content == "The door opens."


async def test_the_plugin_named_by_the_custom_id_has_its_staff_role_counted(bot, emulator, guild, member) -> None:
    porters = guild.add_role("Porters")
    await emulator.give_role(member, porters)
    await bot.settings.set(guild.id, "doors", "staff_role", porters.id)
    posted = await emulator.slash(member, "doors")
    opened = await emulator.click(posted.response, "Open", by=member)
    assert opened.content == "The door opens."
