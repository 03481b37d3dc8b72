"""A host without AI: every screenshot is an error for staff, never an approval."""

from __future__ import annotations

from typing import Any

import pytest
from verification_helpers import receipt


@pytest.fixture
def alphapy_config() -> dict[str, Any]:
    return {}  # no OPENAI_API_KEY, no OPENAI_BASE_URL


async def test_without_ai_staff_decide(world: Any) -> None:
    assert not world.bot.ai.available()
    row, channel = await world.open()
    await world.upload(channel, receipt(95))
    waiting = await world.settled_status(row["id"])
    assert (waiting["status"], waiting["review_cause"]) == ("error", "ai_off")
    assert waiting["ai_reason"] == "AI is not configured on this bot."
    assert world.fake_ai.requests == [] and not world.member.has_role("Verified")
    fields = {f["name"]: f["value"] for f in world.review_message(channel).embed["fields"]}
    assert fields["Why"] == "AI is not configured on this bot."

    await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
    done = await world.settled_status(row["id"], leaving="error")
    assert done["status"] == "verified" and done["decision"] == "approved"
