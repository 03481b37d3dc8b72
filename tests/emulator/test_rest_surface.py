"""Breadth: the REST routes a bot uses, called through discord.py's own API, each answer
checked against Discord's OpenAPI description (the ``emu`` fixture fails on violations)."""

from __future__ import annotations

import datetime as dt

import discord
import pytest
from discord import app_commands

from alphapy.testing.emulator import DiscordEmulator, P


async def test_guild_channel_role_and_member_routes(emu: DiscordEmulator, world, bot) -> None:
    guild_state, bob = world["guild"], world["bob"]
    guild = await bot.fetch_guild(guild_state.id, with_counts=True)
    assert guild.name == "Test Guild" and guild.approximate_member_count == len(guild_state.members)
    cached = bot.get_guild(guild_state.id)
    assert cached is not None
    channels = await cached.fetch_channels()
    assert {c.name for c in channels} == {"general", "staff"}
    fetched = await bot.fetch_channel(guild_state.channel("general").id)
    assert fetched.name == "general"

    # categories, channel creation inside them, edit, overwrites, delete
    category = await cached.create_category("Support")
    ticket = await cached.create_text_channel("ticket-1", category=category, topic="help")
    assert guild_state.channel("ticket-1").category is guild_state.channel("Support")
    await ticket.edit(name="ticket-one", topic="solved", slowmode_delay=5)
    assert guild_state.channel("ticket-one").rate_limit_per_user == 5
    member_bob = await cached.fetch_member(bob.id)
    await ticket.set_permissions(member_bob, view_channel=False)
    assert not guild_state.channel("ticket-one").visible_to(bob)
    await ticket.set_permissions(member_bob, overwrite=None)
    assert guild_state.channel("ticket-one").visible_to(bob)
    await ticket.delete()
    assert "ticket-one" not in {c.name for c in guild_state.channels.values()}

    # roles: list, create, edit, delete
    roles = await cached.fetch_roles()
    assert {"@everyone", "Moderator", "Verified"} <= {r.name for r in roles}
    role = await cached.create_role(name="Temp", permissions=discord.Permissions(send_messages=True), colour=0x123456)
    await role.edit(name="Temporary", mentionable=True)
    assert guild_state.role("Temporary").mentionable
    with pytest.raises(discord.Forbidden):
        await cached.create_role(name="Too strong", permissions=discord.Permissions(administrator=True))
    await role.delete()
    with pytest.raises(KeyError):
        guild_state.role("Temporary")

    # members: list, nick, timeout, kick
    members = [m async for m in cached.fetch_members(limit=None)]
    assert {m.id for m in members} == set(guild_state.members)
    await member_bob.edit(nick="Bobby")
    assert bob.display_name == "Bobby"
    await member_bob.timeout(dt.timedelta(minutes=5))
    assert bob.timed_out and not guild_state.channel("general").permissions_for(bob) & P.SEND_MESSAGES
    await member_bob.timeout(None)
    assert not bob.timed_out
    await cached.me.edit(nick="Helper Bot")
    assert guild_state.me.nick == "Helper Bot"
    with pytest.raises(discord.Forbidden):
        await cached.get_member(guild_state.owner_id).kick()
    await member_bob.kick()
    assert bob.id not in guild_state.members
    with pytest.raises(discord.NotFound) as caught:
        await cached.fetch_member(bob.id)
    assert caught.value.code == 10007
    with pytest.raises(discord.NotFound) as unknown_channel:
        await bot.fetch_channel(12345)
    assert unknown_channel.value.code == 10003


async def test_user_dm_typing_threads_and_pins(emu: DiscordEmulator, world, bot) -> None:
    alice = world["alice"]
    user = await bot.fetch_user(alice.id)
    assert user.name == "alice"
    dm = await user.create_dm()
    await dm.send("hi")
    assert [m.content for m in emu.dms(alice)] == ["hi"]
    general = bot.get_channel(world["guild"].channel("general").id)
    async with general.typing():
        pass
    private = await general.create_thread(name="mods only", type=discord.ChannelType.private_thread)
    await private.add_user(discord.Object(alice.id))
    members = await private.fetch_members()
    assert {m.id for m in members} == {bot.user.id, alice.id}
    await private.remove_user(discord.Object(alice.id))
    await private.edit(archived=True, locked=True)
    state_thread = world["guild"].channel("mods only")
    assert state_thread.archived and state_thread.locked and not state_thread.visible_to(world["bob"])
    public = await general.create_thread(name="open", type=discord.ChannelType.public_thread)
    await public.send("in thread")
    active = await bot.get_guild(world["guild"].id).active_threads()
    assert "open" in {t.name for t in active}
    msg = await general.send("pin me")
    await msg.pin()
    assert [m.content async for m in general.pins()] == ["pin me"]
    await msg.unpin()
    fetched = await general.fetch_message(msg.id)
    assert fetched.content == "pin me" and not fetched.pinned


async def test_command_routes_and_guild_sync(emu: DiscordEmulator, world, bot) -> None:
    guild = discord.Object(world["guild"].id)

    @app_commands.command(name="local", description="Guild only")
    @app_commands.default_permissions(manage_guild=True)
    async def local(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("local ok")

    bot.tree.add_command(local, guild=guild)
    synced = await bot.tree.sync(guild=guild)
    assert [c.name for c in synced] == ["local"]
    fetched = await bot.tree.fetch_commands(guild=guild)
    assert fetched[0].default_member_permissions == discord.Permissions(manage_guild=True)
    global_cmds = await bot.tree.fetch_commands()
    ping = next(c for c in global_cmds if c.name == "ping")
    same = await bot.tree.fetch_command(ping.id)
    assert same.id == ping.id
    edited = await ping.edit(description="Ping it")
    assert edited.description == "Ping it"
    # the owner may use it; bob does not have Manage Guild, so Discord hides it from him
    assert (await emu.slash(world["guild"].owner, "local")).content == "local ok"
    with pytest.raises(PermissionError, match="default_member_permissions"):
        await emu.slash(world["bob"], "local")
    await fetched[0].delete()
    assert emu.commands(world["guild"]) == emu.commands()
    # re-syncing keeps ids of unchanged commands, as Discord does
    again = await bot.tree.sync()
    assert next(c for c in again if c.name == "ping").id == ping.id


async def test_interaction_webhook_routes(emu: DiscordEmulator, world, bot) -> None:
    seen: dict[str, object] = {}

    @bot.tree.command(description="Exercises follow-ups")
    async def steps(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("start")
        original = await interaction.original_response()
        seen["original"] = original.content
        follow = await interaction.followup.send("temp", ephemeral=True, wait=True)
        await follow.edit(content="temp edited")
        fetched = await interaction.followup.fetch_message(follow.id)
        seen["fetched"] = fetched.content
        await follow.delete()
        await interaction.followup.send("kept", file=discord.File(__import__("io").BytesIO(b"xyz"), "f.txt"))
        await interaction.delete_original_response()

    await bot.tree.sync()
    result = await emu.slash(world["alice"], "steps")
    await emu.settle()
    assert seen == {"original": "start", "fetched": "temp edited"}
    assert result.response.deleted
    assert [m.content for m in result.followups] == ["temp edited", "kept"]
    assert result.followups[0].deleted and result.followups[1].attachments[0].data == b"xyz"
    assert [m.content for m in world["guild"].channel("general").messages] == ["kept"]


async def test_double_answer_and_late_answer_are_refused(emu: DiscordEmulator, world, bot) -> None:
    errors: list[int] = []

    @bot.tree.command(description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        try:  # bypass discord.py's own guard to reach the API
            interaction.response._response_type = None
            await interaction.response.send_message("two")
        except discord.HTTPException as exc:
            errors.append(exc.code)

    await bot.tree.sync()
    result = await emu.slash(world["alice"], "twice")
    await emu.wait_until(lambda: errors)
    assert result.content == "one" and errors == [40060]


async def test_entitlement_listing_filters(emu: DiscordEmulator, world, bot) -> None:
    alice, bob = world["alice"], world["bob"]
    await emu.grant_entitlement(alice)
    await emu.grant_entitlement(guild=world["guild"])
    ended = await emu.grant_entitlement(bob, ends_at="2020-01-01T00:00:00+00:00")
    all_of_them = [e async for e in bot.entitlements(limit=None)]
    assert len(all_of_them) == 3
    alices = [e async for e in bot.entitlements(user=discord.Object(alice.id))]
    assert [e.user_id for e in alices] == [alice.id]
    current = [e async for e in bot.entitlements(exclude_ended=True)]
    assert ended.id not in {e.id for e in current}


async def test_remaining_routes_over_raw_http(emu: DiscordEmulator, world, bot) -> None:
    """Routes discord.py reaches through less common calls, hit directly."""
    import aiohttp

    guild = world["guild"]
    general = guild.channel("general")
    base = emu.api_base
    auth = {"Authorization": f"Bot {emu.token}"}
    message = await emu.post(general, "react to me", author=world["alice"])
    entitlement = await emu.grant_entitlement(world["alice"])
    async with aiohttp.ClientSession(headers=auth) as http:

        async def call(method: str, path: str, **kwargs) -> tuple[int, object]:
            async with http.request(method, base + path, **kwargs) as resp:
                body = await resp.json() if resp.content_type == "application/json" else None
                return resp.status, body

        assert (await call("GET", "/gateway"))[1] == {"url": emu.gateway_url}
        status, gateway_bot = await call("GET", "/gateway/bot")
        assert status == 200 and gateway_bot["shards"] == 1
        assert (await call("GET", "/applications/@me"))[1]["id"] == str(emu.application.id)
        assert (await call("GET", f"/users/{world['bob'].id}"))[1]["username"] == "bob"
        status, found = await call("GET", f"/guilds/{guild.id}/members/search", params={"query": "ali", "limit": "5"})
        assert [m["user"]["username"] for m in found] == ["alice"]
        staff = guild.channel("staff")
        assert (await call("PATCH", f"/guilds/{guild.id}/channels", json=[{"id": str(staff.id), "position": 0}]))[
            0
        ] == 204
        assert staff.position == 0
        verified = world["verified"]
        status, roles = await call("PATCH", f"/guilds/{guild.id}/roles", json=[{"id": str(verified.id), "position": 2}])
        assert status == 200 and verified.position == 2
        emoji = "%F0%9F%91%8D"  # 👍
        assert (await call("PUT", f"/channels/{general.id}/messages/{message.id}/reactions/{emoji}/@me"))[0] == 204
        assert (await call("DELETE", f"/channels/{general.id}/messages/{message.id}/reactions/{emoji}/@me"))[0] == 204
        assert message.reactions == {"👍": set()}
        assert (await call("PUT", f"/channels/{general.id}/pins/{message.id}"))[0] == 204
        assert [m["id"] for m in (await call("GET", f"/channels/{general.id}/pins"))[1]] == [str(message.id)]
        assert (await call("DELETE", f"/channels/{general.id}/pins/{message.id}"))[0] == 204
        app_id = emu.application.id
        assert (await call("POST", f"/applications/{app_id}/entitlements/{entitlement.id}/consume"))[0] == 204
        assert entitlement.consumed
        status, unknown = await call("GET", f"/channels/{general.id}/messages/1")
        assert status == 404 and unknown == {"message": "Unknown Message", "code": 10008}
        async with aiohttp.ClientSession() as anonymous:
            async with anonymous.get(base + "/users/@me") as resp:
                assert resp.status == 401


async def test_bans_and_reactions_by_people(emu: DiscordEmulator, world, bot) -> None:
    guild_state, alice, bob = world["guild"], world["alice"], world["bob"]
    guild = bot.get_guild(guild_state.id)
    with pytest.raises(discord.Forbidden):  # the default bot role has no Ban Members
        await guild.ban(discord.Object(bob.id))
    guild_state.bot_role.permissions |= P.BAN_MEMBERS
    await guild.ban(discord.Object(bob.id), reason="spam")
    assert bob.id not in guild_state.members and guild_state.bans == {bob.id: "spam"}
    assert [entry.user.id async for entry in guild.bans()] == [bob.id]
    assert (await guild.fetch_ban(discord.Object(bob.id))).reason == "spam"
    await guild.unban(discord.Object(bob.id))
    assert guild_state.bans == {}

    reactions: list[tuple[int, str]] = []

    async def on_raw_reaction_add(payload: discord.RawReactionActionEvent) -> None:
        reactions.append((payload.user_id, str(payload.emoji)))

    bot.add_listener(on_raw_reaction_add)
    poll = await emu.post(guild_state.channel("general"), "vote", author=alice)
    await emu.react(poll, "👍", by=alice)
    await emu.react(poll, "👍", by=guild_state.owner)
    assert reactions == [(alice.id, "👍"), (guild_state.owner.id, "👍")]
    message = await bot.get_channel(poll.channel.id).fetch_message(poll.id)
    assert {u.id async for u in message.reactions[0].users()} == {alice.id, guild_state.owner.id}
    await emu.unreact(poll, "👍", by=alice)
    assert poll.reactions["👍"] == {guild_state.owner.id}


async def test_channel_limits_of_a_category_and_a_guild(emu: DiscordEmulator, world, bot) -> None:
    guild_state = world["guild"]
    full = guild_state.add_category("Full")
    for number in range(50):
        guild_state.add_text_channel(f"t-{number}", category=full)
    await emu.settle()
    cached = bot.get_guild(guild_state.id)
    assert cached is not None
    with pytest.raises(discord.HTTPException) as caught:
        await cached.create_text_channel("one-too-many", category=cached.get_channel(full.id))
    assert caught.value.code == 50035 and "Maximum number of channels in category reached (50)" in caught.value.text
    await cached.create_text_channel("outside")  # the guild itself still has room
    while sum(1 for c in guild_state.channels.values() if not c.is_thread) < 500:
        guild_state.add_text_channel(f"filler-{len(guild_state.channels)}")
    with pytest.raises(discord.HTTPException) as guild_full:
        await cached.create_text_channel("past-500")
    assert guild_full.value.code == 30013
