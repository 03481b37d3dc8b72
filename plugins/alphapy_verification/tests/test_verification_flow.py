"""Each mode end to end, and every status transition, through the real bot and the emulator.

pending → verified (auto) · pending → manual_review (assist, manual, unsure model, duplicate)
· pending → error (AI trouble) · manual_review/error → verified (Approve) · manual_review/error
→ closed_manual (Reject, with a reason) · open → closed_manual (Cancel, member left, channel
deleted) · verified → manual_review (the role could not be granted).
"""

from __future__ import annotations

from typing import Any

from verification_helpers import answer, receipt


async def channel_gone(world: Any, row: Any) -> None:
    await world.emulator.wait_until(lambda: row["channel_id"] not in world.emulator.state.channels)
    await world.emulator.wait_until(lambda: _closed(world, row["id"]))


async def _closed(world: Any, ticket_id: int) -> bool:
    return (await world.ticket(ticket_id))["closed_at"] is not None


async def cancelled(world: Any, ticket_id: int) -> Any:
    """The ticket once cancelled: the bot hears of a leave or a deleted channel in its own time."""
    row = await world.ticket(ticket_id)
    return row if row["decision"] == "cancelled" else None


# --- auto ---------------------------------------------------------------------------------------
async def test_auto_mode_verifies_when_the_model_is_sure(world: Any) -> None:
    row, channel = await world.open()
    assert row["status"] == "pending" and row["opened_by"] == world.member.id
    assert channel.visible_to(world.member) and channel.visible_to(world.staff)
    assert not channel.visible_to(world.host)  # Manage Server alone does not see a member's channel
    intro = channel.messages[0]
    assert "Cancel verification" in intro.button_labels and f"<@{world.member.id}>" in intro.content

    world.fake_ai.reply(answer(True, False))
    upload = await world.upload(channel, receipt(1))
    done = await world.settled_status(row["id"])

    assert done["status"] == "verified" and done["decision"] == "auto" and done["decided_by"] is None
    assert done["resolved_at"] is not None and done["review_cause"] == "auto"
    assert done["ai_can_verify"] is True and done["ai_needs_manual_review"] is False
    assert world.member.has_role("Verified")
    assert channel.message(upload.id) is None  # the screenshot is gone once processed
    await channel_gone(world, row)

    request = world.fake_ai.requests[0]
    assert request.system.startswith("You check one screenshot")
    assert "<requirements>" in request.user and "payment receipt" in request.user
    assert request.image_types == ["image/png"] and len(request.images) == 1


async def test_auto_mode_sends_an_unsure_model_to_staff_who_approve(world: Any) -> None:
    row, channel = await world.open()
    world.fake_ai.reply(answer(False, True, "The date is not visible."))
    upload = await world.upload(channel, receipt(2))
    waiting = await world.settled_status(row["id"])
    assert waiting["status"] == "manual_review" and waiting["review_cause"] == "ai_unsure"
    assert waiting["resolved_at"] is None and not world.member.has_role("Verified")
    assert channel.message(upload.id) is not None  # staff still need to see it

    review = world.review_message(channel)
    assert review.content.startswith(f"<@&{world.staff_role.id}>")
    sent = world.emulator.requests.matching("POST", "/channels/{channel_id}/messages")[-1]
    assert [str(r) for r in sent.json["allowed_mentions"]["roles"]] == [str(world.staff_role.id)]
    assert "everyone" not in sent.json["allowed_mentions"].get("parse", [])
    fields = {f["name"]: f["value"] for f in review.embed["fields"]}
    assert "The date is not visible." in fields["The AI's view"]

    clicked = await world.emulator.click(review, "Approve", by=world.staff)
    assert clicked.response_type in (6, 7)
    done = await world.settled_status(row["id"], leaving="manual_review")
    assert done["status"] == "verified" and done["decision"] == "approved" and done["decided_by"] == world.staff.id
    assert world.member.has_role("Verified")
    assert channel.message(upload.id) is None
    await channel_gone(world, row)


async def test_declined_screenshot_goes_to_staff_who_reject_with_a_reason(world: Any) -> None:
    row, channel = await world.open()
    world.fake_ai.reply(answer(False, False, "This is a screenshot of a game, not a receipt."))
    await world.upload(channel, receipt(3))
    waiting = await world.settled_status(row["id"])
    assert waiting["status"] == "manual_review" and waiting["review_cause"] == "ai_declined"

    form = await world.emulator.click(world.review_message(channel), "Reject", by=world.staff)
    assert form.modal is not None and form.modal.custom_id == f"verification:reason:{row['id']}"
    sent = await world.emulator.submit_modal(form, {"reason": "Wrong product: this receipt is for a T-shirt"})
    assert sent.ephemeral and sent.content == f"Rejected verification #{row['id']}."
    await world.settled_status(row["id"], leaving="manual_review")  # the member is told before closing is set

    done = await world.ticket(row["id"])
    assert done["status"] == "closed_manual" and done["decision"] == "rejected"
    assert done["staff_reason"] == "Wrong product: this receipt is for a T-shirt"
    assert done["decided_by"] == world.staff.id and done["resolved_at"] is not None
    assert not world.member.has_role("Verified")
    told = [m.content for m in channel.messages if m.content.startswith("❌")]
    assert told and "Wrong product" in told[0]
    assert any("Wrong product" in m.content for m in world.emulator.dms(world.member))
    await channel_gone(world, row)

    again = await world.emulator.slash(world.member, "verify")
    assert again.ephemeral and again.content.startswith("Your last verification was rejected. You can try again <t:")


# --- assist and manual --------------------------------------------------------------------------
async def test_assist_mode_never_verifies_on_its_own(world: Any) -> None:
    await world.configure(mode="assist")
    row, channel = await world.open()
    world.fake_ai.reply(answer(True, False, "Paid receipt for Product X from Shop Y."))
    await world.upload(channel, receipt(4))
    waiting = await world.settled_status(row["id"])
    assert waiting["status"] == "manual_review" and waiting["review_cause"] == "assist_mode"
    assert waiting["ai_can_verify"] is True and not world.member.has_role("Verified")
    assert "Paid receipt for Product X" in world.review_message(channel).embed["fields"][3]["value"]

    await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
    assert (await world.settled_status(row["id"], leaving="manual_review"))["status"] == "verified"


async def test_manual_mode_asks_no_model(world: Any) -> None:
    await world.configure(mode="manual")
    row, channel = await world.open()
    assert "Staff will check it." in channel.messages[0].embed["fields"][0]["value"]
    await world.upload(channel, receipt(5))
    waiting = await world.settled_status(row["id"])
    assert waiting["status"] == "manual_review" and waiting["review_cause"] == "manual_mode"
    assert waiting["ai_can_verify"] is None and waiting["ai_reason"] is None
    assert world.fake_ai.requests == []

    form = await world.emulator.click(world.review_message(channel), "Reject", by=world.staff)
    await world.emulator.submit_modal(form, {"reason": "Blurry"})
    await world.emulator.settle()
    assert (await world.ticket(row["id"]))["status"] == "closed_manual"


# --- errors go to staff, who can decide either way ------------------------------------------------
async def test_a_failing_model_records_an_error_that_staff_approve(world: Any) -> None:
    row, channel = await world.open()
    world.fake_ai.fail(500)
    await world.upload(channel, receipt(6))
    waiting = await world.settled_status(row["id"])
    assert waiting["status"] == "error" and waiting["review_cause"] == "ai_unavailable"
    assert waiting["ai_can_verify"] is None and waiting["ai_reason"] == "The AI service was unavailable."
    assert world.review_message(channel).embed["title"].endswith("waiting for staff")

    await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
    done = await world.settled_status(row["id"], leaving="error")
    assert done["status"] == "verified" and done["decision"] == "approved"


async def test_an_error_can_be_rejected(world: Any) -> None:
    row, channel = await world.open()
    world.fake_ai.garbage()
    await world.upload(channel, receipt(7))
    assert (await world.settled_status(row["id"]))["status"] == "error"
    form = await world.emulator.click(world.review_message(channel), "Reject", by=world.staff)
    await world.emulator.submit_modal(form, {"reason": "Not a receipt"})
    await world.emulator.settle()
    done = await world.ticket(row["id"])
    assert done["status"] == "closed_manual" and done["decision"] == "rejected"


# --- cancelled --------------------------------------------------------------------------------
async def test_the_member_cancels(world: Any) -> None:
    row, channel = await world.open()
    clicked = await world.emulator.click(channel.messages[0], "Cancel verification", by=world.member)
    assert clicked.response_type == 7 and not clicked.response.buttons
    followup = await world.emulator.wait_until(lambda: clicked.followups)
    assert followup[0].content.startswith("Verification cancelled")
    done = await world.ticket(row["id"])
    assert done["status"] == "closed_manual" and done["decision"] == "cancelled"
    await channel_gone(world, row)
    again = await world.emulator.slash(world.member, "verify")  # no cooldown after a cancellation
    assert again.content.startswith("Your verification channel is ready")


async def test_leaving_or_a_deleted_channel_cancels(world: Any) -> None:
    row, _channel = await world.open()
    await world.emulator.member_leave(world.member)
    done = await world.emulator.wait_until(lambda: cancelled(world, row["id"]), message="the verification cancelled")
    assert done["status"] == "closed_manual" and done["decision"] == "cancelled"
    await channel_gone(world, row)

    other = world.guild.add_member("other")
    await world.emulator.settle()
    row, channel = await world.open(other)
    await world.bot.get_channel(channel.id).delete()  # someone deletes the channel by hand
    done = await world.emulator.wait_until(lambda: cancelled(world, row["id"]), message="the verification cancelled")
    assert done["status"] == "closed_manual" and done["decision"] == "cancelled" and done["closed_at"] is not None
    assert (await world.emulator.slash(other, "verify")).content.startswith("Your verification channel")


# --- the role cannot be granted ------------------------------------------------------------------
async def test_a_role_above_the_bot_sends_the_verification_back_to_staff(world: Any) -> None:
    high = world.guild.add_role("Buyers", position=world.guild.bot_role.position + 1)
    await world.emulator.settle()
    await world.configure(verified_role=high.id)
    row, channel = await world.open()
    world.fake_ai.reply(answer(True, False))
    await world.upload(channel, receipt(8))
    waiting = await world.settled_status(row["id"])
    assert waiting["status"] == "manual_review" and waiting["review_cause"] == "role_failed"
    assert waiting["decision"] is None and waiting["resolved_at"] is None and waiting["close_at"] is None
    assert not world.member.has_role("Buyers")
    assert row["channel_id"] in world.emulator.state.channels  # nothing closed

    await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
    told = await world.emulator.wait_until(  # a follow-up after the click was deferred: it comes when it comes
        lambda: [m.content for m in world.emulator.ephemeral_replies(world.staff)], message="the bot's word to staff")
    assert told and told[-1].startswith("I could not give the verified role")
    assert (await world.ticket(row["id"]))["status"] == "manual_review"


# --- the panel --------------------------------------------------------------------------------
async def test_panel_button_opens_a_verification(world: Any) -> None:
    general = world.guild.channel("general")
    posted = await world.emulator.slash(world.host, "verification panel", channel=general)
    assert posted.ephemeral and posted.content == f"Posted the verification panel in <#{general.id}>."
    panel = general.messages[-1]
    assert panel.buttons[0]["custom_id"] == "verification:start"

    started = await world.emulator.click(panel, "Start verification", by=world.member)
    assert started.ephemeral and started.content.startswith("Your verification channel is ready: <#")
    row = await world.ticket_of(world.member)
    assert row["status"] == "pending" and f"<#{row['channel_id']}>" in started.content

    again = await world.emulator.click(panel, "Start verification", by=world.member)
    assert again.ephemeral and again.content == f"You already have a verification open: <#{row['channel_id']}>."


async def test_verification_needs_a_verified_role(world: Any) -> None:
    await world.bot.settings.reset(world.guild.id, "verification", "verified_role")
    refused = await world.emulator.slash(world.member, "verify")
    assert refused.ephemeral and refused.content.startswith("Verification is not set up in this server yet")
    assert await world.ticket_of(world.member) is None


async def test_close_delay_is_a_setting(world: Any) -> None:
    delay = 3600  # 0 (at once) is what every other test uses
    await world.configure(close_delay_seconds=delay)
    row, channel = await world.open()
    world.fake_ai.reply(answer(True, False))
    await world.upload(channel, receipt(9))
    done = await world.settled_status(row["id"])
    assert done["status"] == "verified"
    waited = (done["close_at"] - done["resolved_at"]).total_seconds()
    assert delay <= waited < delay + 5
    assert row["channel_id"] in world.emulator.state.channels and done["closed_at"] is None
    assert "closes in 1 h" in channel.messages[-1].content
