"""The emulator's clock: the machine's monotonic time plus what a test moved it forward.

Discord's time limits (3 s to answer an interaction, 15 minutes for its token) are checked
against this clock, so a test proves an expiry with ``emu.advance_time(15 * 60)`` instead
of waiting.
"""

from __future__ import annotations

import time


class Clock:
    """Monotonic seconds, movable forward only."""

    __slots__ = ("_offset",)

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        self._offset += seconds
