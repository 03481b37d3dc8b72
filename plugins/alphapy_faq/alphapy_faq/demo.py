"""The FAQ chapter of ``alphapy demo``: staff write, members search, tickets propose."""

from __future__ import annotations

from typing import Any

from alphapy_faq.proposals import DraftAnswer

TOPIC = "vpn connection"
TICKETS = [
    "Member could not connect to the VPN; reinstalling the VPN profile fixed it.",
    "VPN connection dropped every few minutes; switching the VPN protocol to WireGuard helped.",
    "Could not reach the VPN after a password change; signing out and in again fixed the VPN.",
]


async def chapter(t: Any) -> None:
    staff_room = t.guild.channel("staff-room")
    t.say("The host writes two FAQ entries with /faq add (a form).")
    form = await t.slash(t.host, "faq add")
    t.expect(form.modal is not None, "/faq add opens a form")
    added = await t.submit_modal(t.host, form, {
        "Title": "How do I reset my password?",
        "Keywords (comma-separated)": "password, login, account",
        "Answer": "Open Settings → Account → Reset password, then follow the link we e-mail you.",
    })
    t.expect(added.content.startswith("Added FAQ #"), "the entry is saved")
    form = await t.slash(t.host, "faq add")
    await t.submit_modal(t.host, form, {
        "Title": "Can I get a refund?", "Keywords (comma-separated)": "refund, billing, money back",
        "Answer": "Refunds are possible within 14 days of purchase: open a ticket with your order number.",
    })

    t.say("A member searches: exact words, another form of a word, a typo, and something nobody wrote.")
    exact = await t.slash(t.member, "faq search", query="reset password")
    t.expect(exact.embed and "reset my password" in str(exact.embed.get("fields")), "an exact search finds it")
    stemmed = await t.slash(t.member, "faq search", query="resetting passwords")
    t.expect(stemmed.embed and "reset my password" in str(stemmed.embed.get("fields")),
             "'resetting passwords' finds 'reset … password' (English stemming)")
    typo = await t.slash(t.member, "faq search", query="refnud")
    t.expect(typo.embed and "refund" in str(typo.embed.get("fields")) and "refund" in typo.embed.get("description", ""),
             "a typo ('refnud') is corrected to 'refund'")
    nothing = await t.slash(t.member, "faq search", query="quantum teleporter")
    t.expect(nothing.embed and "Nothing in the FAQ matches" in nothing.embed.get("description", ""),
             "an unanswered question is said plainly")
    shown = await t.slash(t.member, "faq show", entry="1")
    t.expect(not shown.ephemeral and shown.embed and shown.embed.get("title", "").startswith("How do I reset"),
             "/faq show posts an answer for everyone")
    refused = await t.slash(t.member, "faq add")
    t.expect(refused.content == "Only staff can use this command.", "members cannot add entries")
    stats = await t.slash(t.host, "faq stats", period="24h")
    t.expect(stats.embed and "quantum teleporter" in str(stats.embed.get("fields")),
             "/faq stats shows what people searched for and did not find")

    t.say("Three closed tickets are about the same VPN problem; the tickets plugin announces each one.")
    await t.slash(t.host, "settings set", setting="faq.proposals_channel", value=f"<#{staff_room.id}>")
    if t.fake_ai is not None:
        t.fake_ai.reply(DraftAnswer(title="The VPN does not connect", keywords=["vpn", "connection", "wireguard"],
                                    answer="1. Reinstall the VPN profile.\n2. If it keeps dropping, switch the "
                                           "protocol to WireGuard.\n3. After a password change, sign out and in."))
    before = len(staff_room.messages)
    for number, text in enumerate(TICKETS, start=101):
        await t.bot.plugins.call_async(
            "ticket_summarized",
            ticket={"id": number, "guild_id": t.guild.id, "user_id": t.member.id, "status": "closed"},
            summary={"ticket_id": number, "summary": text, "similarity_key": TOPIC})
    proposal = await t.emulator.wait_until(lambda: staff_room.messages[before:] and staff_room.messages[-1])
    t._show_message(proposal, "in #staff-room: ")
    t.expect(proposal.embed and proposal.embed.get("title") == "FAQ proposal"
             and proposal.button_labels == ["Add to FAQ", "Dismiss"], "staff get a proposal with the summaries")
    await t.emulator.settle()
    opened = await t.click(t.host, proposal, "Add to FAQ")
    t.expect(opened.modal is not None and opened.modal.field("Title").value, "the form comes prefilled with a draft")
    saved = await t.submit_modal(t.host, opened, {})
    t.expect(saved.embed and "Added as FAQ #" in str(saved.embed.get("fields")), "the proposal becomes an entry")
    found = await t.slash(t.member, "faq search", query="vpn keeps dropping")
    t.expect(found.embed and "VPN" in str(found.embed.get("fields")), "members now find the answer")
