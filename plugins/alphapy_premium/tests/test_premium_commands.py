"""``/premium`` and ``/premium_transfer`` end to end: the real bot, the emulator, PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import discord
import pytest
from alphapy_premium import ledger, store
from premium_helpers import move_here

from alphapy import configure_logging, has_premium


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def elsewhere(emulator: Any, guild: Any, member: Any) -> Any:
    """A second server the member is also in (made before the bot starts)."""
    other = emulator.add_guild("Elsewhere <@&1> **bold**", owner_name="else-owner")
    other.add_member(member.name, user=member.user)
    return other


async def grant(bot: Any, member: Any, guild: Any, **kwargs: Any) -> Any:
    return await ledger.grant(bot.db, user_id=member.id, guild_id=guild.id, tier=kwargs.pop("tier", "yearly"), **kwargs)


# --- /premium ---------------------------------------------------------------------------

async def test_premium_without_a_subscription(bot, emulator, member) -> None:
    reply = await emulator.slash(member, "premium")
    assert reply.ephemeral
    assert reply.content == "You do not have premium in this server.\n-# Checked with this bot's records."


async def test_premium_shows_tier_and_end_in_the_server_timezone(bot, emulator, member, guild) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Asia/Tokyo")
    expires = datetime(2040, 3, 1, 15, 30, tzinfo=timezone.utc)
    await grant(bot, member, guild, tier="monthly", expires_at=expires)
    reply = await emulator.slash(member, "premium")
    assert reply.content.startswith("✨ You have **Premium** (monthly) in this server; it renews "
                                    f"**2040-03-02 00:30 JST** (<t:{int(expires.timestamp())}:R>).")


async def test_premium_cancelled_and_lifetime(bot, emulator, member, host, guild) -> None:
    sub = await grant(bot, member, guild, tier="monthly", expires_at=now() + timedelta(days=3))
    async with bot.db.acquire() as conn:
        await store.set_status(conn, sub.id, "cancelled", from_statuses=("active",))
    cancelled = await emulator.slash(member, "premium")
    assert "It was cancelled and will not renew." in cancelled.content
    await grant(bot, host, guild, tier="lifetime")
    assert (await emulator.slash(host, "premium")).content.startswith(
        "✨ You have **Premium** (lifetime) in this server, with no end date.")


async def test_premium_after_the_end(bot, emulator, member, host, guild) -> None:
    ended = datetime(2020, 5, 1, 12, 0, tzinfo=timezone.utc)
    async with bot.db.transaction() as conn:
        await store.insert(conn, user_id=member.id, guild_id=guild.id, tier="monthly", status="expired",
                           expires_at=ended)
    reply = await emulator.slash(member, "premium")
    assert reply.content.splitlines()[:2] == [
        "You do not have premium in this server.",
        f"Your subscription here ended **2020-05-01 12:00 UTC** (<t:{int(ended.timestamp())}:R>).",
    ]
    revoked = await grant(bot, host, guild, tier="monthly")
    await ledger.revoke(bot.db, sub_id=revoked.id)  # ended early: its expires_at is still ahead
    assert (await emulator.slash(host, "premium")).content.splitlines()[1] == "Your subscription here has ended."


async def test_the_cooldown_setting_refuses_hostile_values(bot, emulator, host, guild) -> None:
    for value in ("-1", "366", "seven", "9" * 40, "7.5", "", "@everyone"):
        reply = await emulator.slash(host, "settings set", setting="premium.transfer_cooldown_days", value=value)
        assert reply.ephemeral and reply.content.startswith("premium.transfer_cooldown_days must be"), value
    assert await bot.settings.get(guild.id, "premium", "transfer_cooldown_days") == 7


async def test_premium_points_to_the_server_it_applies_to(bot, emulator, member, guild, elsewhere) -> None:
    await grant(bot, member, elsewhere)
    reply = await emulator.slash(member, "premium")
    assert reply.content.splitlines()[:2] == [
        "You do not have premium in this server.",
        ("Your **yearly** subscription applies to **Elsewhere <@&1> \\*\\*bold\\*\\***. "
         "Use `/premium_transfer` here to move it to this server."),
    ]
    assert not await has_premium(bot, member.id, guild.id) and await has_premium(bot, member.id, elsewhere.id)


# --- /premium_transfer -------------------------------------------------------------------

async def test_transfer_end_to_end(bot, emulator, member, guild, elsewhere) -> None:
    sub = await grant(bot, member, elsewhere)
    asked = await emulator.slash(member, "premium_transfer")
    assert asked.ephemeral and asked.response.button_labels == ["Move it here", "Keep it where it is"]
    assert asked.content.startswith("Move your **yearly** premium from **Elsewhere")
    assert "nothing anyone made there is deleted" in asked.content and "again in 7 days" in asked.content
    assert [b["custom_id"] for b in asked.response.buttons] == [f"premium:transfer:{sub.id}", f"premium:keep:{sub.id}"]

    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        await move_here(emulator, asked)
    finally:
        configure_logging("warning", "json")
    assert asked.response.content.startswith("✅ Your **yearly** premium now applies to **this server**.")
    assert asked.response.buttons == []  # the question is closed
    logged = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    moved = next(e for e in logged if e["event"] == "premium.transferred")
    assert (moved["subscription_id"], moved["user_id"], moved["from_guild_id"], moved["to_guild_id"]) == (
        sub.id, member.id, elsewhere.id, guild.id)
    row = await store.get(bot.db, sub.id)
    assert row["guild_id"] == guild.id and row["status"] == "active" and row["last_transferred_at"] is not None
    assert await has_premium(bot, member.id, guild.id) and not await has_premium(bot, member.id, elsewhere.id)

    again = await emulator.slash(member, "premium_transfer")
    assert again.content == "Your subscription is already in this server."


async def test_keep_it_changes_nothing(bot, emulator, member, elsewhere) -> None:
    sub = await grant(bot, member, elsewhere)
    asked = await emulator.slash(member, "premium_transfer")
    await emulator.click(asked, "Keep it where it is")
    assert asked.response.content == "Nothing was moved." and asked.response.buttons == []
    assert (await store.get(bot.db, sub.id))["guild_id"] == elsewhere.id


async def test_cooldown_between_moves(bot, emulator, member, guild, elsewhere) -> None:
    sub = await grant(bot, member, elsewhere)
    await bot.db.execute("UPDATE premium_subs SET last_transferred_at = now() - interval '2 days' WHERE id = $1",
                         sub.id)
    refused = await emulator.slash(member, "premium_transfer")
    assert refused.ephemeral and refused.content.startswith("You moved your subscription **")
    assert "you can move it again **" in refused.content
    # the stricter server decides: this server allows moves at once, the other one does not
    await bot.settings.set(guild.id, "premium", "transfer_cooldown_days", 0)
    assert (await emulator.slash(member, "premium_transfer")).content.startswith("You moved your subscription")
    await bot.settings.set(elsewhere.id, "premium", "transfer_cooldown_days", 1)
    asked = await emulator.slash(member, "premium_transfer")
    assert "again in 1 day." in asked.content
    await move_here(emulator, asked)
    assert asked.response.content.startswith("✅")


async def test_the_click_checks_everything_again(bot, emulator, member, guild, elsewhere) -> None:
    """Two prompts open: the first move starts the cooldown, the second click is refused."""
    sub = await grant(bot, member, elsewhere)
    third = emulator.add_guild("Third", owner_name="third-owner")
    third.add_member(member.name, user=member.user)
    await emulator.settle()
    here = await emulator.slash(member, "premium_transfer")
    there = await emulator.slash(member, "premium_transfer", in_channel=third.channel("general"))
    await move_here(emulator, here)
    await move_here(emulator, there)
    assert there.response.content.startswith("You moved your subscription <t:")
    assert (await store.get(bot.db, sub.id))["guild_id"] == guild.id


async def test_only_an_active_subscription_moves(bot, emulator, member, elsewhere) -> None:
    assert (await emulator.slash(member, "premium_transfer")).content.startswith(
        "You have no active subscription to move.")
    sub = await grant(bot, member, elsewhere, tier="monthly")
    asked = await emulator.slash(member, "premium_transfer")
    async with bot.db.acquire() as conn:
        await store.set_status(conn, sub.id, "cancelled", from_statuses=("active",))
    await move_here(emulator, asked)
    assert asked.response.content == "Only an active subscription can be moved; this one is cancelled."
    assert (await store.get(bot.db, sub.id))["guild_id"] == elsewhere.id


# --- hostile and forged buttons ----------------------------------------------------------

async def post_buttons(bot: Any, channel: Any, *custom_ids: str) -> Any:
    """What a forged or stale prompt looks like: buttons with ids the member did not get from us."""
    view = discord.ui.View(timeout=None)
    for n, custom_id in enumerate(custom_ids):
        view.add_item(discord.ui.Button(label=f"b{n}", custom_id=custom_id))
    await bot.get_channel(channel.id).send("forged", view=view)
    return channel.messages[-1]


MALFORMED_IDS = [
    "premium:transfer:abc", "premium:transfer:", "premium:transfer:-1", "premium:transfer:99999999999",
    "premium:transfer:1:2", "premium:nope", "premium:", "premium:transfer:1\n", "premium:keep:x",
    "premium:transfer:" + "9" * 80,
]


async def test_malformed_button_ids_are_answered_and_change_nothing(bot, emulator, member, channel,
                                                                    elsewhere) -> None:
    sub = await grant(bot, member, elsewhere)
    message = await post_buttons(bot, channel, *MALFORMED_IDS)
    for custom_id in MALFORMED_IDS:
        reply = await emulator.click(message, custom_id, by=member)
        assert reply.ephemeral, custom_id
        assert reply.content == "This button is no longer valid. Run `/premium_transfer` again.", custom_id
    assert (await store.get(bot.db, sub.id))["guild_id"] == elsewhere.id


async def test_someone_elses_subscription_cannot_be_moved(bot, emulator, member, host, guild, channel,
                                                         elsewhere) -> None:
    victim = await grant(bot, member, elsewhere)
    message = await post_buttons(bot, channel, f"premium:transfer:{victim.id}", "premium:transfer:9999999999",
                                 "premium:transfer:0", "premium:transfer:2147483647")
    for custom_id in [b["custom_id"] for b in message.buttons]:
        reply = await emulator.click(message, custom_id, by=host)
        assert reply.ephemeral and reply.content == "That subscription does not exist (any more)."
    assert message.content == "forged" and len(emulator.ephemeral_replies(host)) == 4
    assert (await store.get(bot.db, victim.id))["guild_id"] == elsewhere.id  # nothing moved
    assert await bot.db.fetchval("SELECT count(*) FROM premium_subs WHERE last_transferred_at IS NOT NULL") == 0


async def test_a_disabled_plugin_answers_nothing_else(bot, emulator, member, guild, elsewhere) -> None:
    sub = await grant(bot, member, elsewhere)
    asked = await emulator.slash(member, "premium_transfer")
    await bot.settings.set_enabled(guild.id, "premium", False)
    assert (await emulator.slash(member, "premium")).content == "The premium plugin is disabled in this server."
    clicked = await emulator.click(asked, "Move it here")
    assert clicked.content == "The premium plugin is disabled in this server."
    assert (await store.get(bot.db, sub.id))["guild_id"] == elsewhere.id
