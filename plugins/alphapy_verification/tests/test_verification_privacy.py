"""Nothing sensitive is kept: not in the tables, not in the log, not in a channel or a DM.

Also: a person's data can be exported and erased, and the table is the reference's.
"""

from __future__ import annotations

import io
import json
from typing import Any

from verification_helpers import answer, receipt

from alphapy import configure_logging
from alphapy.testing import assert_tables_match_reference

SENSITIVE = [
    "4111 1111 1111 1111", "4111111111111111",  # a Luhn-valid card number
    "5500-0000-0000-0004",
    "NL91 ABNA 0417 1643 00", "NL91ABNA0417164300",  # an IBAN
    "jan.devries@example.com",
    "+31 6 12345678", "(415) 555-2671",
    "Jan de Vries",
    "A-99812-XZ",
]
MODEL_REASON = ("Paid 49.99 EUR with card 4111 1111 1111 1111 by Account holder: Jan de Vries "
                "(jan.devries@example.com, +31 6 12345678), IBAN NL91 ABNA 0417 1643 00, Order ID: A-99812-XZ.")
STAFF_REASON = ("The card 5500-0000-0000-0004 belongs to Jan de Vries, not you; call (415) 555-2671 "
                "or mail jan.devries@example.com about order #A-99812-XZ.")


def leaks(text: str) -> list[str]:
    return [secret for secret in SENSITIVE if secret in text]


async def test_nothing_sensitive_reaches_the_table_the_log_or_a_channel(world: Any) -> None:
    assert len(MODEL_REASON) <= 300
    await world.configure(mode="assist", close_delay_seconds=3600)
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    try:
        row, channel = await world.open()
        world.fake_ai.reply(answer(True, False, MODEL_REASON))
        await world.upload(channel, receipt(90))
        waiting = await world.settled_status(row["id"])
        form = await world.emulator.click(world.review_message(channel), "Reject", by=world.staff)
        await world.emulator.submit_modal(form, {"reason": STAFF_REASON})
        await world.emulator.settle()
        await world.emulator.slash(world.staff, "verification pending")
    finally:
        configure_logging("warning", "json")

    # What was kept reads well and holds none of it.
    assert waiting["ai_reason"] == ("Paid 49.99 EUR with card [card number] by Account holder: [name] ([e-mail], "
                                    "[phone]), IBAN [IBAN], Order ID: [order id].")
    done = await world.ticket(row["id"])
    assert done["staff_reason"] == ("The card [card number] belongs to [name], not you; call [phone] or mail "
                                    "[e-mail] about order #[order id].")

    tables = await world.bot.db.fetch("SELECT t::text AS row FROM verification_tickets t "
                                      "UNION ALL SELECT h::text FROM verification_image_hashes h")
    assert tables and not [leak for r in tables for leak in leaks(r["row"])]

    log = stream.getvalue()
    assert '"event": "verification.checked"' in log and '"event": "verification.rejected"' in log
    assert leaks(log) == []

    messages = [m for c in world.emulator.state.channels.values() for m in c.messages]
    messages += list(channel.messages) + list(world.emulator.state.ephemeral_messages.values())
    messages += world.emulator.dms(world.member)
    shown = [m for m in messages if m.author.id == world.emulator.bot_user.id]
    assert any("[card number]" in json.dumps(m.embeds) for m in shown)  # the review embed, sanitised
    assert any("[name], not you" in m.content for m in shown)  # the channel and the DM
    assert not [leak for m in shown for leak in leaks(m.content + json.dumps(m.embeds))]


async def test_reasons_cannot_ping_or_format(world: Any) -> None:
    await world.configure(mode="assist")
    row, channel = await world.open()
    world.fake_ai.reply(answer(True, False, "@everyone <@&1> **APPROVED** [click](https://evil.example)"))
    await world.upload(channel, receipt(91))
    await world.settled_status(row["id"])
    view = {f["name"]: f["value"] for f in world.review_message(channel).embed["fields"]}["The AI's view"]
    assert "\\*\\*APPROVED\\*\\*" in view and "@\u200beveryone" in view
    form = await world.emulator.click(world.review_message(channel), "Reject", by=world.staff)
    await world.emulator.submit_modal(form, {"reason": "@everyone look <@&1>"})
    await world.settled_status(row["id"], leaving="manual_review")  # every message of the rejection is out
    posted = world.emulator.requests.matching("POST", "/channels/{channel_id}/messages")
    for request in posted:
        mentions = request.json.get("allowed_mentions") or {}
        assert "everyone" not in mentions.get("parse", []) and "roles" not in mentions.get("parse", [])
    told = next(m for m in channel.messages if m.content.startswith("❌"))
    assert "@\u200beveryone" in told.content


async def test_user_data_and_forget_user(world: Any) -> None:
    member = world.member
    other = world.emulator.add_guild("Second Guild", owner_name="second-owner")
    other.add_member("member", user=member.user)
    await world.emulator.settle()
    row, channel = await world.open()
    world.fake_ai.reply(answer(False, True, "Card 4111 1111 1111 1111 seen."))
    await world.upload(channel, receipt(92))
    await world.settled_status(row["id"])
    bystander = world.guild.add_member("bystander")
    await world.emulator.settle()
    await world.open(bystander)
    await world.bot.db.execute(
        "INSERT INTO verification_tickets (guild_id, user_id, channel_id, status, decision, resolved_at) "
        "VALUES ($1, $2, 5, 'verified', 'auto', now())", other.id, member.id)

    async def ask(hook: str, **kwargs: Any) -> Any:
        results = await world.bot.plugins.call_async(hook, db=world.bot.db, **kwargs)
        (result,) = [r for r in results if r.plugin == "verification"]
        assert result.ok, result.error
        return result.value

    exported = await ask("user_data", user_id=member.id)
    json.dumps(exported)  # serialisable as it is
    assert sorted(t["guild_id"] for t in exported["verification_tickets"]) == sorted([world.guild.id, other.id])
    mine = next(t for t in exported["verification_tickets"] if t["guild_id"] == world.guild.id)
    assert mine["ai_reason"] == "Card [card number] seen." and mine["status"] == "manual_review"
    assert len(exported["screenshot_hashes"]) == 1 and len(exported["screenshot_hashes"][0]["perceptual_hash"]) == 64

    assert await ask("forget_user", user_id=member.id, guild_id=world.guild.id) == 2  # a ticket and a hash
    left = await ask("user_data", user_id=member.id)
    assert [t["guild_id"] for t in left["verification_tickets"]] == [other.id] and left["screenshot_hashes"] == []
    assert await ask("forget_user", user_id=member.id, guild_id=None) == 1
    assert await ask("user_data", user_id=member.id) is None
    assert (await ask("user_data", user_id=bystander.id))["verification_tickets"][0]["status"] == "pending"


def test_the_table_is_the_reference(migrated_database_url: str) -> None:
    assert_tables_match_reference(migrated_database_url, ["verification_tickets"])


def test_the_migration_rolls_back(migrated_database_url: str, plugin_manager: Any) -> None:
    import psycopg

    from alphapy.testing import MigrationRunner

    runner = MigrationRunner(migrated_database_url, plugin_manager.migration_sources())
    assert runner.rollback("verification") == ["verification_0001_init"]
    with psycopg.connect(migrated_database_url) as conn:
        assert conn.execute("SELECT to_regclass('verification_tickets')").fetchone()[0] is None
    runner.apply()
    assert_tables_match_reference(migrated_database_url, ["verification_tickets"])
