"""A ticket's whole life through the emulator and the real bot: every transition, who may
take it, what the channel shows, who can see the channel, and the transcript."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tickets_helpers import Desk

from alphapy.testing import P


async def row(bot: Any, ticket_id: int) -> dict[str, Any]:
    record = await bot.db.fetchrow("SELECT * FROM support_tickets WHERE id = $1", ticket_id)
    assert record is not None
    return dict(record)


async def click(emulator: Any, message: Any, label: str, *, by: Any) -> Any:
    """Click, then let the bot finish what it does after answering (notes, edits)."""
    result = await emulator.click(message, label, by=by)
    await emulator.settle()
    return result


async def open_ticket(emulator: Any, member: Any, text: str = "I cannot log in") -> tuple[int, Any, Any]:
    """Open through /ticket open; returns the ticket id, its channel and its control message."""
    reply = await emulator.slash(member, "ticket open", description=text)
    match = re.fullmatch(r"Your ticket #(\d+) is open: <#(\d+)>", reply.content)
    assert match and reply.ephemeral, reply.content
    ticket_id = int(match[1])
    channel = member.guild.channel(int(match[2]))
    return ticket_id, channel, channel.messages[0]


async def test_opening_creates_a_channel_only_the_member_staff_and_bot_can_see(bot, emulator, desk: Desk, member,
                                                                               host) -> None:
    bystander = desk.guild.add_member("bystander")
    await emulator.settle()
    ticket_id, channel, control = await open_ticket(emulator, member, "My **order** never arrived")

    assert channel.name == f"ticket-{ticket_id}" and channel.category is desk.category
    overwrites = channel.overwrites
    assert overwrites[desk.guild.everyone.id].deny & P.VIEW_CHANNEL
    for who in (member, desk.staff_role, desk.guild.me):
        assert overwrites[who.id].allow & (P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY) == (
            P.VIEW_CHANNEL | P.SEND_MESSAGES | P.READ_MESSAGE_HISTORY), who
    assert set(overwrites) == {desk.guild.everyone.id, member.id, desk.staff_role.id, desk.guild.me.id}
    assert channel.visible_to(member) and channel.visible_to(desk.staff) and channel.visible_to(desk.guild.me)
    assert not channel.visible_to(bystander)
    assert not channel.visible_to(host)  # Manage Server alone does not see tickets: the staff role does
    assert channel.permissions_for(member) & P.SEND_MESSAGES
    assert not desk.guild.channel("general").messages  # nothing about the ticket in public

    assert control.content == f"<@{member.id}>, thank you: staff will answer here. <@&{desk.staff_role.id}>"
    assert control.embed["title"] == f"Ticket #{ticket_id}"
    assert control.embed["description"] == r"My \*\*order\*\* never arrived"
    assert control.button_labels == ["Claim", "Escalate", "Close"]
    assert [b["custom_id"] for b in control.buttons] == [
        f"tickets:claim:{ticket_id}", f"tickets:escalate:{ticket_id}", f"tickets:close:{ticket_id}"]
    stored = await row(bot, ticket_id)
    assert stored["status"] == "open" and stored["username"] == "member" and stored["user_id"] == member.id
    assert stored["channel_id"] == channel.id and stored["message_id"] == control.id
    assert stored["description"] == "My **order** never arrived" and stored["guild_id"] == desk.guild.id


async def test_the_whole_life_of_a_ticket(bot, emulator, desk: Desk, member) -> None:
    escalation = desk.guild.add_role("Tier 2")
    expert = desk.guild.add_member("expert", roles=[escalation])
    await emulator.settle()
    await bot.settings.set(desk.guild.id, "tickets", "escalation_role", escalation.id)
    await bot.settings.set(desk.guild.id, "tickets", "ai_summaries", True)  # on, but this host has no AI
    ticket_id, channel, control = await open_ticket(emulator, member)
    assert not channel.visible_to(expert)
    changes = [(await row(bot, ticket_id))["updated_at"]]

    # open -> claimed
    claimed = await click(emulator, control, "Claim", by=desk.staff)
    assert claimed.response_type == 7 and control.button_labels == ["Ask member", "Escalate", "Close"]
    assert {"name": "Claimed by", "value": f"<@{desk.staff.id}>", "inline": True} in control.embed["fields"]
    said = f"🙋 <@{desk.staff.id}> claimed this ticket and will help you."  # posted after the click's answer
    await emulator.wait_until(lambda: channel.messages[-1].content == said, message="the claim announced")
    stored = await row(bot, ticket_id)
    assert stored["status"] == "claimed" and stored["claimed_by"] == desk.staff.id and stored["claimed_at"]
    changes.append(stored["updated_at"])

    # claimed -> waiting_for_user -> (the member answers) -> claimed
    await click(emulator, control, "Ask member", by=desk.staff)
    assert (await row(bot, ticket_id))["status"] == "waiting_for_user"
    asked = await emulator.wait_until(lambda: channel.messages[-1].content.startswith("💬") and channel.messages[-1])
    assert asked.content.startswith(f"💬 <@{member.id}>, <@{desk.staff.id}> needs more information")
    assert control.button_labels == ["Escalate", "Close"]
    changes.append((await row(bot, ticket_id))["updated_at"])
    await emulator.post(channel, "Here is the screenshot you asked for", author=member)
    await emulator.wait_until(lambda: channel.messages[-1].content.startswith("↩️"))
    assert channel.messages[-1].content == f"↩️ <@{member.id}> answered. <@{desk.staff.id}>, over to you."
    assert (await row(bot, ticket_id))["status"] == "claimed"
    assert control.button_labels == ["Ask member", "Escalate", "Close"]
    await emulator.post(channel, "and one more thing", author=member)  # not waiting: changes nothing
    assert (await row(bot, ticket_id))["status"] == "claimed"
    changes.append((await row(bot, ticket_id))["updated_at"])

    # claimed -> escalated: the role is pinged and may now see the channel
    await click(emulator, control, "Escalate", by=desk.staff)
    stored = await row(bot, ticket_id)
    assert stored["status"] == "escalated" and stored["escalated_to"] == escalation.id
    note = await emulator.wait_until(lambda: channel.messages[-1].content.startswith("⬆️") and channel.messages[-1])
    assert note.content == f"⬆️ <@{desk.staff.id}> escalated this ticket to <@&{escalation.id}>."
    sent = emulator.requests.matching("POST", "/channels/{channel_id}/messages")[-1].json
    assert [int(r) for r in sent["allowed_mentions"]["roles"]] == [escalation.id]
    assert "everyone" not in sent["allowed_mentions"]["parse"]
    assert channel.visible_to(expert)
    changes.append(stored["updated_at"])

    # escalated -> closed, by the member, with the confirmation
    confirm = await click(emulator, control, "Close", by=member)
    assert confirm.ephemeral and confirm.response.button_labels == ["Yes, close it", "Close with a reason"]
    assert (await row(bot, ticket_id))["status"] == "escalated"  # nothing happens without confirming
    done = await click(emulator, confirm, "Yes, close it", by=member)
    assert done.content == f"Ticket #{ticket_id} is closed."
    stored = await row(bot, ticket_id)
    assert stored["status"] == "closed" and stored["closed_by"] == member.id and stored["closed_at"]
    assert control.button_labels == ["Archive"]
    assert channel.visible_to(member) and not channel.permissions_for(member) & P.SEND_MESSAGES
    assert await bot.db.fetchval("SELECT count(*) FROM ticket_summaries") == 0  # no AI: no summary, still closed
    changes.append(stored["updated_at"])

    # closed -> archived: the transcript goes to the log channel, then the channel is deleted
    ask = await click(emulator, control, "Archive", by=desk.staff)
    assert ask.ephemeral and ask.response.button_labels == ["Yes, archive it"]
    archived = await click(emulator, ask, "Yes, archive it", by=desk.staff)
    assert archived.content.startswith(f"Ticket #{ticket_id} is archived; the transcript is in https://")
    await emulator.wait_until(lambda: channel.id not in desk.guild.channels)
    stored = await row(bot, ticket_id)
    assert stored["status"] == "archived" and stored["archived_by"] == desk.staff.id and stored["archived_at"]
    changes.append(stored["updated_at"])
    assert changes == sorted(changes) and len(set(changes)) == len(changes)  # updated_at followed every change

    posted = desk.log.messages[-1]
    assert posted.embed["title"] == f"Ticket #{ticket_id} archived"
    page = posted.attachments[0]
    assert page.filename == f"ticket-{ticket_id}-transcript.html"
    html = page.data.decode()
    for said in ("I cannot log in", "Here is the screenshot you asked for", "and one more thing",
                 "claimed this ticket", "escalated this ticket", "Closed by"):
        assert said in html, said


async def test_transcript_is_escaped(bot, emulator, desk: Desk, member) -> None:
    _ticket_id, channel, control = await open_ticket(emulator, member, "<b>bold</b> & co")
    await emulator.post(channel, "<script>alert('pwned')</script> @everyone", author=member,
                        attachments=[("<x>.txt", b"data", "text/plain")])
    await click(emulator, await click(emulator, control, "Close", by=desk.staff), "Yes, close it", by=desk.staff)
    await click(emulator, await click(emulator, control, "Archive", by=desk.staff), "Yes, archive it", by=desk.staff)
    html = desk.log.messages[-1].attachments[0].data.decode()
    assert "<script>" not in html and "<b>bold" not in html and "<x>" not in html
    assert "&lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt; @everyone" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html and "&lt;x&gt;.txt (4 bytes; not kept)" in html


async def test_refusals_of_illegal_transitions_and_of_members(bot, emulator, desk: Desk, member) -> None:
    ticket_id, channel, control = await open_ticket(emulator, member)
    info = await emulator.slash(desk.other_staff, "ticket info", in_channel=channel)  # a copy of the buttons
    assert info.ephemeral and info.response.button_labels == ["Claim", "Escalate", "Close"]

    refused = await click(emulator, control, "Claim", by=member)
    assert refused.ephemeral and refused.content == "Only staff can claim tickets."
    refused = await click(emulator, control, "Escalate", by=member)
    assert refused.content == "Only staff can escalate a ticket."
    no_role = await click(emulator, control, "Escalate", by=desk.staff)
    assert no_role.content.startswith("No escalation role is set here.")
    assert (await row(bot, ticket_id))["status"] == "open"

    await click(emulator, control, "Claim", by=desk.staff)
    again = await click(emulator, info, "Claim", by=desk.other_staff)
    assert again.content == f"Ticket #{ticket_id} is already claimed by <@{desk.staff.id}>."
    await click(emulator, await click(emulator, control, "Close", by=desk.staff), "Yes, close it", by=desk.staff)
    late = await click(emulator, info, "Claim", by=desk.other_staff)
    assert late.content == f"Ticket #{ticket_id} is closed; it can no longer be claimed."
    late_close = await click(emulator, info, "Close", by=desk.other_staff)
    assert late_close.content == f"Ticket #{ticket_id} is already closed."
    archive = await click(emulator, control, "Archive", by=member)
    assert archive.content == "Only staff can archive tickets."
    stored = await row(bot, ticket_id)
    assert stored["status"] == "closed" and stored["claimed_by"] == desk.staff.id


async def test_another_member_cannot_close_and_archive_needs_a_log_channel(bot, emulator, desk: Desk,
                                                                           member) -> None:
    ticket_id, channel, control = await open_ticket(emulator, member)
    await click(emulator, control, "Claim", by=desk.staff)
    intruder = desk.guild.add_member("intruder")
    channel.set_overwrite(intruder, allow="view_channel")  # somehow sees the channel
    await emulator.settle()
    refused = await click(emulator, control, "Close", by=intruder)
    assert refused.content == f"Only staff or the member who opened ticket #{ticket_id} can close it."

    reason_form = await click(emulator, await click(emulator, control, "Close", by=desk.staff),
                                       "Close with a reason", by=desk.staff)
    assert reason_form.modal is not None and reason_form.modal.title == f"Close ticket #{ticket_id}"
    closed = await emulator.submit_modal(reason_form, {"Reason (optional)": "Solved: @everyone **cache** cleared"})
    assert closed.content == f"Ticket #{ticket_id} is closed."
    stored = await row(bot, ticket_id)
    assert stored["close_reason"] == "Solved: @everyone **cache** cleared"
    note = next(m for m in channel.messages if m.content.startswith("🔒"))
    assert note.content == f"🔒 Closed by <@{desk.staff.id}>. Reason: Solved: @\u200beveryone \\*\\*cache\\*\\* cleared"
    assert not note.mention_everyone

    await bot.settings.reset(desk.guild.id, "tickets", "log_channel")
    refused = await click(emulator, await click(emulator, control, "Archive", by=desk.staff), "Yes, archive it",
                                   by=desk.staff)
    assert refused.content.startswith("Set a log channel first (`tickets.log_channel`)")
    hidden = desk.guild.add_text_channel("hidden-log", overwrites={desk.guild.everyone: {"deny": "view_channel"},
                                                                   desk.guild.bot_role: {"deny": "view_channel"}})
    await emulator.settle()
    await bot.settings.set(desk.guild.id, "tickets", "log_channel", hidden.id)
    refused = await click(emulator, await click(emulator, control, "Archive", by=desk.staff), "Yes, archive it",
                                   by=desk.staff)
    assert refused.content == (f"I cannot post the transcript in <#{hidden.id}>: I need View Channel, "
                               "Send Messages and Attach Files there.")
    assert (await row(bot, ticket_id))["status"] == "closed" and channel.id in desk.guild.channels


async def test_two_staff_claiming_at_once_end_with_one_owner(bot, emulator, desk: Desk, member) -> None:
    await bot.settings.set(desk.guild.id, "tickets", "max_open_per_user", 10)
    for _ in range(5):
        ticket_id, _channel, control = await open_ticket(emulator, member)
        first, second = await asyncio.gather(emulator.click(control, "Claim", by=desk.staff),
                                             emulator.click(control, "Claim", by=desk.other_staff))
        await emulator.settle()
        stored = await row(bot, ticket_id)
        winner, loser = (first, second) if stored["claimed_by"] == desk.staff.id else (second, first)
        assert stored["claimed_by"] in (desk.staff.id, desk.other_staff.id)
        assert winner.response_type == 7
        assert loser.ephemeral and loser.content == (
            f"Ticket #{ticket_id} is already claimed by <@{stored['claimed_by']}>.")
        notes = [m for m in _channel.messages if m.content.startswith("🙋")]
        assert len(notes) == 1


async def test_panel_form_and_info_and_list(bot, emulator, desk: Desk, member, host, channel) -> None:
    posted = await emulator.slash(host, "ticket panel", text="Questions about **orders**? @everyone")
    assert posted.ephemeral and posted.content == f"The ticket panel is posted in <#{channel.id}>."
    panel = channel.messages[-1]
    assert panel.button_labels == ["Open a ticket"] and not panel.mention_everyone
    assert panel.embed["description"] == "Questions about \\*\\*orders\\*\\*? @\u200beveryone"
    refused = await emulator.slash(member, "ticket panel")
    assert refused.content == "Only server managers (Manage Server) can use this command."

    form = await click(emulator, panel, "Open a ticket", by=member)
    assert form.modal is not None and form.modal.custom_id == "tickets:open_form"
    opened = await emulator.submit_modal(form, {"description": "Where is my order?"}, by=member)
    match = re.fullmatch(r"Your ticket #(\d+) is open: <#(\d+)>", opened.content)
    assert match and opened.ephemeral
    ticket_id, ticket_room = int(match[1]), desk.guild.channel(int(match[2]))
    assert (await row(bot, ticket_id))["description"] == "Where is my order?"

    again = await click(emulator, panel, "Open a ticket", by=member)  # at the limit: refused before the form
    assert again.modal is None and again.content == f"You already have an open ticket: <#{ticket_room.id}>. " \
                                                     "Please continue there."

    info = await emulator.slash(member, "ticket info", in_channel=ticket_room)
    assert info.ephemeral and info.embed["title"] == f"Ticket #{ticket_id}"
    outside = await emulator.slash(member, "ticket info", in_channel=channel)
    assert outside.content == "This is not a ticket channel: use `/ticket info` inside a ticket's channel."

    listing = await emulator.slash(desk.staff, "ticket list")
    assert listing.ephemeral and f"**#{ticket_id}** <#{ticket_room.id}> · Open · <@{member.id}>" in \
        listing.embed["description"]
    closed = await emulator.slash(desk.staff, "ticket list", status="closed")
    assert closed.embed["description"] == "No tickets."
    assert (await emulator.slash(member, "ticket list")).content == "Only staff can use this command."
    # /ticket info's copy of the buttons works too, and the control message follows
    staff_info = await emulator.slash(desk.staff, "ticket info", in_channel=ticket_room)
    await click(emulator, staff_info, "Claim", by=desk.staff)
    assert staff_info.response.button_labels == ["Ask member", "Escalate", "Close"]
    await emulator.wait_until(  # the control message is edited after the click's answer
        lambda: ticket_room.messages[0].button_labels == ["Ask member", "Escalate", "Close"],
        message="the control message follows")


async def test_buttons_and_forms_survive_a_restart(emulator, guild, member, migrated_database_url,
                                                  alphapy_plugins) -> None:
    from alphapy.testing import running_alphapy

    category = guild.add_category("Tickets")
    support = guild.add_role("Support")
    sam = guild.add_member("sam", roles=[support])
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as first:
        for key, value in {"category": category.id, "staff_role": support.id, "cooldown_minutes": 0,
                           "max_open_per_user": 2}.items():
            await first.bot.settings.set(guild.id, "tickets", key, value)
        ticket_id, _channel, control = await open_ticket(emulator, member)
        form = await emulator.slash(member, "ticket open")  # no description: the form
        await click(emulator, control, "Claim", by=sam)
    await emulator.wait_until(lambda: not emulator.gateway.connected_sessions)
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as second:
        await click(emulator, control, "Ask member", by=sam)
        assert await second.bot.db.fetchval("SELECT status FROM support_tickets WHERE id = $1",
                                            ticket_id) == "waiting_for_user"
        opened = await emulator.submit_modal(form, {"description": "opened with the old form"})
        assert opened.content.startswith("Your ticket #")
