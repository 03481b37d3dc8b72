"""Emulator: people editing and deleting messages and channels, and Discord's global rate limit."""

from __future__ import annotations

import asyncio

import discord
from discord.ext import commands

from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.fixtures import bare_bot, running_emulator


async def test_edit_and_delete_reach_the_bot_as_raw_events(emu: DiscordEmulator, world, bot: commands.Bot) -> None:
    seen: list[tuple[str, object]] = []

    async def on_raw_message_edit(payload: discord.RawMessageUpdateEvent) -> None:
        seen.append(("edit", payload.message.embeds[0].title if payload.message.embeds else payload.message.content))

    async def on_raw_message_delete(payload: discord.RawMessageDeleteEvent) -> None:
        seen.append(("delete", payload.message_id))

    bot.add_listener(on_raw_message_edit)
    bot.add_listener(on_raw_message_delete)
    general = world["guild"].channel("general")
    posted = await emu.post(general, "draft", author=world["alice"], embeds=[discord.Embed(title="Raid")])
    await emu.edit_message(posted, embeds=[discord.Embed(title="Raid (moved)")])
    assert posted.embeds[0]["title"] == "Raid (moved)" and posted.content == "draft"
    assert posted.edited_timestamp is not None
    await emu.delete_message(posted)
    assert posted.deleted and posted not in general.messages
    assert seen == [("edit", "Raid (moved)"), ("delete", posted.id)]


async def test_a_deleted_channel_answers_unknown_channel(emu: DiscordEmulator, world, bot: commands.Bot) -> None:
    general = world["guild"].channel("general")
    await emu.delete_channel(general)
    assert bot.get_channel(general.id) is None  # CHANNEL_DELETE reached the cache
    try:
        await bot.get_partial_messageable(general.id).send("hello?")
    except discord.NotFound as exc:
        assert exc.code == 10003
    else:
        raise AssertionError("a send to a deleted channel must fail")


async def test_global_limit_answers_global_429s_that_discord_py_waits_out() -> None:
    async with running_emulator(global_rate_limit=5) as emu:
        guild = emu.add_guild("Busy", text_channels=[f"c{i}" for i in range(12)])
        async with bare_bot(emu, sync=False) as bot:
            channels = [bot.get_partial_messageable(c.id) for c in guild.text_channels]
            await asyncio.gather(*(channel.send("hi") for channel in channels))
        assert all(len(c.messages) == 1 for c in guild.text_channels)
        assert emu.ratelimiter.global_hits >= 1
        limited = [r for r in emu.requests.matching("POST", "/channels/{channel_id}/messages") if r.status == 429]
        assert limited and all(r.response["global"] is True for r in limited)
        ok = sorted(r.time for r in emu.requests.matching("POST", "/channels/{channel_id}/messages")
                    if r.status == 200)
        # 12 sends at 5 per second take three one-second windows
        assert len(ok) == 12 and ok[-1] - ok[0] >= 1.9
