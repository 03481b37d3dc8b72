"""The largest FAQ data the plugin accepts still makes messages and forms Discord accepts,
and a form never cuts away what it shows."""

from __future__ import annotations

from typing import Any

import pytest
from alphapy_faq.proposals import DraftAnswer
from test_faq_proposals import SUMMARIES, close_ticket, use_staff_room

from alphapy.testing import assert_sent_within_limits

KEYWORDS = [f"keyword{n:02} " + "x" * 30 for n in range(20)]  # 20 keywords of 40 characters: the most allowed


@pytest.fixture
def alphapy_config(fake_ai: Any) -> dict[str, Any]:
    return {**fake_ai.config_overrides(), "openai_timeout": 5}


async def test_a_proposal_with_every_keyword_keeps_them_all(bot, emulator, guild, host, fake_ai) -> None:
    room = await use_staff_room(bot, guild)
    fake_ai.reply(DraftAnswer(title=("**T** " * 40)[:100], keywords=KEYWORDS,
                              answer=("**A** <@123456789012345678> " * 200)[:4000]))
    start = emulator.requests[-1].seq + 1
    for ticket_id in range(1, 4):
        await close_ticket(bot, guild, ticket_id, SUMMARIES[0] * 20)
    proposal = await emulator.wait_until(lambda: room.messages and room.messages[-1])
    form = await emulator.click(proposal, "Add to FAQ", by=host)
    field = form.modal.field("Keywords (comma-separated)")
    assert field.value == ", ".join(KEYWORDS) and len(field.value) <= field.max_length
    await emulator.submit_modal(form, {"Answer": "It works."})
    stored = await bot.db.fetchval("SELECT keywords FROM faq_entries")
    assert stored == KEYWORDS
    assert assert_sent_within_limits(emulator, start) >= 3


async def test_search_and_show_of_the_longest_entries_fit(bot, emulator, guild, member, channel) -> None:
    from alphapy_faq import entries
    from alphapy_faq.entries import Draft

    keywords = ", ".join(f"password{n:02}" + "y" * 30 for n in range(20))
    ids = []
    async with bot.db.acquire() as conn:
        for n in range(12):
            title = (f"Password {n} " + "**reset** `now` " * 10)[:100]
            answer = ("Reset the password: **bold** <@123456789012345678> `code` @everyone " * 80)[:4000]
            ids.append((await entries.add(conn, guild.id, Draft.parse(title, answer, keywords), by=None))["id"])
    start = emulator.requests[-1].seq + 1
    found = await emulator.slash(member, "faq search", query="passwrd reset " * 21)
    assert len(found.embed["fields"]) >= 5
    shown = await emulator.slash(member, "faq show", entry=str(ids[0]))
    assert shown.embed["description"].endswith("…")
    assert assert_sent_within_limits(emulator, start) == 2
