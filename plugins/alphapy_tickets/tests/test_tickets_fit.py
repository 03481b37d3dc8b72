"""The largest ticket the plugin accepts still makes messages Discord accepts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tickets_helpers import Desk

from alphapy.testing import assert_sent_within_limits

HOSTILE = "**~~__`<@123456789012345678>`__~~** "  # nearly every character doubles when escaped


def hostile(length: int) -> str:
    return (HOSTILE * (length // len(HOSTILE) + 1))[:length].strip()


@pytest.fixture
def alphapy_config(fake_ai: Any) -> dict[str, Any]:
    return {**fake_ai.config_overrides(), "openai_max_retries": 1, "openai_timeout": 5}


async def test_ticket_info_of_the_longest_ticket_fits(bot, emulator, desk: Desk, member, fake_ai,
                                                      summaries: Any) -> None:
    await bot.settings.set(desk.guild.id, "tickets", "ai_summaries", True)
    fake_ai.reply({"summary": hostile(1500), "similarity_key": "long"})
    start = emulator.requests[-1].seq
    reply = await emulator.slash(member, "ticket open", description=hostile(4000))
    ticket_id = int(re.match(r"Your ticket #(\d+)", reply.content)[1])  # type: ignore[index]
    room = desk.guild.channel(f"ticket-{ticket_id}")
    control = room.messages[0]
    await emulator.click(control, "Claim", by=desk.staff)
    form = await emulator.click(await emulator.click(control, "Close", by=desk.staff), "Close with a reason",
                                by=desk.staff)
    await emulator.submit_modal(form, {"Reason (optional)": ("**~~__ " * 100)[:500]})
    await emulator.wait_until(lambda: summaries.calls)
    await emulator.settle()

    info = await emulator.slash(desk.staff, "ticket info", in_channel=room)
    embed = info.embed
    text = sum(len(embed.get(k) or "") for k in ("title", "description"))
    text += sum(len(f["name"]) + len(f["value"]) for f in embed["fields"]) + len(embed["footer"]["text"])
    assert text <= 6000
    assert any(f["name"] == "Summary" for f in embed["fields"]) and any(f["name"] == "Reason" for f in embed["fields"])
    assert embed["description"].endswith("…")
    assert assert_sent_within_limits(emulator, start) >= 5
