"""When a reminder fires next: wall-clock times in the guild's timezone, turned into instants.

A recurring reminder is "Monday 19:00 in Europe/Amsterdam", not "every 168 hours": the
next occurrence is found in local wall-clock time and only then converted to UTC, so it
fires at 19:00 in winter (18:00 UTC) and in summer (17:00 UTC) alike.

Daylight-saving edge cases, decided once here:

* a local time that does not exist (the spring-forward gap, 02:30 on the last Sunday of
  March in Europe) fires at the first valid instant after it: the moment the clocks jump
  (03:00 local);
* a local time that happens twice (02:30 on the fall-back day) fires once, at the first
  occurrence (PEP 495 ``fold=0``); the next occurrence is looked for strictly after that
  instant, so the repeat an hour later is never chosen.

Everything here is pure: instants in, instants out, no clock of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["event_trigger", "local_time_of", "next_occurrence", "resolve_local"]


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def resolve_local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``tz`` shows ``at`` on ``day``.

    Existing times map one to one; an ambiguous time maps to its first occurrence; a time
    inside a gap maps to the end of the gap (the first valid instant after it).
    """
    wall = datetime.combine(day, at.replace(tzinfo=None))
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if _wall(first, tz) == wall:
        return first  # exists (fold=0 is the earlier of two when the time repeats)
    # In a gap: the instant the clocks jump lies between the two readings of ``wall``
    # (before-offset and after-offset). Find it to the second: transitions fall on whole
    # seconds, and the local reading is monotonic across a gap.
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = sorted((first, second))
    low, high = int(lo.timestamp()), int(hi.timestamp())
    while low < high:
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), tz) >= wall:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low, UTC)


def next_occurrence(days: Collection[int], at: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first instant strictly after ``after`` at which a reminder on ``days`` (0 =
    Monday) at local time ``at`` fires, in UTC.

    ``after`` must be timezone-aware. Raises ``ValueError`` for an empty day set (a
    one-off has no next occurrence).
    """
    if not days:
        raise ValueError("a recurring reminder needs at least one day")
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    start = after.astimezone(tz).date()
    for offset in range(8):  # today's slot may have passed: a week and a day covers every case
        day = start + timedelta(days=offset)
        if day.weekday() in days:
            candidate = resolve_local(day, at, tz)
            if candidate > after:
                return candidate
    raise AssertionError("unreachable: every weekday occurs within eight days")  # pragma: no cover


def event_trigger(event_time: datetime, lead: timedelta) -> datetime:
    """When a one-off event's reminder fires: ``lead`` before the event (T-60 by default)."""
    return (event_time - lead).astimezone(UTC)


def local_time_of(instant: datetime, tz: ZoneInfo) -> time:
    """The wall-clock time (HH:MM) an instant shows in ``tz``: ``call_time`` and ``time`` of events."""
    return instant.astimezone(tz).time().replace(second=0, microsecond=0, tzinfo=None)
