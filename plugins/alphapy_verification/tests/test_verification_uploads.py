"""What a member uploads: only real PNG/JPEG/WebP images within the limit; reuse is caught."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from PIL import Image
from verification_helpers import answer, noise_png, receipt

NOT_READABLE = "That file is not a screenshot I can read: please send a PNG, JPEG or WebP image."
DAMAGED = "That image could not be read (it may be damaged): please send a PNG, JPEG or WebP screenshot."


def gif() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(receipt(60))).convert("P").save(out, format="GIF")
    return out.getvalue()


async def reply_to(world: Any, channel: Any, message: Any) -> str:
    """The bot's reply to ``message`` (waited for: the upload is checked in a worker thread)."""
    def answers() -> list[Any]:
        return [m for m in channel.messages
                if m.message_reference and str(m.message_reference.get("message_id")) == str(message.id)]

    found = await world.emulator.wait_until(answers)
    return found[-1].content


async def test_files_that_are_not_screenshots_are_refused_and_removed(world: Any) -> None:
    row, channel = await world.open()
    png = receipt(61)
    uploads = [
        # (filename, bytes, content type the member's client claimed, expected reply)
        ("receipt.png", b"just some text, named like a picture", "image/png", NOT_READABLE),
        ("receipt.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF", "application/pdf", NOT_READABLE),
        ("receipt.png", b"<svg xmlns='http://www.w3.org/2000/svg'><text>PAID</text></svg>", "image/png", NOT_READABLE),
        ("receipt.gif", gif(), "image/gif", NOT_READABLE),
        ("receipt.png", png[: len(png) * 2 // 3], "image/png", DAMAGED),  # cut short
        ("receipt.png", png[:64] + b"\x00" * 4000, "image/png", DAMAGED),  # a PNG header, then nothing
        ("receipt.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 100, "image/jpeg", DAMAGED),
    ]
    for filename, data, content_type, expected in uploads:
        message = await world.upload(channel, data, filename=filename, content_type=content_type)
        assert await reply_to(world, channel, message) == expected, filename
        await world.emulator.wait_until(lambda m=message: channel.message(m.id) is None)  # removed
    done = await world.ticket(row["id"])
    assert done["status"] == "pending" and done["evidence_message_ids"] == []
    assert world.fake_ai.requests == []  # nothing reached the model
    assert await world.bot.db.fetchval("SELECT count(*) FROM verification_image_hashes") == 0

    world.fake_ai.reply(answer(True, False))
    await world.upload(channel, png)  # a real screenshot still works afterwards
    assert (await world.settled_status(row["id"]))["status"] == "verified"


async def test_an_oversized_screenshot_is_refused(world: Any) -> None:
    await world.configure(max_image_mb=1)
    row, channel = await world.open()
    assert "up to 1 MB" in channel.messages[0].embed["fields"][0]["value"]
    big = noise_png(700)
    assert len(big) > 1024 * 1024
    message = await world.upload(channel, big)
    assert await reply_to(world, channel, message) == "That file is too large: screenshots can be up to 1 MB."
    await world.emulator.wait_until(lambda: channel.message(message.id) is None)
    assert (await world.ticket(row["id"]))["status"] == "pending" and world.fake_ai.requests == []


async def test_one_screenshot_per_message(world: Any) -> None:
    row, channel = await world.open()
    message = await world.emulator.post(channel, "", author=world.member, attachments=[
        ("a.png", receipt(62), "image/png"), ("b.png", receipt(63), "image/png")])
    assert await reply_to(world, channel, message) == "Please send one screenshot per message."
    assert (await world.ticket(row["id"]))["status"] == "pending"


async def test_jpeg_and_webp_are_taken_whatever_their_name(world: Any) -> None:
    for index, fmt in enumerate(["JPEG", "WEBP"]):
        who = world.guild.add_member(f"buyer{index}")
        await world.emulator.settle()
        row, channel = await world.open(who)
        world.fake_ai.reply(answer(True, False))
        # the member's client says "text/plain" and the name says .txt: the bytes decide
        await world.upload(channel, receipt(64 + index, fmt=fmt), filename="notes.txt",
                           content_type="text/plain", who=who)
        assert (await world.settled_status(row["id"]))["status"] == "verified", fmt
        assert world.fake_ai.requests[-1].image_types == ["image/jpeg"], fmt  # photos are re-encoded as JPEG


async def test_keeping_screenshots_is_a_setting(world: Any) -> None:
    await world.configure(delete_screenshots=False)
    row, channel = await world.open()
    refused = await world.upload(channel, b"not an image")
    world.fake_ai.reply(answer(True, False))
    kept = await world.upload(channel, receipt(66))
    assert (await world.settled_status(row["id"]))["status"] == "verified"
    assert channel.message(refused.id) is not None and channel.message(kept.id) is not None


async def test_staff_uploads_in_the_channel_are_not_screenshots(world: Any) -> None:
    row, channel = await world.open()
    await world.upload(channel, receipt(67), who=world.staff)
    await world.emulator.settle()
    assert (await world.ticket(row["id"]))["status"] == "pending" and world.fake_ai.requests == []


async def test_a_reused_screenshot_goes_to_staff(world: Any) -> None:
    first = world.member
    row, channel = await world.open(first)
    world.fake_ai.reply(answer(True, False))
    await world.upload(channel, receipt(70, size=(720, 1280)), who=first)
    assert (await world.settled_status(row["id"]))["status"] == "verified"

    # Another member sends the same receipt, re-encoded as JPEG and scaled down.
    second = world.guild.add_member("copycat")
    await world.emulator.settle()
    copy = io.BytesIO()
    Image.open(io.BytesIO(receipt(70, size=(720, 1280)))).resize((540, 960)).save(copy, format="JPEG", quality=70)
    row2, channel2 = await world.open(second)
    world.fake_ai.reply(answer(True, False))  # the model is fooled; the hash is not
    await world.upload(channel2, copy.getvalue(), filename="mine.jpg", content_type="image/jpeg", who=second)
    done = await world.settled_status(row2["id"])
    assert done["status"] == "manual_review" and done["review_cause"] == "duplicate"
    assert done["duplicate_of_user"] == first.id and done["ai_can_verify"] is True
    review = world.review_message(channel2)
    warning = {f["name"]: f["value"] for f in review.embed["fields"]}["⚠️ Reused screenshot"]
    assert str(first.id) not in warning and "another member" in warning  # the copier is not told who

    # Only hashes are kept: no image bytes anywhere in the plugin's tables.
    hashes = await world.bot.db.fetch("SELECT user_id, length(dhash) AS bits FROM verification_image_hashes "
                                      "ORDER BY id")
    assert [(h["user_id"], h["bits"]) for h in hashes] == [(first.id, 256), (second.id, 256)]
    binary = await world.bot.db.fetchval(
        "SELECT count(*) FROM information_schema.columns WHERE table_name LIKE 'verification_%' "
        "AND data_type = 'bytea'")
    assert binary == 0


async def test_a_member_may_send_their_own_screenshot_again(world: Any) -> None:
    row, channel = await world.open()
    world.fake_ai.reply(answer(False, True))
    await world.upload(channel, receipt(71))
    assert (await world.settled_status(row["id"]))["status"] == "manual_review"
    again = await world.upload(channel, receipt(71))  # while staff look: added as evidence, no model call
    assert await reply_to(world, channel, again) == "Added for the staff's review."
    done = await world.ticket(row["id"])
    assert done["review_cause"] == "ai_unsure" and len(done["evidence_message_ids"]) == 2
    assert len(world.fake_ai.requests) == 1

    await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
    await world.settled_status(row["id"], leaving="manual_review")
    assert channel.message(again.id) is None  # every screenshot goes once decided


async def test_a_second_upload_while_the_first_is_checked_waits(world: Any) -> None:
    row, channel = await world.open()
    release = asyncio.Event()

    async def thinking(_request: Any) -> dict[str, Any]:
        await release.wait()  # the model answers when the test says so
        return answer(True, False)

    world.fake_ai.reply_with(thinking)
    await world.upload(channel, receipt(72))  # returns while the model thinks
    await world.emulator.wait_until(lambda: world.fake_ai.requests)
    second = await world.upload(channel, receipt(73))
    still = await reply_to(world, channel, second)
    assert still == "I am still checking your previous screenshot; please wait for my answer."
    release.set()
    assert (await world.settled_status(row["id"]))["status"] == "verified"
    assert len(world.fake_ai.requests) == 1
