"""Tokens as Discord treats them: a bot token it never issued is refused at login, and an
interaction token serves follow-ups for 15 minutes only (measured on the emulator's clock)."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from alphapy.discord_endpoints import configure_endpoints
from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.fixtures import bare_bot, default_intents
from alphapy.testing.emulator.interactions import APPLICATION_COMMAND, Interaction


async def test_a_bot_token_that_never_logged_in_is_refused(emu: DiscordEmulator) -> None:
    configure_endpoints(emu.api_base, emu.gateway_url)
    client = discord.Client(intents=default_intents())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("never-issued.abc.def")
    finally:
        await client.close()


async def test_the_gateway_refuses_a_token_discord_never_issued(emu: DiscordEmulator) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(emu.gateway_url) as ws:
        hello = await ws.receive_json()
        assert hello["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": "never-issued.abc.def", "intents": 0, "properties": {}}})
        closed = await ws.receive()
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4004


async def test_a_test_can_accept_any_token() -> None:
    async with DiscordEmulator(accept_any_token=True) as emu:
        emu.add_guild("Any")
        configure_endpoints(emu.api_base, emu.gateway_url)
        client = discord.Client(intents=default_intents())
        try:
            await client.login("any-token.abc.def")
            assert client.user is not None and client.user.id == emu.bot_user.id
        finally:
            await client.close()


async def test_the_emulators_own_token_logs_in(emu: DiscordEmulator) -> None:
    emu.add_guild("Own")
    async with bare_bot(emu, sync=False) as bot:
        assert bot.user.id == emu.bot_user.id


async def test_interaction_tokens_expire_for_followups_after_15_minutes(emu: DiscordEmulator) -> None:
    guild = emu.add_guild("Late")
    owner = guild.members[guild.owner_id]
    interaction = Interaction(emu.state.ids.next(), APPLICATION_COMMAND, owner.user, owner, guild,
                              guild.channel("general"), {"name": "t"}, name="test")
    emu.interactions.register(interaction)
    webhook = f"{emu.api_base}/webhooks/{emu.application.id}/{interaction.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.api_base}/interactions/{interaction.id}/{interaction.token}/callback",
                             json={"type": 5}) as resp:
            assert resp.status == 204
        emu.advance_time(15 * 60 - 1)
        async with http.post(webhook, json={"content": "still in time"}) as resp:
            assert resp.status == 204
        emu.advance_time(2)
        async with http.post(webhook, json={"content": "too late"}) as resp:
            assert resp.status == 401 and (await resp.json())["code"] == 50027
        async with http.patch(f"{webhook}/messages/@original", json={"content": "too late"}) as resp:
            assert resp.status == 401
    assert interaction.response is not None and interaction.response.content == "still in time"
