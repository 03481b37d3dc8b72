"""The rules of moving a subscription to another server, asked before the confirmation.

``/premium_transfer`` and the dashboard's "Your premium" page both call :func:`plan_move`,
so they refuse the same moves with the same sentences; the move itself is
:meth:`PremiumService.transfer <alphapy_premium.service.PremiumService.transfer>`, which
checks every rule again under a row lock. Only the way a moment is written differs (Discord
shows ``<t:…:R>`` as "in 3 days"; a web page shows the wall-clock time), so the caller
passes :data:`When`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from alphapy import UserError
from alphapy_premium import store
from alphapy_premium.model import Subscription

When = Callable[[int, datetime], Awaitable[str]]
"""How a caller writes a moment for a person in one server: ``await when(guild_id, moment)``."""

NO_SUBSCRIPTION = ("You have no active subscription to move. "
                   "(A cancelled subscription stays in its server until it ends.)")
ALREADY_HERE = "Your subscription is already in this server."
RUN_OUT = "Your subscription has run out; renew it before moving it."
UNAVAILABLE = "Premium is not available right now; the server's operators have been told."


@dataclass(frozen=True)
class MovePlan:
    """A move every rule allows now; the person still has to confirm it."""

    subscription: Subscription
    to_guild_id: int
    cooldown: timedelta

    @property
    def cooldown_days(self) -> int:
        return self.cooldown.days


async def cooldown_between(settings: Any, *guild_ids: int) -> timedelta:
    """The stricter of the servers' cooldowns, so no server can be used to hop faster."""
    days = [await settings.get(guild_id, "premium", "transfer_cooldown_days") for guild_id in guild_ids]
    return timedelta(days=max(days))


async def wall_clock(settings: Any, guild_id: int, moment: datetime) -> str:
    """``2040-03-02 00:30 JST``: a moment in the server's ``core.timezone``."""
    local = moment.astimezone(ZoneInfo(await settings.get(guild_id, "core", "timezone")))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


async def plan_move(db: Any, settings: Any, user_id: int, to_guild_id: int, when: When) -> MovePlan:
    """The person's active subscription and the cooldown of moving it to ``to_guild_id``;
    :class:`~alphapy.UserError` with the sentence when a rule refuses."""
    row = await store.active_of(db, user_id)
    if row is None:
        raise UserError(NO_SUBSCRIPTION)
    sub = Subscription.from_row(row)
    if sub.guild_id == to_guild_id:
        raise UserError(ALREADY_HERE)
    now = datetime.now(timezone.utc)
    if not sub.grants_premium(now, timedelta(0)):
        raise UserError(RUN_OUT)
    cooldown = await cooldown_between(settings, sub.guild_id, to_guild_id)
    last = sub.last_transferred_at
    if last is not None and now < last + cooldown:
        raise UserError(f"You moved your subscription {await when(to_guild_id, last)}; you can move it "
                        f"again {await when(to_guild_id, last + cooldown)}.")
    return MovePlan(sub, to_guild_id, cooldown)
