"""The running bot with a billing service and Discord SKUs configured: transfers that the
billing service must agree to, and entitlements as the third source."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import pytest_asyncio
from alphapy_premium import ledger, store
from alphapy_premium.testing import FakeBilling
from premium_helpers import move_here

from alphapy import PremiumStatus, has_premium

SKU, OTHER_SKU = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002


@pytest_asyncio.fixture
async def configured(billing: FakeBilling, premium_env: Any) -> FakeBilling:
    """Billing and SKUs in the environment before the bot starts (list it before ``bot``)."""
    premium_env(**billing.env(), sku_ids=SKU, api_timeout=0.5)
    return billing


@pytest.fixture
def elsewhere(emulator: Any, guild: Any, member: Any) -> Any:
    other = emulator.add_guild("Elsewhere", owner_name="else-owner")
    other.add_member(member.name, user=member.user)
    return other


async def billing_owned(bot: Any, billing: FakeBilling, member: Any, guild: Any) -> Any:
    """A subscription of the billing service, mirrored in the local table (as webhooks leave it)."""
    expires = datetime.now(timezone.utc) + timedelta(days=30)
    fake = billing.subscribe(member.id, guild.id, tier="monthly", expires_at=expires)
    return await ledger.grant(bot.db, user_id=member.id, guild_id=guild.id, tier="monthly", expires_at=expires,
                              external_id=fake.id)


async def test_the_billing_service_moves_its_subscription_first(configured, bot, emulator, member, guild,
                                                                elsewhere) -> None:
    sub = await billing_owned(bot, configured, member, elsewhere)
    assert (await bot.premium_status(member.id, elsewhere.id)).source == "billing"
    asked = await emulator.slash(member, "premium_transfer")
    await move_here(emulator, asked)
    assert asked.response.content.startswith("✅ Your **monthly** premium now applies to **this server**.")
    moves = [r for r in configured.requests if r.method == "POST"]
    assert [(r.path, r.body) for r in moves] == [(f"/v1/premium/subscriptions/{sub.external_id}/transfer",
                                                  {"user_id": str(member.id), "guild_id": str(guild.id)})]
    assert (await store.get(bot.db, sub.id))["guild_id"] == guild.id
    # The move changed premium_subs: every process, this one included, drops its cached
    # answer about the member on the database's notification and asks the billing service.
    here = await bot.premium_status(member.id, guild.id)
    assert here.active and here.source == "billing"
    assert not await has_premium(bot, member.id, elsewhere.id)


@pytest.mark.parametrize(("trouble", "message"), [
    ("down", ("The billing service cannot be reached right now, so nothing was moved. "
              "Please try again in a few minutes.")),
    ("refuse", "The billing service refused the move: payment overdue"),
])
async def test_without_the_billing_service_nothing_moves(configured, bot, emulator, member, elsewhere, trouble,
                                                         message) -> None:
    sub = await billing_owned(bot, configured, member, elsewhere)
    asked = await emulator.slash(member, "premium_transfer")
    if trouble == "down":
        configured.mode = "down"
    else:
        configured.refuse_transfers = "payment overdue"
    await move_here(emulator, asked)
    assert asked.response.content == message and asked.response.buttons == []
    row = await store.get(bot.db, sub.id)
    assert row["guild_id"] == elsewhere.id and row["last_transferred_at"] is None


async def test_a_local_grant_moves_without_asking_the_billing_service(configured, bot, emulator, member, elsewhere,
                                                                      guild) -> None:
    sub = await ledger.grant(bot.db, user_id=member.id, guild_id=elsewhere.id, tier="lifetime")
    asked = await emulator.slash(member, "premium_transfer")
    await move_here(emulator, asked)
    assert asked.response.content.startswith("✅")
    assert not [r for r in configured.requests if r.method == "POST"]
    assert (await store.get(bot.db, sub.id))["guild_id"] == guild.id


# --- Discord entitlements ----------------------------------------------------------------

async def test_a_user_entitlement_counts_everywhere_after_billing_says_no(configured, bot, emulator, member,
                                                                          host, guild, elsewhere) -> None:
    assert await bot.premium_status(member.id, guild.id) == PremiumStatus(False, source="billing")  # cached "no"
    ends = datetime.now(timezone.utc) + timedelta(days=10)
    await emulator.grant_entitlement(member, sku_id=SKU, ends_at=ends.isoformat())
    # ENTITLEMENT_CREATE dropped the cached "no" at once
    answer = await bot.premium_status(member.id, guild.id)
    assert (answer.active, answer.source, answer.status) == (True, "entitlement", "active")
    assert abs((answer.expires_at - ends).total_seconds()) < 1
    assert await has_premium(bot, member.id, elsewhere.id)
    assert not await has_premium(bot, host.id, guild.id)
    asked = emulator.requests.matching("GET", "/applications/{application_id}/entitlements")
    assert asked and all(r.query.get("sku_ids") == str(SKU) and r.query.get("exclude_ended") == "1" for r in asked)
    reply = await emulator.slash(member, "premium")
    assert reply.content.startswith("✨ You have **Premium** here through a Discord subscription, until **")


async def test_a_guild_entitlement_counts_for_everyone_there(configured, bot, emulator, member, host, guild,
                                                             elsewhere) -> None:
    await emulator.grant_entitlement(host, guild=guild, sku_id=SKU)
    assert await has_premium(bot, member.id, guild.id) and await has_premium(bot, host.id, guild.id)
    assert not await has_premium(bot, host.id, elsewhere.id)  # bought for one guild: counts there only
    assert (await bot.premium_status(member.id, guild.id)).source == "entitlement"


async def test_other_skus_and_ended_entitlements_do_not_count(configured, bot, emulator, member, guild) -> None:
    await emulator.grant_entitlement(member, sku_id=OTHER_SKU)
    await emulator.grant_entitlement(member, sku_id=SKU,
                                     ends_at=(datetime.now(timezone.utc) - timedelta(hours=1)).isoformat())
    assert not await has_premium(bot, member.id, guild.id)


async def test_the_billing_answer_comes_before_an_entitlement(configured, bot, emulator, member, guild) -> None:
    await billing_owned(bot, configured, member, guild)
    await emulator.grant_entitlement(member, sku_id=SKU)
    answer = await bot.premium_status(member.id, guild.id)
    assert (answer.source, answer.tier) == ("billing", "monthly")
    assert not emulator.requests.matching("GET", "/applications/{application_id}/entitlements")


async def test_without_skus_entitlements_are_never_asked(bot, emulator, member, guild) -> None:
    await emulator.grant_entitlement(member)
    assert not await has_premium(bot, member.id, guild.id)
    assert not emulator.requests.matching("GET", "/applications/{application_id}/entitlements")


async def test_health_reports_the_sources(configured, bot) -> None:
    report = await bot.plugins.call_async("health", bot=bot)
    premium = next(r.value for r in report if r.plugin == "premium")
    assert premium["status"] == "ok" and premium["billing"] == "ok" and premium["entitlements"] == "on"
    assert premium["webhook"] == "off"
