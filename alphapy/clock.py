"""The bot's "now": the wall clock, plus what an offline run moved it forward.

Due work (the scheduler's claims) and the plugins' own schedules read the time here, so
the playground's "move time forward" shows what the bot does later (a reminder firing
tomorrow) without anyone waiting. It only ever moves forward and, outside offline runs and
tests, is never moved: with a real ``DISCORD_TOKEN`` nothing calls :func:`advance`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def utcnow() -> datetime:
    """The current instant (timezone-aware, UTC), including any offset moved forward."""
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> timedelta:
    """Move the clock forward by ``seconds``; returns the total offset."""
    global _offset
    if seconds < 0:
        raise ValueError("the clock only moves forward")
    _offset += timedelta(seconds=seconds)
    return _offset


def offset() -> timedelta:
    """How far the clock was moved forward in this process."""
    return _offset


def reset() -> None:
    """Back to the wall clock (tests that moved it put it back)."""
    global _offset
    _offset = timedelta(0)
