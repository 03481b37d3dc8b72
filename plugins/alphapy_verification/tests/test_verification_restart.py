"""Nothing lives only in memory: buttons, the open rejection form and a pending channel
closing all survive a restart of the bot (a new process on the same database)."""

from __future__ import annotations

from typing import Any

from verification_helpers import answer, receipt

from alphapy import Database
from alphapy.testing import running_alphapy


async def test_buttons_forms_and_closings_survive_a_restart(emulator: Any, guild: Any, fake_ai: Any,
                                                            migrated_database_url: str, alphapy_plugins: Any,
                                                            alphapy_config: dict[str, Any]) -> None:
    staff_role = guild.add_role("Staff")
    verified = guild.add_role("Verified")
    staff = guild.add_member("sam", roles=[staff_role])
    member, other = guild.member("member"), guild.add_member("other")

    def start() -> Any:
        return running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins, **alphapy_config)

    async def ticket_of(bot: Any, who: Any) -> Any:
        return await bot.db.fetchrow("SELECT * FROM verification_tickets WHERE user_id = $1", who.id)

    async with start() as first:
        bot = first.bot
        for key, value in {"staff_role": staff_role.id, "verified_role": verified.id, "mode": "assist",
                           "close_delay_seconds": 3600}.items():
            await bot.settings.set(guild.id, "verification", key, value)
        for who, seed in ((member, 1), (other, 2)):
            await emulator.slash(who, "verify")
            row = await ticket_of(bot, who)
            fake_ai.reply(answer(True, False))
            await emulator.post(emulator.state.channels[row["channel_id"]], "", author=who,
                                attachments=[("r.png", receipt(seed), "image/png")])
            await emulator.wait_until(lambda w=who: _review_posted(bot, w), timeout=10)
        member_channel = emulator.state.channels[(await ticket_of(bot, member))["channel_id"]]
        other_channel = emulator.state.channels[(await ticket_of(bot, other))["channel_id"]]
        # Staff open the rejection form for one, then the bot goes down.
        form = await emulator.click(_review(other_channel), "Reject", by=staff)
        assert form.modal is not None

    async with start() as second:
        bot = second.bot
        await emulator.click(_review(member_channel), "Approve", by=staff)
        await emulator.wait_until(lambda: member.has_role("Verified"))
        rejected = await emulator.submit_modal(form, {"reason": "Not our shop"})
        assert rejected.content.startswith("Rejected verification #")
        assert (await ticket_of(bot, other))["status"] == "closed_manual"
        assert (await ticket_of(bot, member))["close_at"] is not None
    assert member_channel.id in emulator.state.channels
    # An hour passes while the bot is down (the due time is a column).
    async with Database(migrated_database_url, min_size=1, max_size=1) as db:
        await db.execute("UPDATE verification_tickets SET close_at = now() - interval '1 second'")

    async with start() as third:
        # The third process closes what the second scheduled.
        await emulator.wait_until(lambda: member_channel.id not in emulator.state.channels, timeout=10)
        await emulator.wait_until(lambda: other_channel.id not in emulator.state.channels, timeout=10)
        row = await ticket_of(third.bot, member)
        assert row["status"] == "verified" and row["closed_at"] is not None


async def _review_posted(bot: Any, who: Any) -> bool:
    return await bot.db.fetchval(
        "SELECT review_message_id IS NOT NULL FROM verification_tickets WHERE user_id = $1", who.id)


def _review(channel: Any) -> Any:
    return next(m for m in reversed(channel.messages) if "Approve" in m.button_labels)
