"""Weekday sets as people write them: ``mon,wed,fri``, ``ma,wo,vr``, ``weekdays``, ``mon-fri``.

A reminder's days are stored as the text array ``days`` of the ``reminders`` table,
``'0'`` = Monday .. ``'6'`` = Sunday (Python's ``date.weekday()``), sorted and without
repeats; an empty array marks a one-off event. English and Dutch names are accepted in
short and long forms; no English and Dutch abbreviation collide (``do`` is Dutch
Thursday, English has no ``do``), so no language switch is needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["ALL_DAYS", "InvalidDays", "format_days", "from_db", "parse_days", "to_db"]

ALL_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
WEEKEND: tuple[int, ...] = (5, 6)

_NAMES: dict[int, tuple[str, ...]] = {
    0: ("mon", "mo", "monday", "ma", "maandag"),
    1: ("tue", "tu", "tues", "tuesday", "di", "dinsdag"),
    2: ("wed", "we", "weds", "wednesday", "wo", "woensdag"),
    3: ("thu", "th", "thur", "thurs", "thursday", "do", "donderdag"),
    4: ("fri", "fr", "friday", "vr", "vrijdag"),
    5: ("sat", "sa", "saturday", "za", "zaterdag"),
    6: ("sun", "su", "sunday", "zo", "zondag"),
}
_DAY_BY_NAME: dict[str, int] = {name: day for day, names in _NAMES.items() for name in names}
_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": ALL_DAYS, "everyday": ALL_DAYS, "every day": ALL_DAYS, "all": ALL_DAYS,
    "dagelijks": ALL_DAYS, "elke dag": ALL_DAYS, "iedere dag": ALL_DAYS,
    "weekdays": WEEKDAYS, "workdays": WEEKDAYS, "werkdagen": WEEKDAYS, "doordeweeks": WEEKDAYS,
    "weekend": WEEKEND, "weekends": WEEKEND, "weekenden": WEEKEND,
}
_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SEPARATORS = re.compile(r"\s*(?:,|;|/|\+|&|\band\b|\ben\b)\s*|\s+")
_RANGE = re.compile(r"^(?P<start>[a-z]+)\s*(?:-|–|—|\.\.|\bto\b|\btot\b|\bt/m\b)\s*(?P<end>[a-z]+)$")
MAX_INPUT = 200


class InvalidDays(ValueError):
    """The text names no weekdays we understand; the message is for the person who wrote it."""


def _day(word: str) -> int:
    day = _DAY_BY_NAME.get(word.rstrip("."))
    if day is None:
        raise InvalidDays(
            f"I do not know the day {word[:20]!r}. Write days like `mon,wed,fri`, `ma,wo,vr`, "
            "`daily`, `weekdays` or `weekend`."
        )
    return day


def parse_days(text: str) -> tuple[int, ...]:
    """The weekdays ``text`` names, sorted and unique (0 = Monday); raises :class:`InvalidDays`.

    Accepts lists (``mon, wed, fri``; ``ma wo vr``; ``tue and thu``), ranges that may wrap
    past Sunday (``mon-fri``, ``vr-ma``) and the groups ``daily``, ``weekdays``, ``weekend``
    (with their Dutch words).
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT:
        raise InvalidDays(f"Write the days in at most {MAX_INPUT} characters, like `mon,wed,fri`.")
    folded = " ".join(text.lower().split())
    if not folded:
        raise InvalidDays("Name at least one day, like `mon,wed,fri`, `daily` or `weekdays`.")
    if folded in _GROUPS:
        return _GROUPS[folded]
    found: set[int] = set()
    for part in re.split(r"\s*[,;/]\s*", folded):
        ranged = _RANGE.match(part)
        if ranged:
            start, end = _day(ranged["start"]), _day(ranged["end"])
            span = (end - start) % 7
            found.update((start + i) % 7 for i in range(span + 1))
            continue
        for word in _SEPARATORS.split(part):
            if not word:
                continue
            if word in _GROUPS:
                found.update(_GROUPS[word])
            else:
                found.add(_day(word))
    if not found:
        raise InvalidDays("Name at least one day, like `mon,wed,fri`, `daily` or `weekdays`.")
    return tuple(sorted(found))


def format_days(days: Iterable[int]) -> str:
    """How a day set reads in a list: ``daily``, ``weekdays``, ``weekend`` or ``Mon, Wed, Fri``."""
    ordered = tuple(sorted(set(days)))
    for name, group in (("daily", ALL_DAYS), ("weekdays", WEEKDAYS), ("weekend", WEEKEND)):
        if ordered == group:
            return name
    return ", ".join(_SHORT[d] for d in ordered) if ordered else "once"


def to_db(days: Iterable[int]) -> list[str]:
    """The ``days`` column's form: ``['0', '2', '4']``."""
    return [str(d) for d in sorted(set(days))]


def from_db(days: Iterable[str] | None) -> tuple[int, ...]:
    """Back from the column (``None`` and ``[]`` both mean a one-off)."""
    return tuple(sorted({int(d) for d in days or ()}))
