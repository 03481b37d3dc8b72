"""Commands, a listener and a persistent button: every gated surface, in miniature."""

import re

import discord
from discord import app_commands
from discord.ext import commands

from alphapy.cog import PluginCog
from alphapy.errors import UserError, answering_errors
from alphapy.gate import manage_guild_only, staff_only


class WaveButton(discord.ui.DynamicItem[discord.ui.Button], template=r"hello:wave:(?P<n>\d+)"):
    def __init__(self, n: int) -> None:
        super().__init__(discord.ui.Button(label="Wave", custom_id=f"hello:wave:{n}"))
        self.n = n

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"👋 #{self.n}", ephemeral=True)


class TroubleButton(discord.ui.DynamicItem[discord.ui.Button], template=r"hello:trouble:(?P<kind>refuse|bug)"):
    """A component whose handler fails: answered through the core's ``answering_errors``."""

    def __init__(self, kind: str) -> None:
        super().__init__(discord.ui.Button(label=kind.title(), custom_id=f"hello:trouble:{kind}"))
        self.kind = kind

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]):
        return cls(match["kind"])

    async def callback(self, interaction: discord.Interaction) -> None:
        async with answering_errors(interaction, "trouble"):
            if self.kind == "refuse":
                raise UserError("You cannot wave twice.")
            raise RuntimeError("the button has a bug")


class HelloCog(PluginCog, plugin="hello"):
    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(WaveButton, TroubleButton)

    @app_commands.command(name="hello", description="Say hello")
    async def hello(self, interaction: discord.Interaction) -> None:
        greeting = await self.setting(interaction.guild_id, "greeting")
        await interaction.response.send_message(f"{greeting}, {interaction.user.display_name}!")

    @app_commands.command(name="hello_admin", description="Managers only")
    @manage_guild_only()
    async def hello_admin(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("admin ok", ephemeral=True)

    @app_commands.command(name="hello_staff", description="Staff only")
    @staff_only()
    async def hello_staff(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("staff ok", ephemeral=True)

    @app_commands.command(name="hello_fail", description="A bug")
    async def hello_fail(self, interaction: discord.Interaction) -> None:
        raise RuntimeError("the hello plugin has a bug")

    @app_commands.command(name="hello_refuse", description="A polite refusal")
    async def hello_refuse(self, interaction: discord.Interaction) -> None:
        raise UserError("That greeting does not exist in this server.")

    @app_commands.command(name="hello_button", description="Post a wave button")
    async def hello_button(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(WaveButton(7))
        await interaction.response.send_message("Wave at me", view=view)

    @app_commands.command(name="hello_trouble", description="Post buttons that fail")
    async def hello_trouble(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(TroubleButton("refuse"))
        view.add_item(TroubleButton("bug"))
        await interaction.response.send_message("Trouble ahead", view=view)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.content == "hello crash":
            raise RuntimeError("the hello listener has a bug")
        if message.content == "hello bot":
            await message.channel.send(f"hi {message.author.display_name}")
