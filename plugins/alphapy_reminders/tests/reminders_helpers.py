"""What the reminders tests share: a premium answer for chosen users, and making a reminder due.

The premium stub is a tiny plugin of its own (the core asks the ``premium_status`` hook;
the reminders plugin never knows who answers), registered next to the plugin under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from alphapy import PremiumStatus, hookimpl, notify_due

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


class PremiumStub:
    """Premium for the user ids in ``users``, in every guild."""

    def __init__(self) -> None:
        self.users: set[int] = set()

    @hookimpl
    async def premium_status(self, user_id: int, guild_id: int) -> PremiumStatus:
        active = user_id in self.users
        return PremiumStatus(active=active, tier="monthly" if active else None, source="local")


async def make_due(db: Any, reminder_id: int, at: datetime | None = None) -> datetime:
    """Move a reminder's next occurrence to ``at`` (default: now) and wake the delivery loops,
    as the clock reaching that time would."""
    at = at or datetime.now(UTC).replace(microsecond=0)
    async with db.transaction() as conn:
        await conn.execute("UPDATE reminders SET next_fire_at = $2 WHERE id = $1", reminder_id, at)
        await notify_due(conn, "reminders_due")
    return at


async def row(db: Any, reminder_id: int) -> Any:
    return await db.fetchrow("SELECT * FROM reminders WHERE id = $1", reminder_id)


def bot_messages(emulator: Any, channel: Any) -> list[Any]:
    return [m for m in channel.messages if m.author.id == emulator.bot_user.id]
