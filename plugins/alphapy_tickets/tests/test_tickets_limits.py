"""Limits and hygiene: open tickets per member, the cooldown, full categories, missing
permissions, members leaving, auto-close, channels deleted by hand, other guilds, and
hostile input."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from alphapy_tickets.channels import CATEGORY_FULL, NEEDS_MANAGE_CHANNELS
from alphapy_tickets.views import confirm_view
from tickets_helpers import Desk

from alphapy import notify_due
from alphapy.testing import P


async def tickets(bot: Any, guild_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await bot.db.fetch("SELECT * FROM support_tickets WHERE guild_id = $1 ORDER BY id",
                                                guild_id)]


def opened_id(reply: Any) -> int:
    match = re.match(r"Your ticket #(\d+) is open", reply.content)
    assert match, reply.content
    return int(match[1])


async def test_one_open_ticket_per_member_even_when_clicking_twice_at_once(bot, emulator, desk: Desk,
                                                                           member) -> None:
    first, second = await asyncio.gather(emulator.slash(member, "ticket open", description="one"),
                                         emulator.slash(member, "ticket open", description="two"))
    replies = sorted([first.content, second.content])
    rows = await tickets(bot, desk.guild.id)
    assert len(rows) == 1
    assert replies[0].startswith("You already have an open ticket: ")
    assert replies[1] == f"Your ticket #{rows[0]['id']} is open: <#{rows[0]['channel_id']}>"
    assert len([c for c in desk.guild.text_channels if c.category is desk.category]) == 1

    await bot.settings.set(desk.guild.id, "tickets", "max_open_per_user", 2)
    opened_id(await emulator.slash(member, "ticket open", description="second issue"))
    third = await emulator.slash(member, "ticket open", description="third issue")
    assert third.content.startswith("You already have 2 open tickets, the most this server allows: <#")


async def test_cooldown_between_openings(bot, emulator, desk: Desk, member) -> None:
    await bot.settings.set(desk.guild.id, "tickets", "cooldown_minutes", 10)
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description="first"))
    await bot.db.execute("UPDATE support_tickets SET status = 'closed', closed_at = now() WHERE id = $1", ticket_id)
    refused = await emulator.slash(member, "ticket open", description="again")
    assert re.fullmatch(r"You opened a ticket a moment ago\. You can open another one <t:\d+:R>\.", refused.content)
    unix = int(re.search(r"<t:(\d+):R>", refused.content)[1])  # type: ignore[index]
    created = await bot.db.fetchval("SELECT floor(extract(epoch FROM created_at))::bigint FROM support_tickets WHERE id = $1",
                                    ticket_id)
    assert unix == created + 600
    form = await emulator.slash(member, "ticket open")  # the form is not even shown
    assert form.modal is None and form.content.startswith("You opened a ticket a moment ago.")
    await bot.db.execute("UPDATE support_tickets SET created_at = now() - interval '11 minutes' WHERE id = $1",
                         ticket_id)
    assert opened_id(await emulator.slash(member, "ticket open", description="again"))


async def test_a_full_category_spills_into_the_overflow_or_says_why(bot, emulator, desk: Desk, member) -> None:
    for number in range(50):
        desk.guild.add_text_channel(f"old-{number}", category=desk.category)
    await emulator.settle()
    refused = await emulator.slash(member, "ticket open", description="help")
    assert refused.ephemeral and refused.content == CATEGORY_FULL
    assert await tickets(bot, desk.guild.id) == []  # nothing half-made is left behind

    overflow = desk.guild.add_category("Tickets 2")
    await emulator.settle()
    await bot.settings.set(desk.guild.id, "tickets", "overflow_category", overflow.id)
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description="help"))
    assert desk.guild.channel(f"ticket-{ticket_id}").category is overflow


async def test_discord_refusing_a_full_category_is_handled_too(bot, emulator, desk: Desk, member) -> None:
    # Our cache says there is room (the channels are added in state only, no gateway event),
    # Discord says the category is full: the overflow category is tried next.
    overflow = desk.guild.add_category("Tickets 2")
    await emulator.settle()
    await bot.settings.set(desk.guild.id, "tickets", "overflow_category", overflow.id)
    from alphapy.testing import Channel

    for number in range(50):
        hidden = Channel(emulator.state.ids.next(), 0, f"silent-{number}", emulator.state, desk.guild,
                         parent_id=desk.category.id)
        desk.guild.channels[hidden.id] = hidden
        emulator.state.channels[hidden.id] = hidden
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description="help"))
    assert desk.guild.channel(f"ticket-{ticket_id}").category is overflow


async def test_missing_manage_channels_is_explained(bot, emulator, desk: Desk, member) -> None:
    desk.guild.bot_role.permissions &= ~P.MANAGE_CHANNELS
    await emulator.settle()
    refused = await emulator.slash(member, "ticket open", description="help")
    assert refused.ephemeral and refused.content == NEEDS_MANAGE_CHANNELS
    assert await tickets(bot, desk.guild.id) == []
    assert not [c for c in desk.guild.text_channels if re.fullmatch(r"ticket-\d+", c.name)]


async def test_a_category_setting_that_is_not_a_category(bot, emulator, desk: Desk, member, channel) -> None:
    await bot.settings.set(desk.guild.id, "tickets", "category", channel.id)
    refused = await emulator.slash(member, "ticket open", description="help")
    assert refused.content.startswith("Tickets are not set up correctly here: `tickets.category`")
    await bot.settings.reset(desk.guild.id, "tickets", "category")  # no category: top level, still private
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description="help"))
    room = desk.guild.channel(f"ticket-{ticket_id}")
    assert room.category is None and not room.visible_to(desk.guild.add_member("passer-by"))


async def test_a_member_who_leaves_gets_their_tickets_closed_with_a_note(bot, emulator, desk: Desk, member) -> None:
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description="help"))
    room = desk.guild.channel(f"ticket-{ticket_id}")
    await emulator.member_leave(member)
    await emulator.wait_until(lambda: any(m.content.startswith("🔒") for m in room.messages))
    stored = (await tickets(bot, desk.guild.id))[0]
    assert stored["status"] == "closed" and stored["closed_by"] is None
    assert stored["close_reason"] == "The member left the server."
    assert any(m.content == "🔒 Closed. Reason: The member left the server." for m in room.messages)
    assert room.messages[0].button_labels == ["Archive"]


async def test_a_ticket_waiting_too_long_closes_itself(bot, emulator, desk: Desk, member) -> None:
    await bot.settings.set(desk.guild.id, "tickets", "autoclose_hours", 24)
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description="help"))
    room = desk.guild.channel(f"ticket-{ticket_id}")
    await emulator.click(room.messages[0], "Claim", by=desk.staff)
    await emulator.click(room.messages[0], "Ask member", by=desk.staff)
    due = await bot.db.fetchval("SELECT autoclose_at - updated_at FROM support_tickets WHERE id = $1", ticket_id)
    assert due.total_seconds() == 24 * 3600
    await emulator.wait_until(lambda: "closes automatically <t:" in room.messages[-1].content,
                              message="the member told when the ticket closes")

    # the member answers: the timer stops; asked again, it starts again
    await emulator.post(room, "here you go", author=member)

    async def timer_stopped() -> bool:  # the bot reads the answer in its own time
        return await bot.db.fetchval("SELECT autoclose_at FROM support_tickets WHERE id = $1", ticket_id) is None

    await emulator.wait_until(timer_stopped, message="the timer stopped")
    await emulator.wait_until(lambda: "Ask member" in room.messages[0].button_labels, message="staff may ask again")
    await emulator.click(room.messages[0], "Ask member", by=desk.staff)

    # a day later (we move the due time rather than wait): the due-work loop closes it
    async with bot.db.transaction() as conn:
        await conn.execute("UPDATE support_tickets SET autoclose_at = now() - interval '1 second' WHERE id = $1",
                           ticket_id)
        await notify_due(conn, "tickets_autoclose")
    await emulator.wait_until(lambda: any(m.content.startswith("🔒") for m in room.messages))
    stored = (await tickets(bot, desk.guild.id))[0]
    assert stored["status"] == "closed" and stored["close_reason"] == "The member did not answer in time."
    assert stored["autoclose_at"] is None and stored["closed_by"] is None


async def test_a_channel_deleted_by_hand_archives_its_ticket(bot, emulator, desk: Desk, member) -> None:
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description="help"))
    room = bot.get_channel(desk.guild.channel(f"ticket-{ticket_id}").id)
    await room.delete()

    async def archived() -> Any:  # the bot hears of the deletion in its own time
        stored = (await tickets(bot, desk.guild.id))[0]
        return stored if stored["status"] == "archived" else None

    stored = await emulator.wait_until(archived, message="the ticket archived")
    assert stored["close_reason"] == "the ticket channel was deleted"
    assert opened_id(await emulator.slash(member, "ticket open", description="a new one"))  # not counted any more


async def test_guild_a_cannot_touch_guild_b(bot, emulator, desk: Desk, member) -> None:
    other = emulator.add_guild("Other Guild", owner_name="other-owner", text_channels=("lobby",))
    their_staff_role = other.add_role("Their staff")
    stranger = other.add_member("stranger")
    other.add_member("their-staff", roles=[their_staff_role])
    await emulator.settle()
    await bot.settings.set(other.id, "tickets", "staff_role", their_staff_role.id)
    theirs = opened_id(await emulator.slash(stranger, "ticket open", description="their secret problem"))
    mine = opened_id(await emulator.slash(member, "ticket open", description="my problem"))

    # a button that names guild B's ticket, clicked in guild A by guild A's staff
    forged = await bot.get_channel(desk.guild.channel("general").id).send(
        "forged", view=confirm_view(theirs, "claim", "close", "archive_confirm"))
    message = desk.guild.channel("general").message(forged.id)
    for label in ("Claim", "Close", "Yes, archive it"):
        refused = await emulator.click(message, label, by=desk.staff)
        assert refused.ephemeral and refused.content == f"There is no ticket #{theirs} in this server.", label
    their_row = (await tickets(bot, other.id))[0]
    assert their_row["status"] == "open" and their_row["claimed_by"] is None

    listing = await emulator.slash(desk.staff, "ticket list", status="open")
    assert f"**#{mine}**" in listing.embed["description"] and f"**#{theirs}**" not in listing.embed["description"]
    stats = await emulator.slash(desk.staff, "ticket stats", period="all")
    assert stats.embed["fields"][0] == {"name": "Opened", "value": "1", "inline": True}


async def test_forged_and_out_of_range_ids(bot, emulator, desk: Desk, member) -> None:
    forged = await bot.get_channel(desk.guild.channel("general").id).send(
        "forged", view=confirm_view(9_999_999_999, "claim"))
    message = desk.guild.channel("general").message(forged.id)
    refused = await emulator.click(message, "Claim", by=desk.staff)
    assert refused.ephemeral and refused.content == "There is no such ticket in this server."
    missing = await bot.get_channel(desk.guild.channel("general").id).send("forged", view=confirm_view(424242, "claim"))
    refused = await emulator.click(desk.guild.channel("general").message(missing.id), "Claim", by=desk.staff)
    assert refused.content == "There is no ticket #424242 in this server."


@pytest.mark.parametrize("text", ["   ", "\n\t\n", "\x00\x07"])
async def test_an_empty_description_is_refused(bot, emulator, desk: Desk, member, text: str) -> None:
    refused = await emulator.slash(member, "ticket open", description=text)
    assert refused.ephemeral and refused.content == "Please write a description: it cannot be empty."
    assert await tickets(bot, desk.guild.id) == []


async def test_description_length_limits(bot, emulator, desk: Desk, member) -> None:
    with pytest.raises(ValueError, match="length 4001 outside 1..4000"):  # Discord's client refuses it
        await emulator.slash(member, "ticket open", description="x" * 4001)
    with pytest.raises(ValueError, match="length 0 outside 1..4000"):
        await emulator.slash(member, "ticket open", description="")
    form = await emulator.slash(member, "ticket open")
    with pytest.raises(ValueError, match="length 4001 outside 1..4000"):
        await emulator.submit_modal(form, {"description": "y" * 4001})
    ticket_id = opened_id(await emulator.submit_modal(form, {"description": "y" * 4000}))
    room = desk.guild.channel(f"ticket-{ticket_id}")
    assert len(room.messages[0].embed["description"]) <= 4096
    assert len((await tickets(bot, desk.guild.id))[0]["description"]) == 4000


async def test_markdown_and_mention_injection_pings_nobody(bot, emulator, desk: Desk, member) -> None:
    hostile = "@everyone @here <@&%d> <@%d> **bold** [click](https://evil.example) `code` ||x|| \x00'; DROP TABLE x;--"
    text = hostile % (desk.staff_role.id, desk.staff.id)
    ticket_id = opened_id(await emulator.slash(member, "ticket open", description=text))
    room = desk.guild.channel(f"ticket-{ticket_id}")
    stored = (await tickets(bot, desk.guild.id))[0]
    assert stored["description"] == text.replace("\x00", " ")
    control = room.messages[0]
    assert "@everyone" not in control.embed["description"] and "\\*\\*bold\\*\\*" in control.embed["description"]
    assert "\\[click](" in control.embed["description"]  # escaped: the masked link does not render
    confirm = await emulator.click(control, "Close", by=member)
    form = await emulator.click(confirm, "Close with a reason", by=member)
    await emulator.submit_modal(form, {"reason": text[:500].replace("\x00", "")})
    await emulator.settle()
    for message in room.messages:
        assert not message.mention_everyone, message.content
    for request in emulator.requests.matching("POST", "/channels/{channel_id}/messages"):
        allowed = (request.json or {}).get("allowed_mentions")
        assert allowed is not None and "everyone" not in allowed.get("parse", []), request.json
