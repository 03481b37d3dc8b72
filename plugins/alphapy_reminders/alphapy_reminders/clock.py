"""Wall-clock times as people type them: ``19:30``, ``7:05``, ``19.30`` (the Dutch way)."""

from __future__ import annotations

import re
from datetime import time

__all__ = ["InvalidTime", "format_time", "parse_time"]

_TIME = re.compile(r"^(?P<hour>\d{1,2})[:.h](?P<minute>\d{2})$")


class InvalidTime(ValueError):
    """Not a time of day; the message is for the person who typed it."""


def parse_time(text: str, *, what: str = "time") -> time:
    """``HH:MM`` (24-hour; ``.`` or ``h`` also separate) as a :class:`datetime.time`.

    ``24:00``, ``19:60`` and ``7pm`` are refused rather than guessed: a reminder at the
    wrong hour is worse than a question.
    """
    if not isinstance(text, str) or len(text) > 20:
        raise InvalidTime(f"Write the {what} as HH:MM, like `19:30`.")
    match = _TIME.match(text.strip())
    if match is None:
        raise InvalidTime(f"Write the {what} as HH:MM (24-hour), like `19:30`.")
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise InvalidTime(f"{text.strip()} is not a time of day: the {what} runs from 00:00 to 23:59.")
    return time(hour, minute)


def format_time(value: time | None) -> str:
    """``19:30``; a missing time reads as a dash."""
    return value.strftime("%H:%M") if value is not None else "–"
