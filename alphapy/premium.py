"""The shape of a premium answer, shared by whoever answers and whoever asks.

The premium plugin answers the ``premium_status`` hook with a :class:`PremiumStatus`;
other plugins ask ``await bot.premium_status(user_id, guild_id)`` (or the shortcut
:func:`has_premium`) and never import the premium plugin. Without a plugin that
answers, nobody has premium.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PremiumStatus:
    """Whether a user has premium in a guild, and why."""

    active: bool
    tier: str | None = None  # monthly, yearly, lifetime
    status: str | None = None  # active, cancelled, expired
    expires_at: datetime | None = None
    source: str = "none"  # billing, local, entitlement, none


def is_active(answer: Any) -> bool:
    """True for an answer that grants premium (a PremiumStatus, a mapping or None)."""
    if answer is None:
        return False
    if isinstance(answer, dict):
        return bool(answer.get("active"))
    return bool(getattr(answer, "active", False))


async def has_premium(bot: Any, user_id: int, guild_id: int) -> bool:
    """Ask the core (which asks the hook) whether ``user_id`` has premium in ``guild_id``."""
    return is_active(await bot.premium_status(user_id, guild_id))
