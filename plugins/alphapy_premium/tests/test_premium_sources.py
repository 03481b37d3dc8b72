"""Where the premium answer comes from: the billing service, the local table, in that order.

A real PostgreSQL and the fake billing service on loopback (up, down, slow, wrong);
Discord entitlements are in ``test_premium_entitlements.py``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from alphapy_premium import ledger, store
from alphapy_premium.config import PremiumConfig, PremiumConfigError, load_premium_config
from alphapy_premium.service import PremiumService
from alphapy_premium.testing import FakeBilling

from alphapy import PremiumStatus

USER, OTHER_USER = 111_222_333_444_555_666, 111_222_333_444_555_777
GUILD, OTHER_GUILD = 900_000_000_000_000_001, 900_000_000_000_000_002


def now() -> datetime:
    return datetime.now(timezone.utc)


def config(**values: Any) -> PremiumConfig:
    return PremiumConfig(_env_file=None, **values)  # type: ignore[call-arg]


async def service(db: Any, **values: Any) -> PremiumService:
    return PremiumService(db, config(**values))


async def add(db: Any, *, user: int = USER, guild: int = GUILD, tier: str = "monthly", status: str = "active",
              expires_at: datetime | None = None, external_id: str | None = None) -> int:
    """A row as any source could have left it (past expiries included, which a grant refuses)."""
    async with db.transaction() as conn:
        row = await store.insert(conn, user_id=user, guild_id=guild, tier=tier, status=status,
                                 expires_at=expires_at, external_id=external_id)
    return row["id"]


# --- the local table --------------------------------------------------------------------

async def test_without_billing_the_local_table_answers(db) -> None:
    premium = await service(db)
    assert await premium.status(USER, GUILD) == PremiumStatus(False, source="local")
    sub = await ledger.grant(db, user_id=USER, guild_id=GUILD, tier="yearly")
    answer = await premium.status(USER, GUILD)
    assert answer == PremiumStatus(True, "yearly", "active", sub.expires_at, "local")
    assert answer.expires_at is not None and timedelta(days=364) < answer.expires_at - now() <= timedelta(days=366)
    assert (await premium.status(USER, OTHER_GUILD)).active is False  # one guild at a time
    assert (await premium.status(OTHER_USER, GUILD)).active is False


STATES = [  # status, expires in, grace hours, premium?, status shown
    ("active", timedelta(days=3), 0, True, "active"),
    ("active", timedelta(hours=-2), 24, True, "active"),        # in the grace period: the renewal may be late
    ("active", timedelta(hours=-25), 24, False, "expired"),     # past the grace period, before the task ran
    ("cancelled", timedelta(hours=5), 24, True, "cancelled"),   # cancelled stays premium until expires_at
    ("cancelled", timedelta(minutes=-1), 24, False, "expired"),  # ... and not a moment longer (no grace)
    ("expired", timedelta(days=3), 24, False, "expired"),       # expired never grants
]


async def test_what_each_state_means(db) -> None:
    for n, (status, expires_in, grace_hours, premium, shown_status) in enumerate(STATES):
        user = USER + n
        await add(db, user=user, status=status, expires_at=now() + expires_in)
        answer = await (await service(db, expiry_grace_hours=grace_hours)).status(user, GUILD)
        assert (answer.active, answer.status, answer.source) == (premium, shown_status, "local"), STATES[n]


async def test_lifetime_never_ends_and_a_cancelled_one_beside_an_active_one(db) -> None:
    await add(db, tier="lifetime", expires_at=None)
    assert (await (await service(db)).status(USER, GUILD)) == PremiumStatus(True, "lifetime", "active", None, "local")
    await add(db, user=OTHER_USER, status="cancelled", expires_at=now() + timedelta(days=2))
    await add(db, user=OTHER_USER, tier="yearly", expires_at=now() + timedelta(days=300))
    best = await (await service(db)).status(OTHER_USER, GUILD)
    assert (best.tier, best.status) == ("yearly", "active")  # the active one says most


# --- the billing service ----------------------------------------------------------------

async def test_billing_is_the_source_of_truth_and_is_cached(db, billing: FakeBilling) -> None:
    expires = now() + timedelta(days=20)
    billing.subscribe(USER, GUILD, tier="monthly", expires_at=expires)
    await ledger.grant(db, user_id=OTHER_USER, guild_id=GUILD, tier="lifetime")  # local only: billing says no
    premium = await service(db, api_url=billing.url, api_token=billing.token)
    try:
        first = await premium.status(USER, GUILD)
        assert first == PremiumStatus(True, "monthly", "active", expires, "billing")
        assert (await premium.status(USER, OTHER_GUILD)).active is False
        assert billing.asked() == 1  # one request answered both guilds: the answer is per person
        assert billing.requests[0].authorization == f"Bearer {billing.token}"
        assert await premium.status(OTHER_USER, GUILD) == PremiumStatus(False, source="billing")

        billing.subscriptions[USER].status = "cancelled"
        assert (await premium.status(USER, GUILD)).status == "active"  # cached
        premium.invalidate(USER)
        assert (await premium.status(USER, GUILD)).status == "cancelled"
        assert billing.asked() == 3
    finally:
        await premium.close()


async def test_one_request_for_many_concurrent_questions(db, billing: FakeBilling) -> None:
    billing.subscribe(USER, GUILD, tier="lifetime")
    billing.mode, billing.delay = "slow", 0.2
    premium = await service(db, api_url=billing.url, api_token=billing.token)
    try:
        answers = await asyncio.gather(*(premium.status(USER, GUILD) for _ in range(20)))
    finally:
        await premium.close()
    assert {a.source for a in answers} == {"billing"} and all(a.active for a in answers)
    assert billing.asked() == 1


async def test_an_answer_that_arrives_in_pieces_is_read_whole(db, billing: FakeBilling) -> None:
    billing.subscribe(USER, GUILD, tier="lifetime")
    billing.mode = "trickle"
    premium = await service(db, api_url=billing.url, api_token=billing.token)
    try:
        answer = await premium.status(USER, GUILD)
    finally:
        await premium.close()
    assert (answer.active, answer.tier, answer.source) == (True, "lifetime", "billing")


FAILURES = ["down", "slow", "garbage", "wrong", "other_user", "bad_token", "stopped"]  # "stopped" last


async def test_when_billing_fails_the_local_table_answers(db, billing: FakeBilling) -> None:
    for n, mode in enumerate(FAILURES):
        user = USER + n
        billing.subscribe(user, OTHER_GUILD, tier="yearly")  # what billing would have said
        local = await ledger.grant(db, user_id=user, guild_id=GUILD, tier="monthly")
        token = billing.token
        if mode == "stopped":
            await billing.stop()
        elif mode == "bad_token":
            token = "not-the-token-at-all"
        else:
            billing.mode, billing.delay = mode, 1.0  # the client gives up after 0.3 s
        premium = await service(db, api_url=billing.url, api_token=token, api_timeout=0.3, retry_seconds=60)
        try:
            answer = await premium.status(user, GUILD)
            assert answer == PremiumStatus(True, "monthly", "active", local.expires_at, "local"), mode
            asked = billing.asked()
            assert premium.counters.billing_failures == 1 and premium.counters.last_billing_error, mode
            assert premium.health()["status"] == "degraded" and premium.health()["billing"] == "unavailable"
            # for the retry period the local table answers without waiting for the service again
            assert (await premium.status(user, GUILD)).source == "local"
            assert billing.asked() == asked and premium.counters.billing_requests == 1, mode
        finally:
            await premium.close()
        billing.mode = "up"


async def test_billing_is_asked_again_after_the_retry_period(db, billing: FakeBilling) -> None:
    billing.subscribe(USER, GUILD, tier="yearly", expires_at=now() + timedelta(days=100))
    billing.mode = "down"
    premium = await service(db, api_url=billing.url, api_token=billing.token, retry_seconds=0)
    try:
        assert (await premium.status(USER, GUILD)) == PremiumStatus(False, source="local")
        billing.mode = "up"
        back = await premium.status(USER, GUILD)
        assert back.source == "billing" and back.active and premium.health()["status"] == "ok"
    finally:
        await premium.close()


async def test_an_answer_of_no_subscription_is_cached_too(db, billing: FakeBilling) -> None:
    premium = await service(db, api_url=billing.url, api_token=billing.token)
    try:
        for _ in range(3):
            assert await premium.status(USER, GUILD) == PremiumStatus(False, source="billing")
        assert billing.asked() == 1
    finally:
        await premium.close()


async def test_caching_can_be_switched_off(db, billing: FakeBilling) -> None:
    premium = await service(db, api_url=billing.url, api_token=billing.token, cache_seconds=0)
    try:
        await premium.status(USER, GUILD)
        await premium.status(USER, GUILD)
        assert billing.asked() == 2
    finally:
        await premium.close()


# --- configuration ----------------------------------------------------------------------

@pytest.mark.parametrize(("variable", "value", "message"), [
    ("PREMIUM_API_URL", "ftp://billing.example", "PREMIUM_API_URL: Value error, must be an http:// or https:// URL"),
    ("PREMIUM_WEBHOOK_SECRET", "short", "PREMIUM_WEBHOOK_SECRET: Value error, must be at least 16 characters"),
    ("PREMIUM_SKU_IDS", "12,abc", "PREMIUM_SKU_IDS"),
    ("PREMIUM_SKU_IDS", "-5", "PREMIUM_SKU_IDS: Value error, must be Discord SKU ids (positive numbers)"),
    ("PREMIUM_API_TIMEOUT", "0", "PREMIUM_API_TIMEOUT"),
    ("PREMIUM_CACHE_SECONDS", "1e9", "PREMIUM_CACHE_SECONDS"),
])
def test_a_malformed_variable_is_one_line_naming_it(premium_env, variable, value, message) -> None:
    premium_env(**{variable: value})
    with pytest.raises(PremiumConfigError) as refused:
        load_premium_config()
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_configuration_from_the_environment_and_secret_redaction(premium_env) -> None:
    from alphapy import redact_text

    premium_env(api_url="https://billing.example/api/", api_token="tok-0123456789abcdef",
                webhook_secret="whsec-0123456789abcdef", sku_ids="1234, 5678")
    loaded = load_premium_config()
    assert loaded.api_url == "https://billing.example/api" and loaded.sku_ids == [1234, 5678]
    assert "tok-0123456789abcdef" not in repr(loaded)
    assert "tok-0123456789abcdef" not in redact_text("calling with tok-0123456789abcdef")
    assert "whsec-0123456789abcdef" not in redact_text("secret=whsec-0123456789abcdef")
