"""The emulator against the real discord.py client: every test runs an unmodified
``commands.Bot`` over loopback, with all traffic checked against Discord's OpenAPI
description (the ``emu`` fixture fails a test on any violation)."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest
from discord.ext import commands

from alphapy.testing.emulator import DiscordEmulator, EmulatorTimeout, P
from alphapy.testing.emulator.fixtures import bare_bot
from alphapy.testing.emulator.spec import PACKAGED_SPEC

# --------------------------------------------------------------------------- login & READY


async def test_login_and_ready_with_several_guilds(bot_factory, emu: DiscordEmulator) -> None:
    guilds = [emu.add_guild(f"Guild {i}", members=5, text_channels=["general", "random"]) for i in range(4)]
    mod = guilds[0].add_role("Mod", permissions=P.MANAGE_MESSAGES)
    guilds[0].add_member("carol", roles=[mod])
    async with bare_bot(emu, bot=bot_factory()) as bot:
        assert bot.user is not None and bot.user.id == emu.bot_user.id
        assert bot.application_id == emu.application.id
        assert {g.id for g in bot.guilds} == {g.id for g in guilds}
        first = bot.get_guild(guilds[0].id)
        assert first is not None and first.chunked
        assert first.member_count == len(guilds[0].members) == 8  # owner + bot + 5 + carol
        assert sorted(c.name for c in first.text_channels) == ["general", "random"]
        carol = first.get_member(guilds[0].member("carol").id)
        assert carol is not None and [r.name for r in carol.roles[1:]] == ["Mod"]
        assert first.me.guild_permissions.manage_channels and not first.me.guild_permissions.administrator
    assert emu.gateway.identifies == 1
    assert [r.path for r in emu.requests][:2] == ["/users/@me", "/oauth2/applications/@me"]


async def test_snowflakes_spread_guilds_over_shards(emu: DiscordEmulator) -> None:
    guilds = [emu.add_guild(f"g{i}") for i in range(8)]
    assert len({g.id >> 22 for g in guilds}) == 8
    assert {g.shard_id(2) for g in guilds} == {0, 1}
    assert [g.id for g in guilds] == sorted(g.id for g in guilds)


# --------------------------------------------------------------------------- slash commands


async def test_command_sync_and_typed_subcommand_options(emu: DiscordEmulator, world, bot) -> None:
    names = {c.name for c in emu.commands()}
    assert {"ping", "settings", "admin", "faq", "panel"} <= names
    guild, alice, bob = world["guild"], world["alice"], world["bob"]
    staff = guild.channel("staff")
    result = await emu.slash(
        alice, "settings set", key="lang", count=3, enabled=True, channel=staff, role=world["mod"], user=bob
    )
    assert result.content == "lang=3 enabled=True channel=staff role=Moderator user=bob"
    assert not result.ephemeral
    general = guild.channel("general")
    assert general.messages[-1] is result.response  # a public answer is in the channel's history
    # a group inside a group, with a ranged integer
    echoed = await emu.slash(alice, "admin tools echo", text="hi", times=2)
    assert echoed.content == "hi hi"
    with pytest.raises(ValueError, match="outside 1..3"):
        await emu.slash(alice, "admin tools echo", text="hi", times=5)
    with pytest.raises(TypeError, match="missing required"):
        await emu.slash(alice, "settings set", key="x")
    with pytest.raises(LookupError, match="is a group"):
        await emu.slash(alice, "settings")
    with pytest.raises(LookupError, match="no slash command /nope"):
        await emu.slash(alice, "nope")
    sent = emu.requests.matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert len(sent) == 2 and all(r.query.get("with_response") == "1" for r in sent)


async def test_ephemeral_reply(emu: DiscordEmulator, world, bot) -> None:
    alice, bob = world["alice"], world["bob"]
    result = await emu.slash(alice, "secret")
    assert result.ephemeral and result.content == "only you"
    assert result.response not in world["guild"].channel("general").messages
    assert emu.ephemeral_replies(alice) == [result.response]
    assert emu.ephemeral_replies(bob) == []


async def test_defer_followup_and_edit_original(emu: DiscordEmulator, world, bot) -> None:
    result = await emu.slash(world["alice"], "report")
    assert result.response_type == 5
    # the first follow-up filled the "thinking" message; wait for the rest of the handler
    await emu.wait_until(lambda: result.response.content == "final")
    assert not result.response.loading
    assert [m.content for m in result.followups] == ["step 2"]
    general = world["guild"].channel("general")
    assert [m.content for m in general.messages[-2:]] == ["final", "step 2"]


async def test_autocomplete(emu: DiscordEmulator, world, bot) -> None:
    choices = await emu.autocomplete(world["bob"], "faq search", focused="query", value="past")
    assert choices == [("Pasta Recipes", "pasta recipes")]
    answer = await emu.slash(world["bob"], "faq search", query="billing")
    assert answer.content == "answer for billing"


async def test_unanswered_interaction_explains_what_the_bot_did(bot_factory, emu: DiscordEmulator, world) -> None:
    bot = bot_factory()

    @bot.tree.command(description="Forgets to answer")
    async def forgetful(interaction: discord.Interaction) -> None:
        await interaction.channel.send("I posted instead of answering")  # type: ignore[union-attr]

    async with bare_bot(emu, bot=bot):
        with pytest.raises(EmulatorTimeout) as caught:
            await emu.slash(world["alice"], "forgetful", timeout=0.3)
    text = str(caught.value)
    assert "did not answer" in text and "POST /channels/" in text and "/messages -> 200" in text


# --------------------------------------------------------------------------- components & modals


async def test_button_click_updates_message_in_place(emu: DiscordEmulator, world, bot) -> None:
    alice, bob = world["alice"], world["bob"]
    opened = await emu.slash(alice, "panel")
    assert opened.response.button_labels == ["Claim", "Ack"]
    clicked = await emu.click(opened, "Claim", by=bob)
    assert clicked.response_type == 7
    assert clicked.response is opened.response  # same message, updated in place
    assert opened.response.content == "claimed by bob"
    assert opened.response.buttons[0]["disabled"] is True
    with pytest.raises(PermissionError, match="disabled"):
        await emu.click(opened, "Claim", by=alice)
    acked = await emu.click(opened, "panel:ack", by=alice)  # defer (6) then edit original
    assert acked.response_type == 6 and acked.response.content == "acknowledged"


async def test_string_and_role_selects(emu: DiscordEmulator, world, bot) -> None:
    alice = world["alice"]
    opened = await emu.slash(alice, "panel")
    picked = await emu.select(opened, ["Red", "blue"], by=alice, custom_id="panel:colour")
    assert picked.content == "picked red,blue" and picked.ephemeral
    role = await emu.select(opened, world["mod"], by=alice, custom_id="panel:role")
    assert role.content == "role Moderator"
    with pytest.raises(LookupError, match="no option"):
        await emu.select(opened, ["green"], by=alice, custom_id="panel:colour")


async def test_modal_round_trip(emu: DiscordEmulator, world, bot) -> None:
    opened = await emu.slash(world["bob"], "feedback")
    assert opened.modal is not None and opened.response is None
    assert [f.label for f in opened.modal.fields] == ["Subject", "Body"]
    with pytest.raises(ValueError, match="required"):
        await emu.submit_modal(opened, {"Body": "text only"})
    submitted = await emu.submit_modal(opened, {"Subject": "Great bot"})
    assert submitted.content == "thanks: Great bot / n/a" and submitted.ephemeral
    survey = await emu.slash(world["bob"], "survey")  # labels wrapping an input and a select
    assert [(f.label, f.type) for f in survey.modal.fields] == [("Your name", 4), ("Mood", 3)]
    answered = await emu.submit_modal(survey, {"Your name": "Bob", "Mood": "Happy"})
    assert answered.content == "Bob is happy"


# --------------------------------------------------------------------------- messages & files


async def test_send_with_embed_components_and_file(emu: DiscordEmulator, world, bot) -> None:
    result = await emu.slash(world["alice"], "upload")
    assert result.content == "read 8 bytes: 'a,b\\n1,2\\n'"  # Attachment.read() through the emulator
    sent = world["guild"].channel("general").messages[-1]
    assert sent.content == "here it is"
    assert sent.embed["title"] == "Report" and sent.embed["fields"] == [{"name": "rows", "value": "3", "inline": True}]
    assert sent.buttons[0]["url"] == "https://example.com/docs"
    assert sent.attachments[0].filename == "report.csv" and sent.attachments[0].data == b"a,b\n1,2\n"
    multipart = emu.requests.matching("POST", "/channels/{channel_id}/messages")[-1]
    assert multipart.files == ["report.csv"] and multipart.json["attachments"][0]["filename"] == "report.csv"


async def test_attachment_option_and_people_posting(emu: DiscordEmulator, world, bot) -> None:
    alice, general = world["alice"], world["guild"].channel("general")
    inspected = await emu.slash(alice, "inspect", file=("notes.txt", b"hello", "text/plain"))
    assert inspected.content == "notes.txt: hello"
    await emu.post(general, "!echo hi there", author=alice)
    assert general.messages[-1].content == "echo: hi there"
    await emu.post(
        general, "see file", author=world["bob"], attachments=[("a.bin", b"\x00\x01\x02", "application/octet-stream")]
    )
    assert general.messages[-1].content == "got a.bin (3 bytes)"
    hook = await emu.post(general, "from a webhook", webhook=True, embeds=[discord.Embed(title="alert")])
    assert hook.webhook_id is not None and bot.seen[-1] == "from a webhook"  # type: ignore[attr-defined]
    with pytest.raises(PermissionError):
        await emu.post(general, "hi", author=emu.add_user("stranger"))


async def test_nonce_dedupe(emu: DiscordEmulator, world, bot) -> None:
    channel = bot.get_channel(world["guild"].channel("general").id)
    first = await channel.send("only once", nonce="abc123")
    again = await channel.send("only once", nonce="abc123")
    other = await channel.send("only once", nonce="xyz")
    assert first.id == again.id != other.id
    assert [m.content for m in world["guild"].channel("general").messages] == ["only once", "only once"]


async def test_message_history_edit_delete_reactions_pins(emu: DiscordEmulator, world, bot) -> None:
    state_channel = world["guild"].channel("general")
    channel = bot.get_channel(state_channel.id)
    sent = [await channel.send(f"m{i}") for i in range(5)]
    history = [m.content async for m in channel.history(limit=3)]
    assert history == ["m4", "m3", "m2"]
    older = [m.content async for m in channel.history(limit=10, before=sent[2])]
    assert older == ["m1", "m0"]
    edited = await sent[0].edit(content="m0 edited")
    assert edited.edited_at is not None and state_channel.messages[0].content == "m0 edited"
    await sent[1].add_reaction("👍")
    await sent[1].pin()
    assert state_channel.messages[1].reactions == {"👍": {emu.bot_user.id}} and state_channel.messages[1].pinned
    assert [m.content async for m in channel.pins()] == ["m1"]
    await sent[4].delete()
    await channel.delete_messages([sent[2], sent[3]])
    assert [m.content for m in state_channel.messages] == ["m0 edited", "m1"]
    person = await emu.post(state_channel, "not yours", author=world["bob"])
    with pytest.raises(discord.Forbidden) as caught:
        await channel.get_partial_message(person.id).edit(content="hacked")
    assert caught.value.code == 50005


# --------------------------------------------------------------------------- permissions


async def test_private_channel_overwrites_and_missing_manage_channels(emu: DiscordEmulator, world, bot) -> None:
    guild, alice, bob = world["guild"], world["alice"], world["bob"]
    created = await emu.slash(alice, "private", name="alice-room")
    room = guild.channel("alice-room")
    assert created.content == f"created <#{room.id}>"
    assert room.visible_to(alice) and room.visible_to(guild.me) and not room.visible_to(bob)
    assert room.visible_to(guild.owner)  # the owner sees everything
    await emu.wait_until(lambda: bot.get_channel(room.id) is not None)  # CHANNEL_CREATE reached the bot
    with pytest.raises(PermissionError, match="cannot post"):
        await emu.post(room, "let me in", author=bob)
    guild.bot_role.permissions &= ~P.MANAGE_CHANNELS
    refused = await emu.slash(alice, "private", name="second")
    assert refused.content == "forbidden 50013" and refused.ephemeral
    denied = [r for r in emu.requests.matching("POST", "/guilds/{guild_id}/channels") if r.status == 403]
    assert denied and denied[-1].response == {"message": "Missing Permissions", "code": 50013}


async def test_role_add_remove_and_hierarchy(emu: DiscordEmulator, world, bot) -> None:
    guild, alice, bob = world["guild"], world["alice"], world["bob"]
    helper = guild.add_role("Helper")
    given = await emu.slash(alice, "grant", member=bob, role=helper)
    assert given.content == "gave Helper" and bob.has_role(helper)
    removed = await emu.slash(alice, "grant", member=bob, role=helper, remove=True)
    assert removed.content == "removed Helper" and not bob.has_role(helper)
    boss = guild.add_role("Boss", position=guild.bot_role.position + 1)  # above the bot
    refused = await emu.slash(alice, "grant", member=bob, role=boss)
    assert refused.content == "forbidden 50013" and boss not in bob.roles
    await emu.wait_until(
        lambda: any(r.id == helper.id for r in bot.get_guild(guild.id).get_member(bob.id).roles) is False
    )


async def test_permission_arithmetic(emu: DiscordEmulator) -> None:
    guild = emu.add_guild("Perms")
    member_role = guild.add_role("Member", permissions=P.SEND_MESSAGES | P.VIEW_CHANNEL)
    muted = guild.add_role("Muted")
    admin = guild.add_role("Admin", permissions=P.ADMINISTRATOR)
    dave = guild.add_member("dave", roles=[member_role, muted])
    erin = guild.add_member("erin", roles=[admin])
    channel = guild.add_text_channel(
        "rules",
        overwrites={
            guild.everyone: {"deny": P.VIEW_CHANNEL},
            member_role: {"allow": P.VIEW_CHANNEL},
            muted: {"deny": P.SEND_MESSAGES},
            "dave": {"allow": P.SEND_MESSAGES},
        },
    )
    perms = channel.permissions_for(dave)
    assert perms & P.VIEW_CHANNEL and perms & P.SEND_MESSAGES  # member overwrite beats role deny
    del channel.overwrites[dave.id]
    assert not channel.permissions_for(dave) & P.SEND_MESSAGES
    assert not channel.permissions_for(dave) & P.EMBED_LINKS  # implied by missing Send Messages
    assert channel.visible_to(erin)  # administrator bypasses overwrites
    plain = guild.add_member("frank")
    assert not channel.visible_to(plain)
    category = guild.add_category("Staff", overwrites={guild.everyone: {"deny": "view_channel"}})
    synced = guild.add_text_channel("staff-chat", category=category)
    assert not synced.visible_to(plain) and synced.visible_to(guild.owner)


# --------------------------------------------------------------------------- DMs, threads, members


async def test_dms_open_and_closed(emu: DiscordEmulator, world, bot) -> None:
    guild, alice = world["guild"], world["alice"]
    closed = guild.add_member("closed", dms_open=False)
    ok = await emu.slash(alice, "tell", member=world["bob"], text="hello bob")
    assert ok.content == "sent"
    assert [m.content for m in emu.dms(world["bob"])] == ["hello bob"]
    refused = await emu.slash(alice, "tell", member=closed, text="hello?")
    assert refused.content == "cannot dm 50007"
    assert emu.dms(closed) == []
    answer = await emu.post(emu.dm_channel(world["bob"]), "!echo in private", author=world["bob"])
    assert answer.channel.messages[-1].content == "echo: in private"
    in_dm = await emu.slash(world["bob"].user, "ping")  # a User, not a Member: the bot's DMs
    assert in_dm.content == "pong" and in_dm.response.channel is emu.dm_channel(world["bob"])
    with pytest.raises(PermissionError, match="cannot be used in DMs"):
        await emu.slash(world["bob"].user, "private", name="x")


async def test_thread_from_a_response(emu: DiscordEmulator, world, bot) -> None:
    guild, alice = world["guild"], world["alice"]
    result = await emu.slash(alice, "discuss", topic="roadmap")
    thread = await emu.wait_until(lambda: next((t for t in guild.threads if t.name == "roadmap"), None))
    await emu.settle()
    assert thread.id == result.response.id  # a thread from a message shares its id
    assert thread.parent is guild.channel("general")
    assert [m.content for m in thread.messages] == ["first post"]
    assert alice.id in thread.thread_members and thread.visible_to(alice)
    await emu.post(thread, "!echo in thread", author=alice)
    assert thread.messages[-1].content == "echo: in thread"


async def test_member_join_screening_and_leave(emu: DiscordEmulator, world, bot) -> None:
    guild, verified = world["guild"], world["verified"]
    newcomer = await emu.member_join(guild, "newbie", pending=True)
    assert not newcomer.has_role(verified)
    await emu.pass_screening(newcomer)
    assert newcomer.has_role(verified) and [m.content for m in emu.dms(newcomer)] == ["welcome!"]
    quick = await emu.member_join(guild, "quick")
    assert quick.has_role(verified)
    await emu.member_leave(quick)
    assert bot.get_guild(guild.id).get_member(quick.id) is None


async def test_entitlements(emu: DiscordEmulator, world, bot) -> None:
    alice = world["alice"]
    before = await emu.slash(alice, "premium")
    assert before.content == "entitled=False listed=0"
    received: list[discord.Entitlement] = []

    async def on_entitlement_create(entitlement: discord.Entitlement) -> None:
        received.append(entitlement)

    bot.add_listener(on_entitlement_create)
    await emu.grant_entitlement(alice)
    after = await emu.slash(alice, "premium")
    assert after.content == "entitled=True listed=1"
    assert (
        received
        and received[0].user_id == alice.id
        and received[0].type == discord.EntitlementType.application_subscription
    )


# --------------------------------------------------------------------------- resilience


async def test_reconnect_resumes_and_replays_missed_events(emu: DiscordEmulator, world, bot) -> None:
    general, alice = world["guild"].channel("general"), world["alice"]
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    assert await emu.drop_gateway() == 1
    # happens while the bot is disconnected: must be replayed on RESUME
    await emu.post(general, "!echo while away", author=alice, settle=False)
    await asyncio.wait_for(resumed.wait(), 5)
    await emu.wait_until(lambda: general.messages[-1].content == "echo: while away")
    assert emu.gateway.resumes == 1 and emu.gateway.identifies == 1
    later = await emu.slash(alice, "ping")
    assert later.content == "pong"
    # an interaction sent while the bot is away waits for the resume
    await emu.drop_gateway()
    assert (await emu.slash(alice, "ping")).content == "pong"
    assert emu.gateway.resumes == 2


async def test_invalid_session_forces_a_new_identify(emu: DiscordEmulator, world, bot) -> None:
    emu.gateway.invalidate_sessions()
    await emu.wait_until(lambda: emu.gateway.identifies == 2 and emu.connected)
    assert (await emu.slash(world["alice"], "ping")).content == "pong"


async def test_rate_limit_is_waited_out_and_retried(emu: DiscordEmulator, world, bot) -> None:
    rule = emu.rate_limit("POST", "/channels/{channel_id}/messages", times=1, retry_after=0.1)
    started = time.monotonic()
    result = await emu.slash(world["alice"], "say", text="after the limit")
    assert result.content == "said"
    posts = emu.requests.matching("POST", "/channels/{channel_id}/messages")
    assert [r.status for r in posts] == [429, 200]
    assert posts[1].time - posts[0].time >= 0.1 and time.monotonic() - started >= 0.1
    assert rule.times == 0 and world["guild"].channel("general").messages[-1].content == "after the limit"
    limited = posts[0].response
    assert limited == {"message": "You are being rate limited.", "retry_after": 0.1, "global": False, "code": 0}


async def test_rate_limit_headers_on_normal_answers(emu: DiscordEmulator, world, bot) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{emu.api_base}/users/@me", headers={"Authorization": f"Bot {emu.token}"}) as resp:
            assert resp.headers["Content-Type"] == "application/json"
            assert int(resp.headers["X-RateLimit-Remaining"]) < int(resp.headers["X-RateLimit-Limit"])
            assert resp.headers["X-RateLimit-Bucket"]
        async with session.get(f"{emu.api_base}/no/such/route", headers={"Authorization": f"Bot {emu.token}"}) as resp:
            assert resp.status == 404 and await resp.json() == {"message": "404: Not Found", "code": 0}
    assert emu.unknown_routes == ["GET /no/such/route"]


# --------------------------------------------------------------------------- shards


async def test_two_shards_each_receive_only_their_guilds(bot_factory, emu: DiscordEmulator) -> None:
    emu.shard_count = 2
    guilds = [emu.add_guild(f"Sharded {i}") for i in range(6)]
    owners = {g.id: g.add_member(f"user{i}") for i, g in enumerate(guilds)}
    expected = {s: {g.id for g in guilds if (g.id >> 22) % 2 == s} for s in (0, 1)}
    assert expected[0] and expected[1]
    async with (
        bare_bot(emu, bot=bot_factory(shard_id=0, shard_count=2)) as zero,
        bare_bot(emu, bot=bot_factory(shard_id=1, shard_count=2), sync=False) as one,
    ):
        assert {g.id for g in zero.guilds} == expected[0]
        assert {g.id for g in one.guilds} == expected[1]
        assert sorted(emu.gateway.identified_shards) == [(0, 2), (1, 2)]
        for guild in guilds:  # each command reaches the shard that owns the guild
            result = await emu.slash(owners[guild.id], "ping")
            assert result.content == "pong"
        calls = emu.requests.matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
        assert len(calls) == 6


_SHARD_ONE_SCRIPT = """
import asyncio, json, sys
import discord
from discord.ext import commands
from alphapy.discord_endpoints import configure_endpoints

api, gateway, token = sys.argv[1:4]
configure_endpoints(api, gateway)


async def main():
    bot = commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default(),
                                  shard_ids=[1], shard_count=2, guild_ready_timeout=0.05)

    @bot.event
    async def on_ready():
        print(json.dumps(sorted(g.id for g in bot.guilds)), flush=True)
        await bot.close()

    await bot.start(token)

asyncio.run(main())
"""


async def test_auto_sharded_bot_and_a_shard_in_another_process(emu: DiscordEmulator) -> None:
    import json
    import sys

    emu.shard_count = 2
    guilds = [emu.add_guild(f"Auto {i}") for i in range(6)]
    shard_one = sorted(g.id for g in guilds if g.shard_id(2) == 1)
    bot = commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)
    async with bare_bot(emu, bot=bot, sync=False):
        # no shard_count given: discord.py asked /gateway/bot and runs both shards
        assert emu.requests.matching("GET", "/gateway/bot")
        assert bot.shard_count == 2 and {g.id for g in bot.guilds} == {g.id for g in guilds}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _SHARD_ONE_SCRIPT,
            emu.api_base,
            emu.gateway_url,
            emu.token,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err.decode()[-2000:]
        assert json.loads(out.decode().strip().splitlines()[-1]) == shard_one
        assert sorted(emu.gateway.identified_shards) == [(0, 2), (1, 2), (1, 2)]
        assert bot.is_ready() and not bot.is_closed()  # the in-process shards were not disturbed


# --------------------------------------------------------------------------- spec validation


async def test_malformed_body_is_refused_as_discord_does(emu: DiscordEmulator, world, bot) -> None:
    """A body the OpenAPI description refuses is answered 400 Invalid Form Body, not only
    recorded: the bot sees what Discord would answer."""
    assert emu.spec is not None
    route = discord.http.Route(
        "POST", "/channels/{channel_id}/messages", channel_id=world["guild"].channel("general").id
    )
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.request(route, json={"content": 5, "embeds": [{"title": 3}]})
    assert refused.value.status == 400 and refused.value.code == 50035
    [refusal] = emu.refusals
    assert {".".join(map(str, e.path)) for e in refusal.errors} == {"content", "embeds.0.title"}
    assert refusal.errors.rules() == {"openapi.request"}
    emu.refusals.clear()  # refused as expected; keep the fixture's own check green


async def test_the_shipped_spec_is_used_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALPHAPY_DISCORD_OPENAPI", raising=False)
    emu = DiscordEmulator()
    assert emu.spec is not None and emu.spec.path == PACKAGED_SPEC
    assert DiscordEmulator(openapi_spec=False).spec is None


async def test_intents_are_honoured(emu: DiscordEmulator) -> None:
    guild = emu.add_guild("Intents", members=3)
    alice = guild.add_member("alice")
    seen: list[str] = []
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    async with bare_bot(emu, bot=bot, sync=False):
        cached = bot.get_guild(guild.id)
        assert cached is not None and [m.id for m in cached.members] == [emu.bot_user.id]  # no members intent
        general = guild.channel("general")
        await emu.post(general, "secret plans", author=alice)
        await emu.post(general, f"{emu.bot_user.mention} hello", author=alice)
        await emu.post(emu.dm_channel(alice), "in a DM", author=alice)
        await emu.member_join(guild, "ignored")  # GUILD_MEMBER_ADD needs the members intent
    assert seen == ["", f"<@{emu.bot_user.id}> hello", "in a DM"]
    assert cached.get_member(guild.member("ignored").id) is None


async def test_context_menus(emu: DiscordEmulator, world, bot_factory) -> None:
    from discord import app_commands

    bot = bot_factory()

    @app_commands.context_menu(name="Inspect user")
    async def inspect_user(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"{member.name} has {len(member.roles) - 1} role(s)", ephemeral=True)

    @app_commands.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"> {message.content}")

    bot.tree.add_command(inspect_user)
    bot.tree.add_command(quote)
    async with bare_bot(emu, bot=bot):
        inspected = await emu.context_menu(world["bob"], "Inspect user", world["alice"])
        assert inspected.content == "alice has 1 role(s)" and inspected.ephemeral
        said = await emu.post(world["guild"].channel("general"), "wise words", author=world["alice"])
        quoted = await emu.context_menu(world["bob"], "Quote", said)
        assert quoted.content == "> wise words"
