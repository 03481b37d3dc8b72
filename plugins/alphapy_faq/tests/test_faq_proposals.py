"""FAQ proposals end to end: the ``ticket_summarized`` hook fired the way the tickets plugin
fires it, the proposal in the staff channel, its buttons and form, and the AI draft
(the fake OpenAI-compatible server) with its fallback."""

from __future__ import annotations

from typing import Any

import pytest
from alphapy_faq import entries
from alphapy_faq.entries import Draft
from alphapy_faq.proposals import DRAFT_SYSTEM, DraftAnswer

TOPIC = "VPN connection"
SUMMARIES = [
    "Could not connect to the VPN; reinstalling the VPN profile fixed it.",
    "VPN kept dropping; switching the protocol to WireGuard helped.",
    "No VPN after a password change; signing out and in again fixed it.",
    "VPN refused the login; the account had expired.",
]


@pytest.fixture
def alphapy_config(fake_ai: Any) -> dict[str, Any]:
    return {**fake_ai.config_overrides(), "openai_timeout": 5}


async def close_ticket(bot: Any, guild: Any, ticket_id: int, text: str, key: str = TOPIC,
                       user_id: int = 555) -> None:
    """What the tickets plugin does when a ticket is closed and summarised."""
    results = await bot.plugins.call_async(
        "ticket_summarized",
        ticket={"id": ticket_id, "guild_id": guild.id, "user_id": user_id, "username": "someone",
                "description": "help", "status": "closed"},
        summary={"ticket_id": ticket_id, "summary": text, "similarity_key": key})
    assert all(r.ok for r in results), [r.error for r in results]


async def use_staff_room(bot: Any, guild: Any) -> Any:
    room = guild.channel("staff-room")
    await bot.settings.set(guild.id, "faq", "proposals_channel", room.id)
    return room


async def proposal_count(bot: Any) -> int:
    return await bot.db.fetchval("SELECT count(*) FROM faq_proposals")


async def test_three_summaries_make_one_proposal_that_becomes_an_entry(bot, emulator, guild, host, member,
                                                                       fake_ai) -> None:
    room = await use_staff_room(bot, guild)
    fake_ai.reply(DraftAnswer(title="The VPN does not connect", keywords=["VPN", "WireGuard"],
                              answer="1. Reinstall the VPN profile.\n2. Switch to WireGuard if it drops."))
    await close_ticket(bot, guild, 1, SUMMARIES[0])
    await close_ticket(bot, guild, 2, SUMMARIES[1])
    await close_ticket(bot, guild, 2, SUMMARIES[1])  # announced twice: counted once
    assert room.messages == []
    await close_ticket(bot, guild, 3, SUMMARIES[2])
    proposal = await emulator.wait_until(lambda: room.messages and room.messages[-1])
    assert proposal.embed["title"] == "FAQ proposal" and proposal.button_labels == ["Add to FAQ", "Dismiss"]
    assert proposal.embed["description"].startswith("3 closed tickets were about **vpn connection**")
    assert [f["name"] for f in proposal.embed["fields"]] == ["Ticket #1", "Ticket #2", "Ticket #3"]
    await close_ticket(bot, guild, 4, SUMMARIES[3])
    await emulator.settle()
    assert len(room.messages) == 1  # a topic is proposed once

    assert len(fake_ai.requests) == 1
    assert fake_ai.requests[0].system == DRAFT_SYSTEM and SUMMARIES[2] in fake_ai.requests[0].user
    form = await emulator.click(proposal, "Add to FAQ", by=host)
    assert form.modal.field("Title").value == "The VPN does not connect"
    assert form.modal.field("Keywords (comma-separated)").value == "vpn, wireguard"
    saved = await emulator.submit_modal(form, {"Answer": "Reinstall the VPN profile, or switch to WireGuard."})
    entry = await bot.db.fetchrow("SELECT id, guild_id, title, topic_key, created_by FROM faq_entries")
    assert dict(entry) == {"id": entry["id"], "guild_id": guild.id, "title": "The VPN does not connect",
                           "topic_key": "vpn connection", "created_by": host.id}
    assert room.messages[-1].buttons == [] and saved.followups[0].content == f"Added FAQ #{entry['id']}."
    assert f"Added as FAQ #{entry['id']} by <@{host.id}>." in str(room.messages[-1].embed["fields"])

    again = await emulator.submit_modal(form, {})  # the same form, sent twice
    assert again.ephemeral and again.content == f"This proposal is already in the FAQ (#{entry['id']})."
    assert await bot.db.fetchval("SELECT count(*) FROM faq_entries") == 1
    found = await emulator.slash(member, "faq search", query="vpn drops")
    assert found.embed["fields"][0]["name"] == f"#{entry['id']} · The VPN does not connect"


async def test_a_dismissed_topic_stays_dismissed(bot, emulator, guild, host, member) -> None:
    room = await use_staff_room(bot, guild)
    for number, text in enumerate(SUMMARIES[:3], start=1):
        await close_ticket(bot, guild, number, text)
    proposal = await emulator.wait_until(lambda: room.messages and room.messages[-1])
    helpers = guild.add_role("Helpers")
    await emulator.give_role(member, helpers)
    room_member = guild.member("member")
    refused = await emulator.click(proposal, "Dismiss", by=room_member)
    assert refused.ephemeral and refused.content == "Only staff can use this command."
    dismissed = await emulator.click(proposal, "Dismiss", by=host)
    assert dismissed.response_type == 7 and room.messages[-1].buttons == []
    assert "Dismissed by" in str(room.messages[-1].embed["fields"])
    for number in range(10, 14):
        await close_ticket(bot, guild, number, f"Another VPN ticket {number}.")
    await emulator.settle()
    assert len(room.messages) == 1
    status = await bot.db.fetchval("SELECT status FROM faq_proposals")
    assert status == "dismissed" and await proposal_count(bot) == 1


async def test_the_draft_falls_back_to_the_summaries_when_the_ai_fails(bot, emulator, guild, host, fake_ai) -> None:
    room = await use_staff_room(bot, guild)
    fake_ai.fail(500, times=5)
    for number, text in enumerate(SUMMARIES[:3], start=1):
        await close_ticket(bot, guild, number, text)
    proposal = await emulator.wait_until(lambda: room.messages and room.messages[-1])
    await emulator.settle()
    form = await emulator.click(proposal, "Add to FAQ", by=host)
    assert form.modal.field("Title").value == "Vpn connection"
    assert form.modal.field("Keywords (comma-separated)").value == "vpn, connection"
    answer = form.modal.field("Answer").value
    assert answer.startswith("What solved this in earlier tickets:") and all(s in answer for s in SUMMARIES[:3])
    assert await bot.db.fetchval("SELECT draft_source FROM faq_proposals") == "summaries"


async def test_summaries_count_per_guild_and_proposals_stay_in_their_guild(bot, emulator, guild, host) -> None:
    room = await use_staff_room(bot, guild)
    other = emulator.add_guild("Other Guild", owner_name="other-owner", text_channels=("staff",))
    other_host = other.add_member("other-host", permissions=["manage_guild"])
    await emulator.settle()
    await bot.settings.set(other.id, "faq", "proposals_channel", other.channel("staff").id)
    await close_ticket(bot, guild, 1, SUMMARIES[0])
    await close_ticket(bot, guild, 2, SUMMARIES[1])
    await close_ticket(bot, other, 1, SUMMARIES[2])  # the same ticket number, another guild
    await emulator.settle()
    assert room.messages == [] and other.channel("staff").messages == []
    await close_ticket(bot, guild, 3, SUMMARIES[2])
    await emulator.wait_until(lambda: room.messages)
    assert other.channel("staff").messages == []
    ours = await bot.db.fetchval("SELECT id FROM faq_proposals WHERE guild_id = $1", guild.id)

    form = await emulator.slash(other_host, "faq add")  # a form whose custom id names our proposal
    form.modal.custom_id = f"faq:proposal-save:{ours}"
    refused = await emulator.submit_modal(form, {"Title": "Stolen", "Answer": "Taken."})
    assert refused.content == "That proposal does not exist in this server."
    assert await bot.db.fetchval("SELECT count(*) FROM faq_entries") == 0
    assert await bot.db.fetchval("SELECT status FROM faq_proposals WHERE id = $1", ours) == "open"


async def test_a_topic_an_entry_already_covers_is_not_proposed(bot, emulator, guild) -> None:
    room = await use_staff_room(bot, guild)
    async with bot.db.acquire() as conn:
        await entries.add(conn, None, Draft.parse("Fixing your VPN connection", "Reinstall the profile.", "vpn"),
                          by=None)
    for number, text in enumerate(SUMMARIES[:3], start=1):
        await close_ticket(bot, guild, number, text)
    await close_ticket(bot, guild, 4, "Printer jam", key="printer")
    await emulator.settle()
    assert room.messages == [] and await proposal_count(bot) == 0


async def test_proposals_wait_for_a_channel_they_can_post_in(bot, emulator, guild) -> None:
    for number, text in enumerate(SUMMARIES[:3], start=1):
        await close_ticket(bot, guild, number, text)  # no faq.proposals_channel yet
    locked = guild.add_text_channel("locked", overwrites={guild.bot_role: {"deny": "send_messages"}})
    await emulator.settle()
    await bot.settings.set(guild.id, "faq", "proposals_channel", locked.id)
    await close_ticket(bot, guild, 4, SUMMARIES[3])  # the bot may not post there: 403, the topic stays free
    await emulator.settle()
    assert locked.messages == [] and await proposal_count(bot) == 0
    room = await use_staff_room(bot, guild)
    await close_ticket(bot, guild, 5, "VPN again.")
    proposal = await emulator.wait_until(lambda: room.messages and room.messages[-1])
    assert proposal.embed["description"].startswith("5 closed tickets were about")


@pytest.mark.parametrize(("ticket", "summary"), [
    (None, None),
    ({"id": 1}, {"ticket_id": 1, "summary": "x", "similarity_key": "vpn"}),  # no guild
    ({"id": 1, "guild_id": "abc"}, {"ticket_id": 1, "summary": "x", "similarity_key": "vpn"}),
    ({"id": 1, "guild_id": -5}, {"ticket_id": 1, "summary": "x", "similarity_key": "vpn"}),
    ({"id": 1, "guild_id": 2**70}, {"ticket_id": 1, "summary": "x", "similarity_key": "vpn"}),
    ({"id": 1, "guild_id": 1}, {"ticket_id": 1, "summary": "", "similarity_key": "vpn"}),
    ({"id": 1, "guild_id": 1}, {"ticket_id": 1, "summary": "x", "similarity_key": "!!! ???"}),
    ({"id": 1, "guild_id": 1}, {"ticket_id": "one", "summary": "x", "similarity_key": "vpn"}),
    ({"id": 1, "guild_id": 1}, "not a dict"),
])
async def test_malformed_announcements_are_ignored(bot, ticket, summary) -> None:
    results = await bot.plugins.call_async("ticket_summarized", ticket=ticket, summary=summary)
    assert all(r.ok for r in results)
    assert await bot.db.fetchval("SELECT count(*) FROM faq_ticket_summaries") == 0


async def test_summaries_are_shown_without_pings_or_markdown(bot, emulator, guild) -> None:
    room = await use_staff_room(bot, guild)
    hostile = "@everyone **urgent** <@&1> " + "x" * 5000
    for number in range(1, 4):
        await close_ticket(bot, guild, number, hostile, key="@everyone " + "k" * 500)
    proposal = await emulator.wait_until(lambda: room.messages and room.messages[-1])
    field = proposal.embed["fields"][0]["value"]
    assert field.startswith("@\u200beveryone \\*\\*urgent\\*\\*") and len(field) < 400  # cut to 300, then escaped
    sent = emulator.requests.matching("POST", "/channels/{channel_id}/messages")[-1]
    assert sent.json["allowed_mentions"] == {"parse": []}
    stored = await bot.db.fetchval("SELECT max(length(summary)) FROM faq_ticket_summaries")
    assert stored == 2000


async def test_personal_data_export_and_erasure(bot, emulator, guild, member) -> None:
    await emulator.slash(member, "faq search", query="refund")
    await close_ticket(bot, guild, 1, SUMMARIES[0], user_id=member.id)
    await close_ticket(bot, guild, 2, SUMMARIES[1], user_id=999)
    [exported] = [r.value for r in await bot.plugins.call_async("user_data", user_id=member.id) if r.plugin == "faq"]
    assert [s["query"] for s in exported["searches"]] == ["refund"]
    assert [s["ticket_id"] for s in exported["ticket_summaries"]] == [1]
    assert [r.value for r in await bot.plugins.call_async("user_data", user_id=12345)] == [None]

    elsewhere = [r.value for r in await bot.plugins.call_async("forget_user", user_id=member.id, guild_id=1)]
    assert elsewhere == [0]
    [removed] = [r.value for r in await bot.plugins.call_async("forget_user", user_id=member.id, guild_id=guild.id)]
    assert removed == 2
    assert await bot.db.fetchval("SELECT count(*) FROM faq_search_logs") == 0
    assert await bot.db.fetchval("SELECT count(*) FROM faq_ticket_summaries") == 1  # someone else's


async def test_a_server_that_switched_the_plugin_off_keeps_nothing(bot, emulator, guild) -> None:
    room = await use_staff_room(bot, guild)
    await bot.settings.set_enabled(guild.id, "faq", False)
    for number, text in enumerate(SUMMARIES[:3], start=1):
        await close_ticket(bot, guild, number, text)
    await emulator.settle()
    assert room.messages == []
    assert await bot.db.fetchval("SELECT count(*) FROM faq_ticket_summaries") == 0


async def test_a_proposal_left_half_posted_by_a_crash_is_retried(bot, emulator, guild) -> None:
    room = await use_staff_room(bot, guild)
    await bot.db.execute("""INSERT INTO faq_proposals (guild_id, similarity_key, status, channel_id, created_at)
                            VALUES ($1, 'vpn connection', 'posting', $2, now() - interval '1 hour')""",
                         guild.id, room.id)
    for number, text in enumerate(SUMMARIES[:3], start=1):
        await close_ticket(bot, guild, number, text)
    proposal = await emulator.wait_until(lambda: room.messages and room.messages[-1])
    assert proposal.button_labels == ["Add to FAQ", "Dismiss"]
    assert await bot.db.fetchval("SELECT status FROM faq_proposals") == "open"


def test_faq_loads_where_the_tickets_plugin_that_declares_the_hook_is_not_installed(plugin_manager) -> None:
    """``ticket_summarized`` is the tickets plugin's hook: FAQ implements it as optional, so
    without tickets nobody declares it, FAQ still passes every check, and the hook can
    still be fired (as ``close_ticket`` above does) to reach FAQ."""
    from alphapy.testing import check_plugins

    check_plugins(plugin_manager, log_failures=False)
    assert plugin_manager.loaded == ["faq"]
    assert "ticket_summarized" in plugin_manager.infos["faq"].hooks
    assert not plugin_manager.pm.hook.ticket_summarized.has_spec()
