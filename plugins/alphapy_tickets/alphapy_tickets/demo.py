"""The tickets chapter of ``alphapy demo``: a member asks for help, staff claim, close, archive."""

from __future__ import annotations

import re
from typing import Any


async def chapter(t: Any) -> None:
    guild = t.guild
    staff = guild.role("Staff")
    t.say("The host makes a category for tickets and a private log channel, then points the plugin at them.")
    category = guild.add_category("Tickets")
    log = guild.add_text_channel("ticket-log", overwrites={guild.everyone: {"deny": "view_channel"},
                                                           guild.bot_role: {"allow": "view_channel"},
                                                           staff: {"allow": "view_channel"}})
    await t.emulator.settle()
    for setting, value in (("tickets.category", category.id), ("tickets.staff_role", staff.id),
                           ("tickets.log_channel", log.id), ("tickets.ai_summaries", "on")):
        changed = await t.slash(t.host, "settings set", setting=setting, value=str(value))
        t.expect(changed.content.startswith(f"**{setting}**"), f"{setting} is set")

    panel = await t.slash(t.host, "ticket panel")
    t.expect(panel.content.startswith("The ticket panel is posted"), "the host posts a panel with a button")

    t.say("A member presses the panel's button and describes the problem in the form.")
    form = await t.click(t.member, t.channel.messages[-1], "Open a ticket")
    t.expect(form.modal is not None, "the bot asks for a description")
    opened = await t.submit_modal(t.member, form, {"description": "I was charged twice for my subscription. "
                                                                  "Reach me at member@example.com"})
    match = re.search(r"<#(\d+)>", opened.content)
    t.expect(match is not None, "the member gets a private ticket channel")
    if match is None:
        return
    room = guild.channel(int(match[1]))
    t.expect(room.visible_to(t.member) and room.visible_to(t.host) and room.category is category,
             "the member and staff see the channel, in the tickets category")
    visitor = guild.add_member("visitor")
    t.expect(not room.visible_to(visitor), "another member does not see it")
    control = room.messages[0]

    t.say("Staff claim the ticket and ask for details; the member answers.")
    await t.click(t.host, control, "Claim")
    await t.click(t.host, control, "Ask member")
    async def status() -> str | None:
        value: str | None = await t.bot.db.fetchval("SELECT status FROM support_tickets WHERE channel_id = $1",
                                                    room.id)
        return value

    async def handed_back() -> bool:  # the bot reads the answer in its own time: wait for it, not for quiet
        return await status() == "claimed"

    await t.post(t.member, "It was on the 3rd, both charges are on my statement.", channel=room, until=handed_back)
    t.expect(await status() == "claimed", "the member's answer hands the ticket back to staff (claimed)")
    await t.post(t.host, "Refunded the second charge, sorry about that!", channel=room)

    t.say("Staff close the ticket; the AI (a fake server here) summarises it without personal details.")
    if t.fake_ai is not None:
        t.fake_ai.reply({"summary": "The member (member@example.com) was charged twice for a subscription; "
                                    "staff refunded the duplicate charge.",
                         "similarity_key": "duplicate charge"})
    confirm = await t.click(t.host, control, "Close")
    await t.click(t.host, confirm, "Yes, close it")
    summary = await t.emulator.wait_until(lambda: t.bot.db.fetchrow(
        "SELECT s.summary, s.similarity_key FROM ticket_summaries s JOIN support_tickets k ON k.id = s.ticket_id "
        "WHERE k.channel_id = $1", room.id), timeout=10)
    t.expect(summary is not None and "@" not in summary["summary"] and summary["similarity_key"] == "duplicate-charge",
             "the summary is stored, the e-mail address removed, with a topic key")

    t.say("Staff archive it: the transcript goes to #ticket-log and the channel is deleted.")
    ask = await t.click(t.host, control, "Archive")
    await t.click(t.host, ask, "Yes, archive it")
    await t.emulator.wait_until(lambda: room.id not in guild.channels)
    posted = log.messages[-1] if log.messages else None
    t.expect(posted is not None and posted.attachments and posted.attachments[0].filename.endswith(".html"),
             "an HTML transcript is in the log channel, and the ticket channel is gone")
    stats = await t.slash(t.host, "ticket stats", period="7d")
    t.expect(stats.embed is not None and "Archived: **1**" in stats.embed.get("description", ""),
             "the host sees the ticket numbers")
