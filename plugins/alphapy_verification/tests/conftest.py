"""The verification plugin under test: the real bot, the emulator, PostgreSQL and a fake AI.

``world`` is a configured server: a Staff role with a staff member, a Verified role, the
plugin's settings pointing at them, and channels that close at once (delay 0).
Screenshots and model answers come from ``verification_helpers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_verification import plugin

    return [("verification", plugin)]


@pytest.fixture
def alphapy_config(fake_ai: Any) -> dict[str, Any]:
    # A short AI budget, so that the "slow model" tests are quick; no retries to wait for.
    return {**fake_ai.config_overrides(), "openai_timeout": 3, "openai_max_retries": 0}




# --- a configured server --------------------------------------------------------------------
@dataclass
class World:
    bot: Any
    emulator: Any
    guild: Any
    host: Any
    member: Any
    staff: Any
    staff_role: Any
    verified_role: Any
    fake_ai: Any

    async def configure(self, **values: Any) -> None:
        for key, value in values.items():
            await self.bot.settings.set(self.guild.id, "verification", key, value)

    async def open(self, who: Any = None) -> tuple[Any, Any]:
        """``who`` runs /verify; returns (the ticket row, its channel in the emulator)."""
        who = who or self.member
        reply = await self.emulator.slash(who, "verify")
        assert reply.ephemeral, reply.content
        row = await self.ticket_of(who)
        assert row is not None, reply.content
        return row, self.emulator.state.channels[row["channel_id"]]

    async def ticket_of(self, who: Any) -> Any:
        return await self.bot.db.fetchrow(
            "SELECT * FROM verification_tickets WHERE guild_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT 1",
            who.guild.id, who.id)

    async def ticket(self, ticket_id: int) -> Any:
        return await self.bot.db.fetchrow("SELECT * FROM verification_tickets WHERE id = $1", ticket_id)

    async def upload(self, channel: Any, data: bytes, filename: str = "receipt.png",
                     content_type: str | None = "image/png", who: Any = None) -> Any:
        return await self.emulator.post(channel, "", author=who or self.member,
                                        attachments=[(filename, data, content_type)])

    async def settled_status(self, ticket_id: int, *, leaving: str = "pending") -> Any:
        """Wait until the ticket has left ``leaving`` and the bot's last step is done; the row.

        The last step is visible in the row: staff were sent the review message, or the
        channel's closing was scheduled (always after the member was told).
        """
        async def finished() -> Any:
            row = await self.ticket(ticket_id)
            if row["status"] == leaving or row["processing_since"] is not None:
                return None
            done = row["review_message_id"] if row["status"] in ("manual_review", "error") else row["close_at"]
            return row if done is not None else None

        await self.emulator.wait_until(finished, timeout=10)
        await self.emulator.settle()
        return await self.ticket(ticket_id)

    def review_message(self, channel: Any) -> Any:
        return next(m for m in reversed(channel.messages) if "Approve" in m.button_labels)


@pytest_asyncio.fixture
async def world(bot: Any, emulator: Any, guild: Any, host: Any, member: Any, fake_ai: Any) -> World:
    staff_role = guild.add_role("Staff")
    verified_role = guild.add_role("Verified")
    staff = guild.add_member("sam", roles=[staff_role])
    await emulator.settle()
    made = World(bot, emulator, guild, host, member, staff, staff_role, verified_role, fake_ai)
    await made.configure(staff_role=staff_role.id, verified_role=verified_role.id, close_delay_seconds=0,
                         mode="auto")
    return made
