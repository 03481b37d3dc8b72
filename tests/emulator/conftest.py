"""Fixtures for the emulator's own tests: an emulator with spec validation, and a real
discord.py bot (plain ``commands.Bot`` with an app-command tree, views and a modal)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.fixtures import bare_bot, running_emulator

SPEC = Path(os.environ.get("ALPHAPY_DISCORD_OPENAPI", "/work/shared/discord/openapi.json"))


@pytest.fixture
async def emu() -> AsyncIterator[DiscordEmulator]:
    """A running emulator validating all traffic against Discord's OpenAPI description;
    the test fails on any violation (``running_emulator(check=True)``)."""
    async with running_emulator(openapi_spec=SPEC if SPEC.exists() else None) as emulator:
        yield emulator


# --------------------------------------------------------------------------- the test bot


class Panel(discord.ui.View):
    """A button that updates its message in place, a string select and a role select."""

    def __init__(self) -> None:
        super().__init__(timeout=60)
        self.claimed_by: str | None = None

    @discord.ui.button(label="Claim", style=discord.ButtonStyle.primary, custom_id="panel:claim")
    async def claim(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.claimed_by = interaction.user.name
        button.disabled = True
        await interaction.response.edit_message(content=f"claimed by {interaction.user.name}", view=self)

    @discord.ui.button(label="Ack", style=discord.ButtonStyle.secondary, custom_id="panel:ack")
    async def ack(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="acknowledged")

    @discord.ui.select(
        custom_id="panel:colour",
        placeholder="Colour",
        min_values=1,
        max_values=2,
        options=[discord.SelectOption(label="Red", value="red"), discord.SelectOption(label="Blue", value="blue")],
    )
    async def colour(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {','.join(select.values)}", ephemeral=True)

    @discord.ui.select(cls=discord.ui.RoleSelect, custom_id="panel:role")
    async def role(self, interaction: discord.Interaction, select: discord.ui.RoleSelect) -> None:
        await interaction.response.send_message(f"role {select.values[0].name}", ephemeral=True)


class Feedback(discord.ui.Modal, title="Feedback"):
    subject = discord.ui.TextInput(label="Subject", custom_id="fb:subject", max_length=50)
    body = discord.ui.TextInput(label="Body", style=discord.TextStyle.paragraph, required=False, default="n/a")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.subject.value} / {self.body.value}", ephemeral=True)


class Survey(discord.ui.Modal, title="Survey"):
    """A modal in the newer style: labels wrapping a text input and a select."""

    name = discord.ui.Label(text="Your name", component=discord.ui.TextInput(custom_id="sv:name"))
    mood = discord.ui.Label(
        text="Mood",
        component=discord.ui.Select(
            custom_id="sv:mood",
            options=[
                discord.SelectOption(label="Happy", value="happy"),
                discord.SelectOption(label="Meh", value="meh"),
            ],
        ),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.name.component, discord.ui.TextInput)
        assert isinstance(self.mood.component, discord.ui.Select)
        await interaction.response.send_message(f"{self.name.component.value} is {self.mood.component.values[0]}")


settings = app_commands.Group(name="settings", description="Guild settings")
admin = app_commands.Group(name="admin", description="Admin tools")
tools = app_commands.Group(name="tools", description="Tools", parent=admin)


@settings.command(name="set", description="Set a value")
async def settings_set(
    interaction: discord.Interaction,
    key: str,
    count: int,
    enabled: bool,
    channel: discord.TextChannel,
    role: discord.Role,
    user: discord.Member,
) -> None:
    await interaction.response.send_message(
        f"{key}={count} enabled={enabled} channel={channel.name} role={role.name} user={user.name}"
    )


@settings.command(name="show", description="Show settings")
async def settings_show(interaction: discord.Interaction) -> None:
    await interaction.response.send_message("nothing set", ephemeral=True)


@tools.command(name="echo", description="Echo")
@app_commands.describe(text="What to say")
async def tools_echo(interaction: discord.Interaction, text: str, times: app_commands.Range[int, 1, 3] = 1) -> None:
    await interaction.response.send_message(" ".join([text] * times))


def make_bot(**kwargs: Any) -> commands.Bot:
    """A plain commands.Bot with the commands, views and listeners the tests drive."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    kwargs.setdefault("intents", intents)
    kwargs.setdefault("guild_ready_timeout", 0.05)
    bot = commands.Bot(command_prefix="!", **kwargs)
    bot.tree.add_command(settings)
    bot.tree.add_command(admin)
    bot.seen: list[str] = []  # type: ignore[attr-defined]

    @bot.tree.command(description="Ping")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @bot.tree.command(description="A secret")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)

    @bot.tree.command(description="Slow report")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("step 1")  # fills the deferred message
        await interaction.followup.send("step 2")  # a real follow-up
        await interaction.edit_original_response(content="final")

    @bot.tree.command(description="Open the panel")
    async def panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=Panel())

    @bot.tree.command(description="Give feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback())

    @bot.tree.command(description="Answer a survey")
    async def survey(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Survey())

    async def faq_topics(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        topics = ["password reset", "pasta recipes", "billing"]
        return [app_commands.Choice(name=t.title(), value=t) for t in topics if t.startswith(current)]

    faq = app_commands.Group(name="faq", description="FAQ")

    @faq.command(name="search", description="Search the FAQ")
    @app_commands.autocomplete(query=faq_topics)
    async def faq_search(interaction: discord.Interaction, query: str) -> None:
        await interaction.response.send_message(f"answer for {query}")

    bot.tree.add_command(faq)

    @bot.tree.command(description="Upload a file with an embed and a button")
    async def upload(interaction: discord.Interaction) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        view = discord.ui.View()
        view.add_item(discord.ui.Button(label="Docs", url="https://example.com/docs"))
        embed = discord.Embed(title="Report", description="weekly", colour=0x00FF00)
        embed.add_field(name="rows", value="3")
        sent = await interaction.channel.send(
            "here it is",
            embed=embed,
            view=view,
            file=discord.File(__import__("io").BytesIO(b"a,b\n1,2\n"), "report.csv"),
        )
        data = await sent.attachments[0].read()
        await interaction.response.send_message(f"read {len(data)} bytes: {data.decode()!r}", ephemeral=True)

    @bot.tree.command(description="Read an uploaded file")
    async def inspect(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}: {data.decode()}")

    @bot.tree.command(description="Open a private channel")
    @app_commands.guild_only()
    async def private(interaction: discord.Interaction, name: str) -> None:
        guild = interaction.guild
        assert guild is not None and isinstance(interaction.user, discord.Member)
        overwrites = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            interaction.user: discord.PermissionOverwrite(view_channel=True, send_messages=True),
            guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True),
        }
        try:
            channel = await guild.create_text_channel(name, overwrites=overwrites)
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"forbidden {exc.code}", ephemeral=True)
            return
        await interaction.response.send_message(f"created {channel.mention}")

    @bot.tree.command(description="Give a role")
    async def grant(
        interaction: discord.Interaction, member: discord.Member, role: discord.Role, remove: bool = False
    ) -> None:
        try:
            if remove:
                await member.remove_roles(role)
            else:
                await member.add_roles(role)
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"forbidden {exc.code}", ephemeral=True)
            return
        await interaction.response.send_message(f"{'removed' if remove else 'gave'} {role.name}")

    @bot.tree.command(description="DM someone")
    async def tell(interaction: discord.Interaction, member: discord.Member, text: str) -> None:
        try:
            await member.send(text)
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"cannot dm {exc.code}", ephemeral=True)
            return
        await interaction.response.send_message("sent", ephemeral=True)

    @bot.tree.command(description="Open a thread")
    async def discuss(interaction: discord.Interaction, topic: str) -> None:
        assert isinstance(interaction.channel, discord.TextChannel)
        await interaction.response.send_message(f"thread for {topic}")
        original = await interaction.original_response()
        thread = await original.create_thread(name=topic)
        await thread.send("first post")
        assert isinstance(interaction.user, discord.Member)
        await thread.add_user(interaction.user)

    @bot.tree.command(description="Say something in the channel")
    async def say(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(ephemeral=True)
        assert interaction.channel is not None
        await interaction.channel.send(text)  # type: ignore[union-attr]
        await interaction.followup.send("said", ephemeral=True)

    @bot.tree.command(description="Premium status")
    async def premium(interaction: discord.Interaction) -> None:
        listed = [e async for e in bot.entitlements(user=interaction.user)]
        await interaction.response.send_message(
            f"entitled={bool(interaction.entitlements)} listed={len(listed)}", ephemeral=True
        )

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author == bot.user or (message.author.bot and message.webhook_id is None):
            return
        bot.seen.append(message.content)  # type: ignore[attr-defined]
        if message.content.startswith("!echo "):
            await message.channel.send(f"echo: {message.content[6:]}")
        if message.attachments:
            data = await message.attachments[0].read()
            await message.channel.send(f"got {message.attachments[0].filename} ({len(data)} bytes)")

    @bot.event
    async def on_member_join(member: discord.Member) -> None:
        if not member.pending:
            await member.add_roles(discord.utils.get(member.guild.roles, name="Verified"))  # type: ignore[arg-type]

    @bot.event
    async def on_member_update(before: discord.Member, after: discord.Member) -> None:
        if before.pending and not after.pending:
            role = discord.utils.get(after.guild.roles, name="Verified")
            if role is not None:
                await after.add_roles(role)
                try:
                    await after.send("welcome!")
                except discord.Forbidden:
                    pass

    return bot


@pytest.fixture
def bot_factory():
    return make_bot


@pytest.fixture
async def world(emu: DiscordEmulator):
    """A guild with an owner, a moderator role, two members and two channels."""
    guild = emu.add_guild("Test Guild", text_channels=["general", "staff"])
    verified = guild.add_role("Verified")
    mod = guild.add_role("Moderator", permissions=["manage_messages", "kick_members"])
    alice = guild.add_member("alice", roles=[mod])
    bob = guild.add_member("bob")
    return {"guild": guild, "alice": alice, "bob": bob, "mod": mod, "verified": verified}


@pytest.fixture
async def bot(emu: DiscordEmulator, world) -> AsyncIterator[commands.Bot]:
    async with bare_bot(emu, bot=make_bot()) as running:
        yield running
