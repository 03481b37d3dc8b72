"""A change in one process reaches every other process's cached premium answer at once.

Two bots (two shards, as two processes run them) on one real database and the emulator,
with the fake billing service: the second bot's cached answer must not outlive a
webhook, a grant or a revoke applied by the first (``PREMIUM_CACHE_SECONDS`` is 180 s).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest_asyncio
from alphapy_premium import ledger
from alphapy_premium.cog import PremiumCog
from alphapy_premium.testing import FakeBilling, webhook_delivery

from alphapy.testing import BotRunner, running_alphapy

SECRET = "whsec-test-0123456789abcdef"
USER, GUILD = 222_000_000_000_000_007, 333_000_000_000_000_007


@asynccontextmanager
async def shard_processes(emulator: Any, database_url: str, plugins: Any) -> AsyncIterator[tuple[BotRunner, BotRunner]]:
    """Shards 0 and 1 of one bot, each with its own services, as two processes run them."""
    async with (running_alphapy(emulator, database_url, plugins=plugins, health=True,
                                shard_count=2, shard_ids=[0]) as first,
                running_alphapy(emulator, database_url, plugins=plugins, shard_count=2, shard_ids=[1]) as second):
        yield first, second


@pytest_asyncio.fixture
async def two_bots(emulator: Any, guild: Any, migrated_database_url: str, alphapy_plugins: Any,
                   premium_env: Any, billing: FakeBilling) -> AsyncIterator[tuple[BotRunner, BotRunner]]:
    premium_env(webhook_secret=SECRET, api_url=billing.url, api_token=billing.token, cache_seconds=180)
    async with shard_processes(emulator, migrated_database_url, alphapy_plugins) as bots:
        yield bots


async def answer_becomes(emulator: Any, runner: BotRunner, active: bool) -> None:
    assert runner.bot is not None
    bot = runner.bot

    async def answered() -> bool:
        return (await bot.premium_status(USER, GUILD)).active is active

    await emulator.wait_until(answered, timeout=10, message=f"the other process still answers active={not active}")


async def test_a_webhook_in_one_process_reaches_the_others_cache(emulator: Any, billing: FakeBilling,
                                                                  two_bots: tuple[BotRunner, BotRunner]) -> None:
    first, second = two_bots
    assert second.bot is not None and first.services is not None and first.services.health is not None
    assert (await second.bot.premium_status(USER, GUILD)).active is False  # cached: "no subscription"
    asked = billing.asked()
    assert (await second.bot.premium_status(USER, GUILD)).active is False
    assert billing.asked() == asked  # the second answer came from the cache

    expires = datetime.now(timezone.utc) + timedelta(days=30)
    billing.subscribe(USER, GUILD, tier="monthly", expires_at=expires, sub_id="sub_cross")
    body, headers = webhook_delivery(SECRET, "subscription.created", {
        "subscription_id": "sub_cross", "user_id": USER, "guild_id": GUILD, "tier": "monthly",
        "expires_at": expires.isoformat()})
    async with (aiohttp.ClientSession() as http,
                http.post(f"{first.services.health.url}/api/premium/webhook", data=body, headers=headers) as reply):
        assert reply.status == 200, await reply.text()
    await answer_becomes(emulator, second, active=True)

    billing.subscriptions.pop(USER)  # the billing system ends it, an operator revokes it in the first process
    assert first.bot is not None
    assert await ledger.revoke(first.bot.db, user_id=USER)
    await answer_becomes(emulator, second, active=False)


async def test_the_cache_is_dropped_while_notifications_may_be_missed(
        emulator: Any, billing: FakeBilling, two_bots: tuple[BotRunner, BotRunner]) -> None:
    _first, second = two_bots
    assert second.bot is not None and second.services is not None
    assert (await second.bot.premium_status(USER, GUILD)).active is False
    premium = PremiumCog.of(second.bot).running_service
    assert premium is not None and premium.health()["cached_answers"] == 1
    listener = second.services.settings._listener
    assert listener is not None  # the shared listening connection dies: changes may go unheard
    await second.bot.db.execute("SELECT pg_terminate_backend($1)", listener.get_server_pid())
    await emulator.wait_until(lambda: premium.health()["cached_answers"] == 0, timeout=10,
                              message="the premium cache survived a lost listener")
    await emulator.wait_until(lambda: second.services is not None and second.services.settings.listening,
                              timeout=30, message="the listener did not come back")


async def test_an_entitlement_event_on_shard_0_reaches_the_other_shards_cache(
        emulator: Any, guild: Any, member: Any, migrated_database_url: str, alphapy_plugins: Any,
        premium_env: Any) -> None:
    premium_env(sku_ids=emulator.state.application.sku_id, cache_seconds=180)
    async with shard_processes(emulator, migrated_database_url, alphapy_plugins) as (_first, second):
        assert second.bot is not None
        assert (await second.bot.premium_status(member.id, guild.id)).active is False  # cached: no entitlement
        await emulator.grant_entitlement(member)  # ENTITLEMENT_CREATE has no guild: Discord sends it to shard 0

        async def second_sees_it() -> bool:
            assert second.bot is not None
            answer = await second.bot.premium_status(member.id, guild.id)
            return answer.active and answer.source == "entitlement"

        await emulator.wait_until(second_sees_it, timeout=10, message="shard 1 still serves its cached answer")
