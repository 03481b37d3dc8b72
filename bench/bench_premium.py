"""Premium figures: how long the core's premium question takes, by where the answer comes from.

Prints ``name: value unit`` lines, each the median of ``ROUNDS`` rounds of ``CALLS``
sequential ``bot.premium_status(user, guild)`` calls on a running bot (the emulator),
through the real hook path (the plugin manager, the premium plugin's hook, its service):

- ``premium_status_cached_p50`` / ``_p95``: the billing service's answer already cached;
  ``premium_status_service_cached_p50``: the same answer asked of the plugin's service
  directly, without the core's hook call (the difference is the hook machinery);
- ``premium_status_billing_uncached_p50`` / ``_p95``: every call asks the fake billing
  service on loopback (``PREMIUM_CACHE_SECONDS=0``): one HTTP round trip;
- ``premium_status_local_p50`` / ``_p95``: no billing service: one indexed query of
  ``premium_subs`` (10,000 subscriptions in the table);
- ``premium_status_fallback_p50``: the billing service down, inside the retry period:
  the local table answers without trying the service;
- ``premium_status_cached_concurrent``: answers per second with 100 callers at once, cached;
- ``ratio premium_hook_over_direct``: the cached answer through the hook over the same
  answer from the service directly, measured in turn in each round (goal <= 2x).

Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL. ``BENCH_CALLS`` /
``BENCH_ROUNDS`` override the sizes. A shared 2-core machine: orders of magnitude only.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from alphapy_premium import plugin as premium_plugin
from alphapy_premium.config import PremiumConfig
from alphapy_premium.service import PremiumService
from alphapy_premium.testing import FakeBilling
from ratios import report

from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.testing.database import TestDatabaseServer

CALLS = int(os.environ.get("BENCH_CALLS", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SUBSCRIPTIONS = 10_000
USER_BASE, GUILD_BASE = 1 << 60, 1 << 61


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def timed(call: Callable[[int], Awaitable[Any]]) -> tuple[float, float]:
    clock = time.perf_counter_ns
    samples = []
    for i in range(CALLS):
        started = clock()
        await call(i)
        samples.append((clock() - started) / 1000)
    return percentile(samples, 0.5), percentile(samples, 0.95)


async def seed(db: Any) -> None:
    expires = datetime.now(timezone.utc) + timedelta(days=30)
    await db.pool.copy_records_to_table(
        "premium_subs", columns=["user_id", "guild_id", "tier", "status", "expires_at"],
        records=[(USER_BASE + n, GUILD_BASE + n % 500, "monthly", "active", expires) for n in range(SUBSCRIPTIONS)])
    await db.execute("ANALYZE premium_subs")


async def run(url: str) -> dict[str, float]:
    """Each phase puts its own service on the running bot's premium cog, where the plugin's
    hook looks for it (as its ``startup`` hook does), and asks through the bot."""
    from alphapy_premium.cog import PremiumCog

    from alphapy.testing import DiscordEmulator, running_alphapy

    figures: dict[str, list[float]] = {}

    def keep(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    async with FakeBilling() as billing, DiscordEmulator() as emulator, \
            running_alphapy(emulator, url, plugins=[("premium", premium_plugin)], log_level="warning") as runner:
        bot = runner.bot
        cog = PremiumCog.of(bot)
        for n in range(100):
            billing.subscribe(USER_BASE + n, GUILD_BASE + n % 500, tier="yearly",
                              expires_at=datetime.now(timezone.utc) + timedelta(days=300))
        await seed(bot.db)
        ask = bot.premium_status

        async def configured(**values: Any) -> PremiumService:
            if cog.running_service is not None:
                await cog.running_service.close()
            cog.running_service = PremiumService(bot.db, PremiumConfig(_env_file=None, **values), bot=bot)
            return cog.running_service

        for _ in range(ROUNDS):
            # cached: the billing answer is in the cache after the first call
            premium = await configured(api_url=billing.url, api_token=billing.token)
            await ask(USER_BASE, GUILD_BASE)
            p50, p95 = await timed(lambda i: ask(USER_BASE, GUILD_BASE))
            keep("cached_p50", p50)
            keep("cached_p95", p95)
            p50, _ = await timed(lambda i, direct=premium.status: direct(USER_BASE, GUILD_BASE))
            keep("service_cached_p50", p50)
            keep("hook_over_direct", figures["cached_p50"][-1] / p50)
            for n in range(100):
                await ask(USER_BASE + n, GUILD_BASE + n)  # warm: every caller below is answered from the cache
            started = time.perf_counter()
            await asyncio.gather(*(asyncio.gather(*(ask(USER_BASE + n % 100, GUILD_BASE + n % 500)
                                                    for n in range(CALLS // 100))) for _ in range(100)))
            keep("cached_concurrent", CALLS / (time.perf_counter() - started))

            await configured(api_url=billing.url, api_token=billing.token, cache_seconds=0)
            p50, p95 = await timed(lambda i: ask(USER_BASE + i % 100, GUILD_BASE + i % 100))
            keep("billing_uncached_p50", p50)
            keep("billing_uncached_p95", p95)

            await configured()
            p50, p95 = await timed(lambda i: ask(USER_BASE + i, GUILD_BASE + i % 500))
            keep("local_p50", p50)
            keep("local_p95", p95)

            billing.mode = "down"
            await configured(api_url=billing.url, api_token=billing.token, retry_seconds=3600)
            await ask(USER_BASE, GUILD_BASE)  # the failure that opens the retry period
            p50, _ = await timed(lambda i: ask(USER_BASE + i, GUILD_BASE + i % 500))
            keep("fallback_p50", p50)
            billing.mode = "up"
    return {name: statistics.median(values) for name, values in figures.items()}


def main() -> None:
    configure_logging("error", "console")
    server = TestDatabaseServer()
    manager = PluginManager()
    manager.register(premium_plugin, "premium")
    url = server.migrated_database(manager.migration_sources())
    try:
        med = asyncio.run(run(url))
    finally:
        server.drop_database(url)
        server.close()
    for name in ("cached_p50", "cached_p95", "service_cached_p50", "billing_uncached_p50", "billing_uncached_p95",
                 "local_p50", "local_p95", "fallback_p50"):
        print(f"premium_status_{name}: {med[name]:,.1f} us")
    print(f"premium_status_cached_concurrent: {med['cached_concurrent']:,.0f} answers/s")
    report("premium_hook_over_direct", med["hook_over_direct"], "<=", 2)


if __name__ == "__main__":
    main()
