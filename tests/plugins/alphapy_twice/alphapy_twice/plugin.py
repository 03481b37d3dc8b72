"""Hook implementations of the test plugin ``twice``: a setting declared twice."""

from discord import app_commands
from discord.ext import commands

from alphapy import hookimpl


class TwiceCog(commands.Cog):
    @app_commands.command(name="twice", description="Must never be registered")
    async def twice(self, interaction) -> None:
        await interaction.response.send_message("twice")


@hookimpl
def register_settings(register):
    register("limit", "int", default=3)
    register("limit", "int", default=4)


@hookimpl
def register_cogs(bot):
    return TwiceCog()


@hookimpl
async def health():
    return {"status": "ok"}
