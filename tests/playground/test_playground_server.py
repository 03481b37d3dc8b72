"""The playground without a browser: what each identity may see, ephemeral answers, and
forms turned into the interactions the bot receives (the same path the drivers take)."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from alphapy.dashboard.csrf import REFUSAL as CSRF_REFUSAL
from alphapy.testing.emulator import ApplicationCommand, P
from alphapy.testing.emulator.playground.context import NO_CHANNEL
from alphapy.testing.emulator.playground.markdown import render_markdown

from .conftest import Visitor


def private_channel(guild: Any, name: str = "staff-room") -> Any:
    """Only the owner and people with the Moderator role see it."""
    moderator = guild.add_role("Moderator", permissions=["manage_messages"])
    guild.add_member("mod", roles=[moderator])
    room = guild.channel(name)
    room.set_overwrite(guild.everyone, deny="view_channel")
    room.set_overwrite(moderator, allow="view_channel")
    return room


async def test_a_member_sees_only_the_channels_discord_would_show_them(visitor: Visitor, guild: Any,
                                                                        member: Any) -> None:
    room = private_channel(guild)
    general = guild.channel("general")
    await visitor.become(guild.member("mod"))
    page = await visitor.get(f"/g/{guild.id}/c/{general.id}")
    assert f'href="/g/{guild.id}/c/{room.id}"' in page
    await visitor.become(member)
    page = await visitor.get(f"/g/{guild.id}/c/{general.id}")
    assert f'href="/g/{guild.id}/c/{general.id}"' in page and f'href="/g/{guild.id}/c/{room.id}"' not in page
    refused = await visitor.get(f"/g/{guild.id}/c/{room.id}", status=403)
    assert html.escape(NO_CHANNEL, quote=False) in refused
    await visitor.get(f"/g/{guild.id}/c/{room.id}/messages", status=403)  # nor its live fragment


async def test_a_slash_command_form_reaches_the_bot_and_its_ephemeral_answer_is_only_for_whoever_used_it(
        visitor: Visitor, playground: Any, emulator: Any, guild: Any, host: Any, member: Any, channel: Any) -> None:
    await visitor.become(host)
    form = await visitor.get(f"/g/{guild.id}/c/{channel.id}/command?name=reminder+add")
    assert 'name="days"' in form and 'name="channel"' in form
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/command", {
        "command": "reminder add", "name": "Raid night", "channel": str(channel.id), "days": "mon,wed",
        "time": "19:00", "message": "Bring snacks"})
    answer = emulator.ephemeral_replies(host)[-1]
    assert "Raid night" in answer.content and "Mon, Wed at 19:00" in answer.content
    command = emulator.requests.matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    assert command, "the bot answered a real interaction"
    host_page = await visitor.get(f"/g/{guild.id}/c/{channel.id}")
    assert "Only you can see this" in host_page and "Raid night" in host_page
    await visitor.become(member)
    member_page = await visitor.get(f"/g/{guild.id}/c/{channel.id}")
    assert "Raid night" not in member_page and "Only you can see this" not in member_page
    hidden = await visitor.get(f"/g/{guild.id}/c/{channel.id}/messages")
    assert "Raid night" not in hidden


async def test_a_refused_command_keeps_what_was_typed_and_says_why(visitor: Visitor, guild: Any, host: Any,
                                                                   channel: Any) -> None:
    await visitor.become(host)
    page = await visitor.post(f"/g/{guild.id}/c/{channel.id}/command", {
        "command": "reminder add", "name": "Quiz", "channel": str(channel.id), "days": "daily", "time": "25:00",
        "message": "Quiz time"})
    assert "25:00 is not a time of day" in html.unescape(page)
    wrong = await visitor.post(f"/g/{guild.id}/c/{channel.id}/command", {
        "command": "reminder add", "name": "Quiz", "channel": "not-a-channel", "days": "daily", "time": "20:00",
        "message": "Quiz time"}, status=400)
    assert "Choose a channel for channel from the list." in wrong and 'value="Quiz time"' in wrong


async def test_commands_discord_hides_from_a_member_are_not_offered(visitor: Visitor, emulator: Any, guild: Any,
                                                                     member: Any, channel: Any) -> None:
    purge = ApplicationCommand(emulator.state.ids.next(), emulator.application.id, "purge", 1,
                               {"name": "purge", "description": "Delete messages", "options": [],
                                "default_member_permissions": str(int(P.MANAGE_MESSAGES))}, guild_id=guild.id)
    emulator.application.guild_commands.setdefault(guild.id, {})[purge.id] = purge
    await visitor.become(member)
    page = await visitor.get(f"/g/{guild.id}/c/{channel.id}")
    assert 'value="ticket open"' in page and 'value="purge"' not in page
    await visitor.get(f"/g/{guild.id}/c/{channel.id}/command?name=purge", status=404)
    await visitor.become(guild.owner)
    assert 'value="purge"' in await visitor.get(f"/g/{guild.id}/c/{channel.id}")


async def test_buttons_and_modals_go_through_the_interaction_path(visitor: Visitor, bot: Any, emulator: Any,
                                                                   guild: Any, member: Any, channel: Any) -> None:
    category = guild.add_category("Tickets")
    staff = guild.add_role("Support")
    sam = guild.add_member("sam", roles=[staff])
    await emulator.settle()
    for key, value in {"category": category.id, "staff_role": staff.id, "cooldown_minutes": 0}.items():
        await bot.settings.set(guild.id, "tickets", key, value)
    await visitor.become(member)
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/command", {"command": "ticket open"})
    assert "/modal/" in visitor.last_url  # no description given: the bot opened its form
    modal_page = await visitor.get(visitor.last_url.removeprefix(visitor.base))
    assert "<form" in modal_page and 'name="csrf_token"' in modal_page
    name = modal_page.split('<textarea id="f-1" name="', 1)[1].split('"', 1)[0] if '<textarea id="f-1"' in modal_page \
        else modal_page.split('<input id="f-1" name="', 1)[1].split('"', 1)[0]
    await visitor.post(visitor.last_url.removeprefix(visitor.base), {name: "I cannot log in"})
    room = await emulator.wait_until(lambda: [c for c in guild.channels.values() if c.parent_id == category.id])
    control = room[0].messages[0]
    assert "Claim" in control.button_labels
    await visitor.become(sam)
    page = await visitor.get(f"/g/{guild.id}/c/{room[0].id}")
    assert "Claim" in page
    claim = next(b["custom_id"] for b in control.buttons if b.get("label") == "Claim")
    await visitor.post(f"/g/{guild.id}/c/{room[0].id}/m/{control.id}/click", {"custom_id": claim})
    said = await emulator.wait_until(lambda: [m for m in room[0].messages if "claimed this ticket" in m.content])
    assert f"<@{sam.id}>" in said[0].content


async def test_posting_editing_and_reacting_are_events_the_bot_receives(visitor: Visitor, emulator: Any,
                                                                         guild: Any, member: Any,
                                                                         channel: Any) -> None:
    await visitor.become(member)
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/post", {"content": "hello **world** <script>x</script>"})
    posted = channel.messages[-1]
    assert posted.author.id == member.id and posted.content.startswith("hello")
    page = await visitor.get(f"/g/{guild.id}/c/{channel.id}")
    assert "hello <strong>world</strong> &lt;script&gt;x&lt;/script&gt;" in page
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/m/{posted.id}/edit", {"content": "hello again"})
    assert posted.content == "hello again" and posted.edited_timestamp is not None
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/m/{posted.id}/react", {"emoji": "👍"})
    assert member.id in posted.reactions["👍"]
    assert emulator.requests is not None


async def test_adding_a_member_sends_the_join_to_the_bot_and_switches_to_them(visitor: Visitor, bot: Any,
                                                                               guild: Any, channel: Any) -> None:
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/members", {"name": "newcomer"})
    newcomer = guild.member("newcomer")
    assert bot.get_guild(guild.id).get_member(newcomer.id) is not None  # GUILD_MEMBER_ADD reached the bot
    page = await visitor.get(f"/g/{guild.id}/c/{channel.id}")
    assert f'<option value="{newcomer.id}" selected>newcomer (member)</option>' in page


async def test_roles_are_given_and_taken_by_someone_who_may(visitor: Visitor, guild: Any, member: Any,
                                                             channel: Any) -> None:
    vip = guild.add_role("VIP")
    await visitor.become(guild.owner)
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/roles", {"member_id": str(member.id), "role_id": str(vip.id),
                                                               "action": "give"})
    assert member.has_role("VIP")
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/roles", {"member_id": str(member.id), "role_id": str(vip.id),
                                                               "action": "take"})
    assert not member.has_role("VIP")


async def test_a_form_without_the_sessions_token_is_refused(playground: Any, guild: Any, channel: Any) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(f"{playground.url}/g/{guild.id}/c/{channel.id}/post", data={"content": "x"}) as answer:
            assert answer.status == 403
            assert html.escape(CSRF_REFUSAL) in await answer.text()
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert not channel.messages


async def test_moving_time_moves_the_emulators_clock(visitor: Visitor, emulator: Any, guild: Any,
                                                     channel: Any) -> None:
    before = emulator.clock.now()
    page = await visitor.post("/time", {"minutes": "60", "back": f"/g/{guild.id}/c/{channel.id}"})
    assert emulator.clock.now() - before >= 3600
    assert "(clock +1 h)" in page
    refused = await visitor.post("/time", {"minutes": "-5", "back": f"/g/{guild.id}/c/{channel.id}"})
    assert "between 1 and a year" in refused and "(clock +1 h)" in refused


async def test_the_live_stream_says_when_something_changed(playground: Any, visitor: Visitor, emulator: Any,
                                                           guild: Any, channel: Any) -> None:
    await visitor.get(f"/g/{guild.id}/c/{channel.id}")
    async with visitor.http.get(f"{playground.url}/g/{guild.id}/c/{channel.id}/events") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await emulator.post(channel, "from elsewhere", author=guild.member("member"))
        playground.state.acted()
        line = await asyncio.wait_for(stream.content.readline(), timeout=5)
        assert line == b"event: changed\n"


def test_markdown_is_escaped_then_formatted() -> None:
    def names(kind: str, ident: int) -> str | None:
        return {("user", 1): "alice", ("role", 2): "Staff", ("channel", 3): "general"}.get((kind, ident))

    shown = render_markdown("**bold** *it* `<b>` [x](javascript:alert(1)) [ok](https://e.org) <@1> <@&2> <#3> <i>",
                            names)
    assert "<strong>bold</strong>" in shown and "<em>it</em>" in shown and "<code>&lt;b&gt;</code>" in shown
    assert 'href="javascript' not in shown and '<a href="https://e.org"' in shown
    assert "@alice" in shown and "@Staff" in shown and "#general" in shown and "&lt;i&gt;" in shown
    assert render_markdown(r"\*\*not bold\*\* and \<@1>", names) == "**not bold** and &lt;@1&gt;"


def in_fourteen_minutes() -> str:
    """HH:MM (UTC, the server's default timezone) a little under 15 minutes from now, so
    moving the clock 15 minutes makes the reminder due, and not late."""
    soon = datetime.now(UTC) + timedelta(minutes=14, seconds=59)
    return soon.strftime("%H:%M")


async def test_moving_time_forward_delivers_a_reminder_that_became_due(visitor: Visitor, emulator: Any,
                                                                        guild: Any, host: Any,
                                                                        channel: Any) -> None:
    await visitor.become(host)
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/command", {
        "command": "reminder add", "name": "Stand-up", "channel": str(channel.id), "days": "daily",
        "time": in_fourteen_minutes(), "message": "Time for the stand-up"})
    assert "Stand-up" in emulator.ephemeral_replies(host)[-1].content
    assert not [m for m in channel.messages if m.embeds]
    await visitor.post("/time", {"minutes": "15", "back": f"/g/{guild.id}/c/{channel.id}"})
    sent = await emulator.wait_until(lambda: [m for m in channel.messages
                                              if m.embeds and m.embeds[0].get("title") == "⏰ Stand-up"])
    assert "Time for the stand-up" in (sent[0].embeds[0].get("description") or "")
    assert "⏰ Stand-up" in await visitor.get(f"/g/{guild.id}/c/{channel.id}")


async def test_the_live_stream_tells_a_page_what_happened_between_rendering_and_connecting(
        playground: Any, visitor: Visitor, emulator: Any, guild: Any, channel: Any) -> None:
    page = await visitor.get(f"/g/{guild.id}/c/{channel.id}")
    rendered = page.split('data-stamp="', 1)[1].split('"', 1)[0]
    await emulator.post(channel, "while the page was loading", author=guild.member("member"))
    playground.state.acted()
    async with visitor.http.get(f"{playground.url}/g/{guild.id}/c/{channel.id}/events",
                                params={"since": rendered}) as stream:
        line = await asyncio.wait_for(stream.content.readline(), timeout=5)
        assert line == b"event: changed\n"


async def test_autocomplete_asks_the_bot_with_what_the_form_holds(visitor: Visitor, emulator: Any, guild: Any,
                                                                 host: Any, channel: Any) -> None:
    await visitor.become(host)
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/command", {
        "command": "reminder add", "name": "Raid night", "channel": str(channel.id), "days": "mon",
        "time": "19:00", "message": "Bring snacks"})
    form = await visitor.get(f"/g/{guild.id}/c/{channel.id}/command?name=reminder+edit")
    assert 'data-autocomplete="reminder"' in form and 'list="ac-reminder"' in form
    async with visitor.http.get(f"{visitor.base}/g/{guild.id}/c/{channel.id}/autocomplete",
                                params={"command": "reminder edit", "focused": "reminder", "reminder": "raid"}) as answer:
        assert answer.status == 200
        assert (await answer.json())["choices"] == [{"name": "#1 Raid night", "value": "1"}]
    autocompletes = [r for r in emulator.requests.matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
                     if (r.json or {}).get("type") == 8]
    assert autocompletes, "the bot answered an autocomplete interaction"


async def test_direct_messages_are_shown_to_their_recipient_and_their_buttons_work(
        visitor: Visitor, bot: Any, emulator: Any, guild: Any, host: Any, channel: Any) -> None:
    welcome = guild.add_text_channel("welcome")
    await emulator.settle()
    for key, value in {"channel": welcome.id, "dm_on_join": True}.items():
        await bot.settings.set(guild.id, "onboarding", key, value)
    await emulator.slash(host, "onboarding rule add", title="Be kind", description="No harassment.")
    await visitor.post(f"/g/{guild.id}/c/{channel.id}/members", {"name": "dora"})
    dora = guild.member("dora")
    dm = await emulator.wait_until(lambda: emulator.dms(dora))
    page = await visitor.get("/dm")
    assert "Start" in page and f"/dm/m/{dm[0].id}/click" in page
    start = next(b["custom_id"] for b in dm[0].buttons if "Start" in (b.get("label") or ""))
    clicked = await visitor.post(f"/dm/m/{dm[0].id}/click", {"custom_id": start})
    assert "notice" not in clicked, clicked[clicked.find("notice"):][:300]
    rules = await emulator.wait_until(lambda: [m for m in [*emulator.dms(dora), *emulator.ephemeral_replies(dora)]
                                               if any(e.get("title") == "Be kind" for e in m.embeds)])
    assert rules and "Be kind" in await visitor.get("/dm")
    await visitor.become(host)
    assert f"/dm/m/{dm[0].id}/click" not in await visitor.get("/dm")  # someone else's DMs stay theirs


async def test_an_attachment_is_served_only_to_who_may_see_its_channel(visitor: Visitor, emulator: Any, guild: Any,
                                                                       member: Any) -> None:
    room = private_channel(guild)
    posted = await emulator.post(room, "the plan", author=guild.member("mod"),
                                 attachments=[("plan.png", b"\x89PNG\r\n\x1a\nnot really", "image/png")])
    address = f"/attachments/{posted.attachments[0].id}/plan.png"
    await visitor.become(guild.member("mod"))
    async with visitor.http.get(visitor.base + address) as answer:
        assert answer.status == 200 and await answer.read() == posted.attachments[0].data
    await visitor.become(member)
    await visitor.get(address, status=404)


async def test_a_request_for_another_host_name_is_refused(playground: Any, guild: Any) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{playground.url}/g/{guild.id}", headers={"Host": "evil.example:80"},
                            allow_redirects=False) as answer:
            assert answer.status == 421
        async with http.get(f"{playground.url}/g/{guild.id}", headers={"Host": "localhost"},
                            allow_redirects=False) as answer:
            assert answer.status == 302
