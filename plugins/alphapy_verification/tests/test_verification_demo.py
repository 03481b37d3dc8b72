"""The verification chapter of ``alphapy demo`` holds on a slow machine.

The chapter runs with no quiet period (see ``run_steps_alone``): every check must
wait for what it checks, never for a fixed time.
"""

from __future__ import annotations

from typing import Any

import pytest

from alphapy.testing import build_demo_guild, run_steps_alone


@pytest.fixture
def guild(emulator: Any) -> Any:
    """The demo's own server: a host with the Staff role, a member, #general."""
    return build_demo_guild(emulator)


async def test_the_chapter_waits_for_the_bot_instead_of_a_quiet_period(bot, emulator, guild, fake_ai) -> None:
    from alphapy_verification.demo import chapter

    context, transcript = await run_steps_alone(chapter, emulator, guild, bot, fake_ai)
    assert context.failed == [], transcript
    assert context.passed >= 10
