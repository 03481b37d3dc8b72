"""The premium chapter of ``alphapy demo``: a grant, ``/premium``, and a move to this server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alphapy import has_premium


async def chapter(t: Any) -> None:
    from alphapy_premium import ledger

    side = t.emulator.add_guild("Side Server", owner_name="side-owner")
    side.add_member(t.member.name, user=t.member.user)
    await t.emulator.settle()

    t.say("An operator grants the member a yearly subscription for another server "
          f"(`alphapy premium grant --user {t.member.id} --guild {side.id} --tier yearly`).")
    sub = await ledger.grant(t.bot.db, user_id=t.member.id, guild_id=side.id, tier="yearly", grace=timedelta(0))
    t.expect(sub.status == "active" and sub.expires_at is not None, "the subscription is stored, active for a year")

    before = await t.slash(t.member, "premium")
    t.expect(before.ephemeral and "do not have premium in this server" in before.content
             and "Side Server" in before.content, "here /premium says it applies to the other server")
    t.expect(not await has_premium(t.bot, t.member.id, t.guild.id) and await has_premium(t.bot, t.member.id, side.id),
             "other plugins ask the core: premium in Side Server, not here")

    t.say("The member moves the subscription to this server.")
    asked = await t.slash(t.member, "premium_transfer")
    t.expect(asked.ephemeral and "Move your **yearly** premium" in asked.content, "a confirmation is asked")
    moved = await t.click(t.member, asked.response, "Move it here")
    # The bot defers the click and edits the prompt once the move is done: wait for that edit.
    await t.emulator.wait_until(lambda: moved.answered, timeout=15, message="the prompt edited after the move")
    t.expect("now applies to **this server**" in (moved.response.content or ""), "the move is confirmed")
    t.expect(await has_premium(t.bot, t.member.id, t.guild.id) and not await has_premium(t.bot, t.member.id, side.id),
             "premium follows the subscription")

    after = await t.slash(t.member, "premium")
    t.expect("You have **Premium** (yearly) in this server" in after.content, "/premium shows it here now")
    again = await t.slash(t.member, "premium_transfer")
    t.expect(again.content == "Your subscription is already in this server.", "moving it here twice is refused")
