"""The premium answer of one process: sources in order, a cache, and what it costs.

``status(user_id, guild_id)`` asks, in order:

1. the **billing service** when ``PREMIUM_API_URL`` is set (its answer is the truth);
   answers, "no subscription" included, are cached for ``PREMIUM_CACHE_SECONDS``;
   concurrent questions about one user share one request; after a failure the service is
   left alone for ``PREMIUM_RETRY_SECONDS`` so that a dead billing service costs no
   timeouts on the command path;
2. the **local table** when the billing service is not configured or gave no usable
   answer (never cached: one indexed query);
3. **Discord entitlements** (App Subscriptions) when ``PREMIUM_SKU_IDS`` is set and the
   first answer grants nothing: a guild subscription to one of those SKUs makes everyone
   premium in that guild, a user subscription makes that user premium everywhere. Cached
   like billing answers, and dropped at once on ENTITLEMENT_CREATE/UPDATE/DELETE.

Every change to ``premium_subs``, by any process, is announced by the database
(``NOTIFY alphapy_premium``); :meth:`PremiumService.follow_changes` hears it on the
core's shared listener and drops the cached billing answer about that user, so a grant,
revoke, transfer or expiry counts everywhere at once, not after the cache time. An
entitlement event, which reaches one shard only, is passed on the same way.

One :class:`PremiumService` per process, made at start-up and owned by the premium cog
(``PremiumCog.find(bot).running_service``): the hooks, the commands and the webhook (through
``alphapy.bot_of(request)``) all reach it from the bot, so no module-level registry exists.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

from alphapy import AlphapyBot, Database, PremiumStatus, describe_exception, get_logger
from alphapy_premium import ledger, store
from alphapy_premium.billing import BillingClient, BillingRefused, BillingUnavailable
from alphapy_premium.config import PremiumConfig
from alphapy_premium.model import Subscription, best_of

log = get_logger("alphapy.plugins.premium")

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

BILLING, LOCAL, ENTITLEMENT = "billing", "local", "entitlement"
CACHE_SIZE = 50_000

class TTLCache(Generic[K, V]):
    """A bounded map whose entries live ``ttl`` seconds (least recently used go first)."""

    def __init__(self, ttl: float, maxsize: int = CACHE_SIZE) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> tuple[bool, V | None]:
        entry = self._data.get(key)
        if entry is None:
            return False, None
        if entry[0] <= time.monotonic():
            del self._data[key]
            return False, None
        self._data.move_to_end(key)
        return True, entry[1]

    def set(self, key: K, value: V) -> None:
        if self.ttl <= 0:
            return
        self._data[key] = (time.monotonic() + self.ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


@dataclass
class Counters:
    """For ``health`` and the benchmark."""

    billing_requests: int = 0
    billing_failures: int = 0
    billing_cache_hits: int = 0
    local_answers: int = 0
    entitlement_requests: int = 0
    entitlement_failures: int = 0
    last_billing_error: str | None = None
    by_source: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Overview:
    """A person's premium as ``/premium`` shows it: here, and their subscription anywhere."""

    here: PremiumStatus
    current: Subscription | None  # their running subscription, in whichever guild
    source: str


class PremiumService:
    def __init__(self, db: Database, config: PremiumConfig, *, bot: AlphapyBot | None = None) -> None:
        self.db = db
        self.config = config
        self.bot = bot
        self.billing = (BillingClient(config.api_url, config.api_token, config.api_timeout)
                        if config.api_url else None)
        self.grace = timedelta(hours=config.expiry_grace_hours)
        self.sku_ids = list(config.sku_ids)
        self.counters = Counters()
        self._billing_cache: TTLCache[int, Subscription | None] = TTLCache(config.cache_seconds)
        self._entitlement_cache: TTLCache[tuple[str, int], datetime | bool | None] = TTLCache(config.cache_seconds)
        self._inflight: dict[Any, asyncio.Future[Any]] = {}
        self._billing_down_until = 0.0
        self._changes_source: Any = None

    # --- lifecycle ------------------------------------------------------------------
    async def follow_changes(self, settings: Any) -> None:
        """Drop cached answers when any process changes a subscription (the core's listener)."""
        self._changes_source = settings
        await settings.subscribe(store.NOTIFY_CHANNEL, self.subscription_changed, self.forget_all)

    def subscription_changed(self, payload: str) -> None:
        """A subscription or an entitlement changed somewhere: forget what we knew about it."""
        changed = store.parse_change(payload)
        if changed is None:
            self.forget_all()
        elif changed.entitlement:
            self.entitlement_changed(changed.user_id, changed.guild_id)
        elif changed.user_id is not None:
            self.invalidate(changed.user_id)

    def forget_all(self) -> None:
        """Changes may have gone unheard (the listener reconnected): trust no cached answer."""
        self._billing_cache.clear()
        self._entitlement_cache.clear()

    async def close(self) -> None:
        if self._changes_source is not None:
            source, self._changes_source = self._changes_source, None
            await source.unsubscribe(store.NOTIFY_CHANNEL, self.subscription_changed)
        if self.billing is not None:
            await self.billing.close()

    # --- the answer -------------------------------------------------------------------
    async def status(self, user_id: int, guild_id: int) -> PremiumStatus:
        """The premium hook's answer for ``user_id`` in ``guild_id``."""
        return (await self.overview(user_id, guild_id, want_current=False)).here

    async def overview(self, user_id: int, guild_id: int, *, want_current: bool = True) -> Overview:
        now = datetime.now(timezone.utc)
        source, here_sub, current = await self._subscriptions(user_id, guild_id, now, want_current)
        answer: PremiumStatus | None
        if here_sub is not None and here_sub.grants_premium(now, self.grace):
            answer = PremiumStatus(True, here_sub.tier, here_sub.status, here_sub.expires_at, source)
        else:
            answer = await self._entitlement_status(user_id, guild_id, now)
            if answer is None:
                answer = (PremiumStatus(False, here_sub.tier, ledger.effective_status(here_sub, now, self.grace),
                                        here_sub.expires_at, source)
                          if here_sub is not None else PremiumStatus(False, source=source))
        self.counters.by_source[answer.source] = self.counters.by_source.get(answer.source, 0) + 1
        return Overview(answer, current, source)

    async def _subscriptions(self, user_id: int, guild_id: int, now: datetime,
                             want_current: bool) -> tuple[str, Subscription | None, Subscription | None]:
        """(source, the subscription that applies here, the user's running one anywhere)."""
        if self.billing is not None:
            try:
                sub = await self._billing_subscription(user_id)
            except BillingUnavailable:
                pass  # logged once per outage; the local table answers
            else:
                here = sub if sub is not None and sub.guild_id == guild_id else None
                current = sub if sub is not None and sub.grants_premium(now, self.grace) else None
                return BILLING, here, current
        self.counters.local_answers += 1
        if want_current:
            rows = [Subscription.from_row(r) for r in await store.of_user(self.db, user_id)]
            here = best_of([s for s in rows if s.guild_id == guild_id], now, self.grace)
            running = [s for s in rows if s.grants_premium(now, self.grace)]
            return LOCAL, here, best_of(running, now, self.grace)
        rows = [Subscription.from_row(r) for r in await store.in_guild(self.db, user_id, guild_id)]
        return LOCAL, best_of(rows, now, self.grace), None

    async def _billing_subscription(self, user_id: int) -> Subscription | None:
        assert self.billing is not None
        hit, cached = self._billing_cache.get(user_id)
        if hit:
            self.counters.billing_cache_hits += 1
            return cached
        if time.monotonic() < self._billing_down_until:
            raise BillingUnavailable("the billing service failed recently")
        return await self._once(("billing", user_id), lambda: self._ask_billing(user_id))

    async def _ask_billing(self, user_id: int) -> Subscription | None:
        assert self.billing is not None
        self.counters.billing_requests += 1
        try:
            sub = await self.billing.subscription_of(user_id)
        except BillingUnavailable as exc:
            self._billing_failed(str(exc))
            raise
        if self._billing_down_until:
            log.info("premium.billing_recovered")
            self._billing_down_until = 0.0
        self._billing_cache.set(user_id, sub)
        return sub

    def _billing_failed(self, reason: str) -> None:
        self.counters.billing_failures += 1
        self.counters.last_billing_error = reason
        if not self._billing_down_until:
            log.warning("premium.billing_unavailable", error=reason, fallback="local table",
                        retry_in=self.config.retry_seconds)
        self._billing_down_until = time.monotonic() + self.config.retry_seconds

    async def _once(self, key: Any, make: Callable[[], Awaitable[T]]) -> T:
        """One request per key at a time; concurrent callers share its answer."""
        running = self._inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await make()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: the waiters re-raise it, nobody else must
            raise
        else:
            future.set_result(value)
            return value
        finally:
            del self._inflight[key]

    # --- Discord entitlements -----------------------------------------------------------
    async def _entitlement_status(self, user_id: int, guild_id: int, now: datetime) -> PremiumStatus | None:
        if not self.sku_ids or self.bot is None:
            return None
        for scope, target in (("guild", guild_id), ("user", user_id)):
            found = await self._entitlement(scope, target)
            if found is True or (isinstance(found, datetime) and found > now):
                return PremiumStatus(True, None, "active", found if isinstance(found, datetime) else None, ENTITLEMENT)
        return None

    async def _entitlement(self, scope: str, target: int) -> datetime | bool | None:
        """True (no end), the end of the longest running entitlement, or None."""
        hit, cached = self._entitlement_cache.get((scope, target))
        if hit:
            return cached
        try:
            found = await self._once(("entitlement", scope, target), lambda: self._fetch_entitlements(scope, target))
        except Exception as exc:  # Discord down or rate limited: no entitlement answer, not cached
            self.counters.entitlement_failures += 1
            log.warning("premium.entitlements_failed", scope=scope, error=describe_exception(exc))
            return None
        self._entitlement_cache.set((scope, target), found)
        return found

    async def _fetch_entitlements(self, scope: str, target: int) -> datetime | bool | None:
        import discord

        assert self.bot is not None  # _entitlement_status asks only when there is a bot
        self.counters.entitlement_requests += 1
        skus = [discord.Object(id=s) for s in self.sku_ids]
        kwargs: dict[str, Any] = {"guild" if scope == "guild" else "user": discord.Object(id=target)}
        best: datetime | None = None
        async for entitlement in self.bot.entitlements(skus=skus, exclude_ended=True, limit=100, **kwargs):
            if entitlement.deleted or entitlement.is_expired():
                continue
            if scope == "user" and entitlement.guild_id is not None:
                continue  # a guild subscription bought by this user counts in that guild only
            if entitlement.ends_at is None:
                return True
            if best is None or entitlement.ends_at > best:
                best = entitlement.ends_at
        return best

    async def announce_entitlement_change(self, user_id: int | None, guild_id: int | None) -> None:
        """An entitlement event reached this shard: forget it here, and tell every other process."""
        self.entitlement_changed(user_id, guild_id)
        try:
            await store.announce_entitlement_change(self.db, user_id, guild_id)
        except Exception as exc:  # the others' answers live PREMIUM_CACHE_SECONDS at most
            log.warning("premium.entitlement_announce_failed", error=describe_exception(exc))

    def entitlement_changed(self, user_id: int | None, guild_id: int | None) -> None:
        """ENTITLEMENT_CREATE/UPDATE/DELETE: forget what we knew about that user and guild."""
        if user_id:
            self._entitlement_cache.pop(("user", user_id))
        if guild_id:
            self._entitlement_cache.pop(("guild", guild_id))

    def invalidate(self, user_id: int) -> None:
        """Forget the cached billing answer about a user (after a change we made or were told)."""
        self._billing_cache.pop(user_id)

    # --- changes ----------------------------------------------------------------------
    async def transfer(self, *, sub_id: int, user_id: int, guild_id: int, cooldown: timedelta) -> ledger.Transfer:
        """Move a subscription here; a billing-owned one moves in the billing service first."""
        billing = self.billing

        async def billing_move(sub: Subscription) -> None:
            if billing is None or sub.external_id is None:
                return
            try:
                moved = await billing.transfer(sub.external_id, user_id, guild_id)
            except BillingRefused as exc:
                raise ledger.Refusal(f"The billing service refused the move: {exc}") from None
            except BillingUnavailable as exc:
                log.warning("premium.billing_transfer_failed", error=str(exc), subscription_id=sub_id)
                raise ledger.Refusal("The billing service cannot be reached right now, so nothing was moved. "
                                     "Please try again in a few minutes.") from None
            self._billing_cache.set(user_id, moved)

        done = await ledger.transfer(self.db, sub_id=sub_id, user_id=user_id, guild_id=guild_id,
                                     cooldown=cooldown, grace=self.grace, billing_move=billing_move)
        if billing is None or done.subscription.external_id is None:
            self.invalidate(user_id)
        log.info("premium.transferred", subscription_id=sub_id, user_id=user_id,
                 from_guild_id=done.from_guild_id, to_guild_id=guild_id)
        return done

    async def expire_due(self) -> int:
        """The periodic task: mark what ran out (past the grace period) as expired."""
        expired = await ledger.expire_due(self.db, self.grace)
        for row in expired:
            self.invalidate(row["user_id"])
            log.info("premium.expired", subscription_id=row["id"], user_id=row["user_id"], guild_id=row["guild_id"])
        return len(expired)

    async def purge_events(self) -> int:
        return await store.purge_events(self.db, self.config.event_retention_days)

    # --- health -----------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        down = time.monotonic() < self._billing_down_until
        report: dict[str, Any] = {
            "status": "degraded" if down else "ok",
            "billing": "not configured" if self.billing is None else ("unavailable" if down else "ok"),
            "entitlements": "on" if self.sku_ids else "off",
            "webhook": "on" if self.config.webhook_secret is not None else "off",
            "cached_answers": len(self._billing_cache) + len(self._entitlement_cache),
            "billing_requests": self.counters.billing_requests,
            "billing_failures": self.counters.billing_failures,
        }
        if down:
            report["last_billing_error"] = self.counters.last_billing_error
        return report
