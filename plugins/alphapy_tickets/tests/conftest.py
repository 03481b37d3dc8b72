"""The tickets plugin under test, a recorder for the hook it fires, and a ready-made desk."""

from __future__ import annotations

from typing import Any

import pytest
from tickets_helpers import Desk, SummaryRecorder


@pytest.fixture
def summaries() -> SummaryRecorder:
    return SummaryRecorder()


@pytest.fixture
def alphapy_plugins(summaries: SummaryRecorder) -> list[tuple[str, Any]]:
    from alphapy_tickets import plugin

    return [("tickets", plugin), ("summary_recorder", summaries)]


@pytest.fixture
async def desk(bot: Any, emulator: Any, guild: Any) -> Desk:
    """Settings as a host would make them (through the settings service), cooldown off."""
    category = guild.add_category("Tickets")
    staff_role = guild.add_role("Support")
    staff = guild.add_member("sam", roles=[staff_role])
    other_staff = guild.add_member("sara", roles=[staff_role])
    log = guild.add_text_channel("ticket-log", overwrites={guild.everyone: {"deny": "view_channel"},
                                                           guild.bot_role: {"allow": "view_channel"},
                                                           staff_role: {"allow": "view_channel"}})
    await emulator.settle()
    for key, value in {"category": category.id, "staff_role": staff_role.id, "log_channel": log.id,
                       "cooldown_minutes": 0}.items():
        await bot.settings.set(guild.id, "tickets", key, value)
    return Desk(guild, category, staff_role, staff, other_staff, log)
