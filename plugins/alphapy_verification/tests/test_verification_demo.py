"""The verification chapter of ``alphapy demo`` holds on a slow machine.

A loaded machine makes the bot answer later than the emulator's quiet period, after
which ``settle()`` returns. Running the chapter with a quiet period of zero is that
machine at its worst: every check must wait for what it checks, never for a fixed time.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from alphapy.demo import build_demo_guild
from alphapy.demo.tour import TourContext


@pytest.fixture
def guild(emulator: Any) -> Any:
    """The demo's own server: a host with the Staff role, a member, #general."""
    return build_demo_guild(emulator)


async def test_the_chapter_waits_for_the_bot_instead_of_a_quiet_period(bot, emulator, guild, fake_ai) -> None:
    from alphapy_verification.demo import chapter

    await emulator.settle()
    emulator.quiet_period = 0.0  # settle() no longer gives the bot any time to answer
    transcript = io.StringIO()
    context = TourContext(emulator, guild, bot, transcript, fake_ai)
    await chapter(context)
    assert context.failed == [], transcript.getvalue()
    assert context.passed >= 10
