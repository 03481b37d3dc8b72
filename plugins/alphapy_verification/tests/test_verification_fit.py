"""The largest texts verification accepts (instructions, the AI's reason, the staff's
reason, a long display name) still make messages Discord accepts."""

from __future__ import annotations

from typing import Any

from verification_helpers import answer, receipt

from alphapy.testing import assert_sent_within_limits

HOSTILE = "**~~__`||<@123456789012345678> "


def hostile(length: int) -> str:
    return (HOSTILE * (length // len(HOSTILE) + 1))[:length]


async def test_a_rejection_with_every_text_at_its_longest_fits(world: Any) -> None:
    await world.configure(instructions=hostile(1500))
    start = world.emulator.requests[-1].seq + 1
    row, channel = await world.open()
    world.fake_ai.reply(answer(False, False, hostile(2000)))
    await world.upload(channel, receipt(5))
    await world.settled_status(row["id"])
    form = await world.emulator.click(world.review_message(channel), "Reject", by=world.staff)
    await world.emulator.submit_modal(form, {"reason": hostile(500)})
    await world.emulator.wait_until(lambda: any(m.content.startswith("❌") for m in channel.messages))
    pending = await world.emulator.slash(world.staff, "verification pending")
    assert pending.ephemeral
    assert assert_sent_within_limits(world.emulator, start) >= 5
