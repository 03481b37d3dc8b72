"""Test helpers of the premium plugin.

A module of its own (not conftest.py) so that test files can import it by a name no
other plugin's tests use.
"""

from __future__ import annotations

from typing import Any


async def move_here(emulator: Any, prompt: Any) -> Any:
    """Click "Move it here" and wait for the bot's edit of the prompt.

    The bot defers the click and edits the prompt once the move is decided (the billing
    service may take a while); the emulator cannot tell that from a click that only
    acknowledges, so the test waits for the edit itself instead of for a quiet moment.
    """
    clicked = await emulator.click(prompt, "Move it here")
    await emulator.wait_until(lambda: clicked.answered, message="the prompt edited after the move")
    return clicked
