"""What a subscription is, and the one rule that says whether it grants premium now.

Every source (the billing service, the local table) is turned into a
:class:`Subscription`, and :func:`grants_premium` decides for all of them, so the
billing answer and the local fallback can never disagree about what ``cancelled`` or
"past ``expires_at``" means.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

Tier = Literal["monthly", "yearly", "lifetime"]
Status = Literal["active", "cancelled", "expired"]
TIERS: tuple[Tier, ...] = ("monthly", "yearly", "lifetime")
STATUSES: tuple[Status, ...] = ("active", "cancelled", "expired")

MAX_SNOWFLAKE = (1 << 63) - 1
MAX_SERIAL = (1 << 31) - 1
MAX_EXTERNAL_ID = 200


@dataclass(frozen=True)
class Subscription:
    """One subscription, wherever it was read from (``id`` is None for billing-only ones)."""

    user_id: int
    guild_id: int
    tier: Tier
    status: Status
    expires_at: datetime | None
    external_id: str | None = None
    id: int | None = None
    created_at: datetime | None = None
    last_transferred_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Subscription:
        return cls(
            user_id=row["user_id"], guild_id=row["guild_id"], tier=row["tier"], status=row["status"],
            expires_at=row["expires_at"], external_id=row["stripe_subscription_id"], id=row["id"],
            created_at=row["created_at"], last_transferred_at=row["last_transferred_at"],
        )

    def grants_premium(self, now: datetime, grace: timedelta) -> bool:
        return grants_premium(self.status, self.expires_at, now, grace)

    def export(self) -> dict[str, Any]:
        """JSON-ready, for ``user_data`` and ``alphapy premium show --json``."""
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "id": self.id, "user_id": str(self.user_id), "guild_id": str(self.guild_id), "tier": self.tier,
            "status": self.status, "external_id": self.external_id, "expires_at": iso(self.expires_at),
            "created_at": iso(self.created_at), "last_transferred_at": iso(self.last_transferred_at),
        }


def grants_premium(status: str, expires_at: datetime | None, now: datetime, grace: timedelta) -> bool:
    """Whether a subscription in this state is premium at ``now``.

    * ``active``: until ``expires_at`` plus the grace period (a renewal payment may come
      late); lifetime (no ``expires_at``) forever.
    * ``cancelled``: it will not renew, so premium until ``expires_at`` exactly; a
      cancelled subscription without an end (a cancelled lifetime) is over.
    * ``expired``: never.
    """
    if status == "active":
        return expires_at is None or now < expires_at + grace
    if status == "cancelled":
        return expires_at is not None and now < expires_at
    return False


def best_of(subscriptions: list[Subscription], now: datetime, grace: timedelta) -> Subscription | None:
    """The subscription that says most about premium: a granting one (active first, then
    the longest running), else the newest."""
    if not subscriptions:
        return None
    granting = [s for s in subscriptions if s.grants_premium(now, grace)]
    if granting:
        far_future = datetime.max.replace(tzinfo=timezone.utc)
        return max(granting, key=lambda s: (s.status == "active", s.expires_at or far_future))
    return max(subscriptions, key=lambda s: (s.created_at or s.expires_at or now, s.id or 0))


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later; the 31st of January plus one month is the last of February."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def default_expiry(tier: Tier, start: datetime) -> datetime | None:
    """When a new subscription of ``tier`` starting at ``start`` ends (None: never)."""
    if tier == "monthly":
        return add_months(start, 1)
    if tier == "yearly":
        return add_months(start, 12)
    return None


def is_snowflake(value: int) -> bool:
    return 0 < value <= MAX_SNOWFLAKE
