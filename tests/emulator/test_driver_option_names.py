"""Command options named like a driver parameter reach the bot, however they are passed."""

from __future__ import annotations

import discord

from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.fixtures import bare_bot


async def test_an_option_named_options_is_accepted_as_a_keyword(emu: DiscordEmulator, world, bot_factory) -> None:
    bot = bot_factory()

    async def suggest(interaction: discord.Interaction, current: str) -> list[discord.app_commands.Choice[str]]:
        return [discord.app_commands.Choice(name=f"{current}!", value=f"{current}!")]

    @bot.tree.command(description="Ask a question with choices")
    @discord.app_commands.autocomplete(options=suggest)
    async def ask(interaction: discord.Interaction, question: str, options: str, timeout: int = 0) -> None:
        await interaction.response.send_message(f"{question} [{options}] timeout={timeout}")

    async with bare_bot(emu, bot=bot):
        as_keyword = await emu.slash(world["bob"], "ask", question="Colour?", options="red,blue")
        assert as_keyword.content == "Colour? [red,blue] timeout=0"
        as_mapping = await emu.slash(world["bob"], "ask", options={"question": "Size?", "options": "S,M", "timeout": 5})
        assert as_mapping.content == "Size? [S,M] timeout=5"
        choices = await emu.autocomplete(world["bob"], "ask", focused="options", value="red", question="Colour?")
        assert choices == [("red!", "red!")]
