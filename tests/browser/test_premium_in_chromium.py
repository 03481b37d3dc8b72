"""Premium's "Your premium" page in Chromium: a member moves their subscription to another
server they share with the bot, after a confirmation, and ``/premium`` there agrees.

Premium's dashboard pages come from a branch merged beside this one; until then this file skips.
"""

from __future__ import annotations

from typing import Any

import pytest

from alphapy.testing import BrowserPage, DashboardFlow
from tests.conftest import test_plugin

pytest.importorskip("alphapy_premium.dashboard", reason="premium's dashboard pages are not on this branch")

MOVED = ("Your yearly premium now applies to Elsewhere. Premium features in Test Guild are off from now on; "
         "nothing there was deleted.")


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_premium import plugin as premium

    return [("hello", test_plugin("hello")), ("premium", premium)]


@pytest.fixture
def elsewhere(emulator: Any, guild: Any, member: Any) -> Any:
    """A second server the member shares with the bot (made before the bot starts)."""
    other = emulator.add_guild("Elsewhere", owner_name="else-owner")
    other.add_member(member.name, user=member.user)
    return other


async def test_a_member_moves_premium_to_another_server(
        browser_page: BrowserPage, dashboard_url: str, elsewhere: Any, emulator: Any, guild: Any, member: Any,
        bot: Any) -> None:
    from alphapy_premium import ledger

    await ledger.grant(bot.db, user_id=member.id, guild_id=guild.id, tier="yearly")
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(member)
    await flow.follow("Your premium")
    await flow.fill("Move to", str(elsewhere.id))
    await flow.press("Move premium", page_name="confirm the move")
    await flow.press("Confirm move", page_name="moved")
    assert await flow.notice() == MOVED
    there = await emulator.slash(elsewhere.member(member.name), "premium")
    assert there.content.startswith("✨ You have **Premium** (yearly) in this server")
