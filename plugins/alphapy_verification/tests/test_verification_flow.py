"""Each mode end to end, and every status transition, through the real bot and the emulator."""

from __future__ import annotations

from typing import Any

from conftest import answer, receipt


async def test_auto_mode_verifies_when_the_model_is_sure(world: Any) -> None:
    row, channel = await world.open()
    assert row["status"] == "pending" and row["opened_by"] == world.member.id
    assert channel.visible_to(world.member) and channel.visible_to(world.staff)
    assert not channel.visible_to(world.guild.member("host"))  # Manage Server alone does not see it
    intro = channel.messages[0]
    assert "Cancel verification" in intro.button_labels

    world.fake_ai.reply(answer(True, False))
    upload = await world.upload(channel, receipt(1))
    done = await world.settled_status(row["id"])

    assert done["status"] == "verified" and done["decision"] == "auto" and done["resolved_at"] is not None
    assert done["ai_can_verify"] is True and done["ai_needs_manual_review"] is False
    assert world.member.has_role("Verified")
    assert channel.message(upload.id) is None  # the screenshot is gone
    await world.emulator.wait_until(lambda: row["channel_id"] not in world.emulator.state.channels)
    assert (await world.ticket(row["id"]))["closed_at"] is not None

    request = world.fake_ai.requests[0]
    assert request.system.startswith("You check one screenshot")
    assert "<requirements>" in request.user and request.image_types == ["image/png"]
