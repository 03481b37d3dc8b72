"""Changes to the local subscriptions, each with its rules, whoever asks for it.

The operator's command line, the billing webhook, ``/premium_transfer`` and the demo all
change ``premium_subs`` through these functions, so a grant from the command line and a
``subscription.created`` event obey the same one-active rule and the same tiers. They
take the core's ``Database`` and need no bot. Refusals meant for a person are
:class:`Refusal` (the cog shows them, the command line prints them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from alphapy_premium import store
from alphapy_premium.model import (
    MAX_EXTERNAL_ID,
    MAX_SERIAL,
    TIERS,
    Subscription,
    default_expiry,
    grants_premium,
    is_snowflake,
)
from alphapy_premium.store import AlreadyActive

__all__ = ["AlreadyActive", "Refusal", "Transfer", "expire_due", "grant", "revoke", "transfer"]


class Refusal(Exception):
    """A change that is not allowed; the message is one polite sentence for a person."""


@dataclass(frozen=True)
class Transfer:
    subscription: Subscription
    from_guild_id: int


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def check_ids(**ids: int | None) -> None:
    for name, value in ids.items():
        if value is not None and not is_snowflake(value):
            raise Refusal(f"{name.replace('_', ' ')} must be a Discord id (a positive 64-bit number), not {value}")


async def grant(db: Any, *, user_id: int, guild_id: int, tier: str, expires_at: datetime | None = None,
                external_id: str | None = None, grace: timedelta = timedelta(0),
                now: datetime | None = None) -> Subscription:
    """A new active subscription. Monthly and yearly end a calendar month or year from now
    unless ``expires_at`` says otherwise; lifetime never ends. Raises :class:`AlreadyActive`
    when the user holds an active subscription (the unique index decides, so two grants
    racing each other cannot both win)."""
    check_ids(user_id=user_id, guild_id=guild_id)
    if tier not in TIERS:
        raise Refusal(f"tier must be one of {', '.join(TIERS)}, not {str(tier)[:40]!r}")
    now = now or utcnow()
    if tier == "lifetime":
        if expires_at is not None:
            raise Refusal("a lifetime subscription has no expiry")
    else:
        expires_at = expires_at or default_expiry(tier, now)
        assert expires_at is not None
        if expires_at.tzinfo is None:
            raise Refusal("the expiry needs a timezone (UTC is assumed only for dates)")
        if expires_at <= now:
            raise Refusal("the expiry must be in the future")
    if external_id is not None and not 0 < len(external_id) <= MAX_EXTERNAL_ID:
        raise Refusal(f"an external id has 1 to {MAX_EXTERNAL_ID} characters")
    try:
        async with db.transaction() as conn:
            await store.expire_overdue_of_user(conn, user_id, grace)
            row = await store.insert(conn, user_id=user_id, guild_id=guild_id, tier=tier, expires_at=expires_at,
                                     external_id=external_id)
    except store.DuplicateExternalId:
        raise Refusal(f"a subscription with external id {external_id!r} exists already") from None
    return Subscription.from_row(row)


async def revoke(db: Any, *, sub_id: int | None = None, user_id: int | None = None) -> list[Subscription]:
    """End subscriptions now (status ``expired``): one by id, or every running one of a user."""
    if sub_id is not None and not 0 < sub_id <= MAX_SERIAL:
        raise Refusal(f"there is no subscription #{sub_id}")
    check_ids(user_id=user_id)
    ended: list[Subscription] = []
    async with db.transaction() as conn:
        if sub_id is not None:
            row = await store.get(conn, sub_id, lock=True)
            if row is None:
                raise Refusal(f"there is no subscription #{sub_id}")
            targets = [row]
        else:
            assert user_id is not None
            targets = [r for r in await store.of_user(conn, user_id) if r["status"] in ("active", "cancelled")]
        for row in targets:
            changed = await store.set_status(conn, row["id"], "expired", from_statuses=("active", "cancelled"))
            if changed is not None:
                ended.append(Subscription.from_row(changed))
    return ended


async def transfer(db: Any, *, sub_id: int, user_id: int, guild_id: int, cooldown: timedelta,
                   grace: timedelta, billing_move: Any = None) -> Transfer:
    """Move the user's active subscription to ``guild_id``, under a row lock.

    ``billing_move(subscription)`` (when the subscription belongs to a billing service) is
    awaited inside the transaction: the billing service agrees first, or nothing moves.
    """
    if not 0 < sub_id <= MAX_SERIAL:
        raise Refusal("That subscription does not exist (any more).")
    now = utcnow()
    async with db.transaction() as conn:
        row = await store.get(conn, sub_id, lock=True)
        if row is None or row["user_id"] != user_id:
            raise Refusal("That subscription does not exist (any more).")
        current = Subscription.from_row(row)
        if current.status != "active" or not current.grants_premium(now, timedelta(0)):
            raise Refusal("Only an active subscription can be moved; this one is "
                          f"{'cancelled' if current.status == 'cancelled' else 'no longer active'}.")
        if current.guild_id == guild_id:
            raise Refusal("Your subscription is already in this server.")
        last = current.last_transferred_at
        if last is not None and cooldown > timedelta(0) and now < last + cooldown:
            raise Refusal(f"You moved your subscription <t:{int(last.timestamp())}:R>; you can move it again "
                          f"<t:{int((last + cooldown).timestamp())}:R>.")
        if billing_move is not None and current.external_id is not None:
            await billing_move(current)
        moved = await store.move(conn, sub_id, guild_id)
    return Transfer(Subscription.from_row(moved), current.guild_id)


async def expire_due(db: Any, grace: timedelta) -> list[Any]:
    async with db.acquire() as conn:
        return await store.expire_due(conn, grace)


def effective_status(subscription: Subscription, now: datetime, grace: timedelta) -> str:
    """What a subscription is now, whether or not expiry has run over it yet."""
    if grants_premium(subscription.status, subscription.expires_at, now, grace):
        return subscription.status
    return "expired"
