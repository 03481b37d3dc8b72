"""Recognising an event (title, start, location) in an announcement's embed.

Announcements come from people and from other bots (event bots, RSS bridges), in English
and Dutch. Two ways of writing the start are read:

* Discord timestamp markup, ``<t:1764000000:F>``: exact, so it wins whenever present;
* written dates and times in the guild's timezone (``Saturday 14 December 20:00``,
  ``zaterdag 14 december 20.00 uur``, ``tomorrow at 7:30pm``), read by ``dateparser``
  restricted to English and Dutch.

The rule throughout is *be conservative*: a reminder at the wrong time is worse than no
reminder, so :func:`detect_event` returns ``None`` unless exactly one start can be read.
Concretely, a written start needs both a day (a date, a weekday or "tomorrow") and a time
of day; a weekday that contradicts the date (``Saturday 14 December`` in a year where the
14th is a Monday) is refused; so is a numeric date that reads differently in Europe and
the US (``05/12``); so is a day the month does not have (``30 February``, ``31 juni``,
``29 februari 2027``: dateparser would quietly move it to another day); so are several
different starts without a field saying which one is *the* start. Fields named like
"When", "Date", "Time" (or "Wanneer", "Datum", "Tijd") tell which text holds the start,
"Where"/"Location" ("Waar"/"Locatie") the location.

The function is pure (the embed as a dict, the timezone and "now" in; an event out) and
synchronous: ``dateparser`` takes a few milliseconds per text (about 150 ms for its first
call, which imports it: not at start, where its language data would cost every bot's
memory), so the cog runs it in a worker thread.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = ["DetectedEvent", "detect_event"]

LANGUAGES = ["en", "nl"]
TITLE_MAX = 100
LOCATION_MAX = 200
FURTHEST_FUTURE = timedelta(days=2 * 366)  # "12 december 20" read as the year 2120 is a misreading

_TIMESTAMP = re.compile(r"<t:(-?\d{1,13})(?::[tTdDfFsSR])?>")
_WHEN_LABELS = frozenset({
    "when", "date", "time", "start", "starts", "start time", "starts at", "begins", "date & time",
    "date and time", "date/time", "datetime", "event time", "wanneer", "datum", "tijd", "aanvang",
    "begint", "starttijd", "start tijd", "datum & tijd", "datum en tijd", "datum/tijd", "tijdstip",
})
_DATE_LABELS = frozenset({"date", "datum", "day", "dag"})
_TIME_LABELS = frozenset({"time", "tijd", "start time", "starttijd", "aanvang", "tijdstip"})
_LOCATION_LABELS = frozenset({
    "where", "location", "place", "venue", "address", "waar", "locatie", "plaats", "adres", "plek",
})
_LABELLED_LINE = re.compile(r"^\s*(?P<label>[^:\n]{1,30}?)\s*:\s*(?P<value>.+)$")
_MARKDOWN = re.compile(r"(\*\*|__|~~|\|\||`+|^>\s*|^#+\s*|^[-*]\s+)", re.MULTILINE)
_EMOJI = re.compile(r"<a?:\w+:\d+>|[\U0001F000-\U0001FAFF\u2300-\u23FF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200d]")
_TIME_OF_DAY = re.compile(
    r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b|\b(?:1[0-2]|0?[1-9])(?::[0-5]\d)?\s*(?:am|pm|a\.m\.|p\.m\.)"
    r"|\b(?:[01]?\d|2[0-3])\s*uur\b",
    re.IGNORECASE,
)
_DUTCH_TIME = re.compile(r"\b([01]?\d|2[0-3])[.h]([0-5]\d)(?:\s*u(?:ur)?\b)?", re.IGNORECASE)
_WEEKDAY_WORDS: dict[str, int] = {
    **{w: 0 for w in ("monday", "mon", "maandag", "ma")},
    **{w: 1 for w in ("tuesday", "tue", "tues", "dinsdag", "di")},
    **{w: 2 for w in ("wednesday", "wed", "woensdag", "wo")},
    **{w: 3 for w in ("thursday", "thu", "thur", "thurs", "donderdag", "do")},
    **{w: 4 for w in ("friday", "fri", "vrijdag", "vr")},
    **{w: 5 for w in ("saturday", "sat", "zaterdag", "za")},
    **{w: 6 for w in ("sunday", "sun", "zondag", "zo")},
}
# Two-letter Dutch abbreviations count as weekdays only in a date-like position ("za 14 dec"),
# never as plain words ("do", "ma" are common words): they need a number or a comma after them.
_WEEKDAY = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|maandag|dinsdag|woensdag|donderdag"
    r"|vrijdag|zaterdag|zondag|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b\.?"
    r"|\b(ma|di|wo|do|vr|za|zo)\b\.?(?=,?\s*\d)",
    re.IGNORECASE,
)
_MONTH = re.compile(
    r"\b(jan(uar[iy])?|feb(ruar[iy])?|mar(ch)?|maart|apr(il)?|may|mei|june?|juni|july?|juli|aug(ustus|ust)?"
    r"|sep(t(ember)?)?|o[ck]t(ober)?|nov(ember)?|dec(ember)?)\b\.?",
    re.IGNORECASE,
)
_RELATIVE_DAY = re.compile(r"\b(today|tonight|tomorrow|vandaag|vanavond|morgen|overmorgen)\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})(?:[-/.](?P<y>\d{2,4}))?\b")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_MONTH_NUMBERS: dict[str, int] = {
    **{w: 1 for w in ("jan", "january", "januari")},
    **{w: 2 for w in ("feb", "february", "februari")},
    **{w: 3 for w in ("mar", "march", "maart")},
    **{w: 4 for w in ("apr", "april")},
    **{w: 5 for w in ("may", "mei")},
    **{w: 6 for w in ("jun", "june", "juni")},
    **{w: 7 for w in ("jul", "july", "juli")},
    **{w: 8 for w in ("aug", "august", "augustus")},
    **{w: 9 for w in ("sep", "sept", "september")},
    **{w: 10 for w in ("oct", "okt", "october", "oktober")},
    **{w: 11 for w in ("nov", "november")},
    **{w: 12 for w in ("dec", "december")},
}
_MONTH_WORD = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_YEAR = r"(?:,?\s+(?P<year>\d{4})(?![:.]?\d))?"  # "2027", never the "20" of "20:00"
# "30 February", "31st of April", "31 juni 2027", "30e februari" ...
_DAY_MONTH = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th|ste|de|e)?\.?\s+(?:of\s+|van\s+)?(?P<month>{_MONTH_WORD})\b\.?"
    + _YEAR,
    re.IGNORECASE,
)
# ... and "February 30th", "April 31, 2027"
_MONTH_DAY = re.compile(
    rf"\b(?P<month>{_MONTH_WORD})\b\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?![:.]\d)" + _YEAR,
    re.IGNORECASE,
)
_NUMERIC_DAY = re.compile(  # not a time range: "20:30-2:30" holds no "30-2"
    r"(?<![:\d])(?P<day>\d{1,2})(?P<sep>[-/.])(?P<month>\d{1,2})(?:(?P=sep)(?P<year>\d{2,4}))?(?![:\d])")
_ISO_PARTS = re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b")


@dataclass(frozen=True)
class DetectedEvent:
    """An event read from an embed; ``starts_at`` is UTC, ``source`` says how it was read."""

    title: str
    starts_at: datetime
    location: str | None
    source: Literal["timestamp", "text"]


# --------------------------------------------------------------------------------------
# Reading the embed's text
# --------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Markdown, custom and unicode emoji removed; whitespace collapsed per line."""
    text = _EMOJI.sub(" ", _MARKDOWN.sub("", text))
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def _label(name: str) -> str:
    return " ".join(re.sub(r"[^\w&/ ]+", " ", _plain(name).lower()).split())


def _entries(embed: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """(label, text) pairs: fields, then "Label: value" and plain lines of the description."""
    entries: list[tuple[str | None, str]] = []
    for field in embed.get("fields") or []:
        name, value = str(field.get("name") or ""), str(field.get("value") or "")
        entries.append((_label(name) or None, value))
    for line in str(embed.get("description") or "").splitlines():
        if not line.strip():
            continue
        labelled = _LABELLED_LINE.match(_plain(line))  # timestamp markup survives _plain
        label = _label(labelled["label"]) if labelled else None
        if labelled and label in _WHEN_LABELS | _LOCATION_LABELS:
            entries.append((label, labelled["value"]))
        else:
            entries.append((None, line))
    return entries


def _title(embed: Mapping[str, Any]) -> str:
    for candidate in (embed.get("title"), (embed.get("author") or {}).get("name")):
        if candidate and _plain(str(candidate)):
            return _plain(str(candidate)).replace("\n", " ")[:TITLE_MAX]
    return "Event"


def _location(entries: list[tuple[str | None, str]]) -> str | None:
    for label, text in entries:
        if label in _LOCATION_LABELS and _plain(text):
            return _plain(text).replace("\n", ", ")[:LOCATION_MAX]
    return None


# --------------------------------------------------------------------------------------
# Discord timestamp markup
# --------------------------------------------------------------------------------------


def _timestamps(text: str) -> list[datetime]:
    found = []
    for match in _TIMESTAMP.finditer(text):
        try:
            found.append(datetime.fromtimestamp(int(match[1]), UTC))
        except (OverflowError, OSError, ValueError):
            continue  # outside what a datetime can hold: not a real event
    return found


def _from_timestamps(entries: list[tuple[str | None, str]]) -> datetime | None | Literal[False]:
    """The start from markup; ``False`` when there is markup but no single clear start."""
    for label, text in entries:
        if label in _WHEN_LABELS:
            stamps = _timestamps(text)
            if stamps:
                return stamps[0]  # "<t:a:F> – <t:b:t>" in a When field: a is the start
    every = [(text, _timestamps(text)) for _, text in entries]
    distinct = {stamp for _, stamps in every for stamp in stamps}
    if not distinct:
        return None
    if len(distinct) == 1:
        return distinct.pop()
    for text, stamps in every:  # a range on one line: its first stamp is the start
        lines_with = [line for line in text.splitlines() if _TIMESTAMP.search(line)]
        if len(lines_with) == 1 and set(stamps) == distinct:
            return stamps[0]
    return False


# --------------------------------------------------------------------------------------
# Written dates
# --------------------------------------------------------------------------------------


def _normalise_times(text: str) -> str:
    """``20.00 uur`` / ``20h00`` -> ``20:00`` (dateparser would read ``20.00`` as a year)."""
    return _DUTCH_TIME.sub(lambda m: f"{m[1]}:{m[2]}", text)


def _has_day(text: str) -> bool:
    return bool(_WEEKDAY.search(text) or _MONTH.search(text) or _RELATIVE_DAY.search(text)
                or _NUMERIC_DATE.search(text))


def _weekdays_named(text: str) -> set[int]:
    named = set()
    for match in _WEEKDAY.finditer(text):
        word = (match[1] or match[2] or "").lower()
        if word in _WEEKDAY_WORDS:
            named.add(_WEEKDAY_WORDS[word])
    return named


def _ambiguous_numeric(text: str) -> bool:
    """``05/12`` is 5 December in Europe and May 12 in the US: refuse, unless a month name or
    an ISO date (2026-12-05) settles it."""
    if _MONTH.search(text) or _ISO_DATE.search(text):
        return False
    for match in _NUMERIC_DATE.finditer(text):
        a, b = int(match["a"]), int(match["b"])
        if a <= 12 and b <= 12 and a != b:
            return True
    return False


def _cleaned(text: str) -> str:
    """The text dates are read from: no markup, no timestamps, times as ``20:00``, one line."""
    return _normalise_times(_plain(_TIMESTAMP.sub(" ", text))).replace("\n", " ")


def _days_written(text: str) -> list[tuple[int, int, int | None]]:
    """Every (day, month, year or ``None``) written with a month name or as an ISO date."""
    named: list[tuple[int, int, int | None]] = []
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(text):
            year = int(match["year"]) if match["year"] else None
            named.append((int(match["day"]), _MONTH_NUMBERS[match["month"].lower()], year))
    for match in _ISO_PARTS.finditer(text):
        named.append((int(match["day"]), int(match["month"]), int(match["year"])))
    return named


def _days_numeric(text: str) -> list[tuple[int, int, int | None]]:
    """Numeric dates, day first as in ``DATE_ORDER`` (``31/04``, ``30-02-2027``, ``31.04.2027``).

    Only what looks like a date counts (day 1-31, month 1-12; a dot only with a year), so
    prices, distances and versions ("25.99", "31.4 km") are not taken for dates.
    """
    named: list[tuple[int, int, int | None]] = []
    for match in _NUMERIC_DAY.finditer(_ISO_PARTS.sub(" ", text)):
        day, month = int(match["day"]), int(match["month"])
        if match["sep"] == "." and not match["year"]:
            continue
        year = int(match["year"]) if match["year"] and len(match["year"]) == 4 else None
        if 1 <= month <= 12 and 1 <= day <= 31:
            named.append((day, month, year))
    return named


def _day_exists(day: int, month: int, year: int | None) -> bool:
    """Whether the month has that day: in ``year``, or in some year when none is written
    (29 February exists, but only in leap years; the parse must then land on one)."""
    if not 1 <= month <= 12:
        return False
    return 1 <= day <= calendar.monthrange(year if year is not None else 2028, month)[1]


def _names_impossible_day(text: str) -> bool:
    """``30 February``, ``31 April``, ``29 februari 2027``: a day that does not exist."""
    cleaned = _cleaned(text)
    return any(not _day_exists(*named) for named in _days_written(cleaned) + _days_numeric(cleaned))


def _parse_written(text: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """One start from a written text, or ``None`` when it is not clearly one date and time."""
    import dateparser
    from dateparser.search import search_dates

    cleaned = _cleaned(text)
    if not cleaned or len(cleaned) > 300 or not _TIME_OF_DAY.search(cleaned) or not _has_day(cleaned):
        return None
    if _ambiguous_numeric(cleaned):
        return None
    settings = {
        "TIMEZONE": tz.key,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": now.astimezone(tz).replace(tzinfo=None),
    }
    found = dateparser.parse(cleaned, languages=LANGUAGES, settings=settings)
    if found is None:
        hits = search_dates(cleaned, languages=LANGUAGES, settings=settings) or []
        starts = {dt for part, dt in hits if _TIME_OF_DAY.search(part) and _has_day(part)}
        if len(starts) != 1:
            return None
        found = starts.pop()
    start = found.astimezone(UTC)
    local = start.astimezone(tz)
    named = _weekdays_named(cleaned)
    if named and local.weekday() not in named:
        return None  # "Saturday 14 December" where the 14th is not a Saturday: which one is meant?
    if _names_impossible_day(cleaned):
        return None
    days = _days_written(cleaned)
    if days and not any((local.day, local.month) == (day, month) for day, month, _ in days):
        return None  # dateparser moved a day it could not place ("29 February" in 2027) to another
    if start - now > FURTHEST_FUTURE:
        return None
    return start


def _from_text(entries: list[tuple[str | None, str]], tz: ZoneInfo, now: datetime) -> datetime | None:
    if any(_names_impossible_day(text) for _, text in entries):
        return None  # an announcement naming a day that does not exist cannot be read with confidence
    labelled = [(label, text) for label, text in entries if label in _WHEN_LABELS]
    dates = [text for label, text in labelled if label in _DATE_LABELS]
    times = [text for label, text in labelled if label in _TIME_LABELS]
    candidates: list[str] = []
    if len(dates) == 1 and len(times) == 1:
        candidates.append(f"{_plain(dates[0])} {_plain(times[0])}")  # "Date: 14 Dec" + "Time: 20:00"
    candidates += [text for _, text in labelled]
    for text in candidates:
        start = _parse_written(text, tz, now)
        if start is not None:
            return start
    if labelled:
        return None  # a When field we cannot read: do not guess from the rest
    starts = {start for _, text in entries for line in text.splitlines()
              if (start := _parse_written(line, tz, now)) is not None}
    return starts.pop() if len(starts) == 1 else None


# --------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------


def detect_event(embed: Mapping[str, Any], tz: ZoneInfo, now: datetime) -> DetectedEvent | None:
    """The event ``embed`` (Discord's embed dict) announces, or ``None`` when unsure.

    The start may lie in the past; the caller decides what a past event means (nothing is
    created for one). ``now`` anchors relative words ("tomorrow") and year-less dates.
    """
    entries = _entries(embed)
    title = _title(embed)
    entries.append((None, str(embed.get("title") or "")))
    stamped = _from_timestamps(entries)
    if stamped is False:
        return None
    if stamped is not None:
        return DetectedEvent(title, stamped, _location(entries), "timestamp")
    start = _from_text(entries, tz, now)
    if start is None:
        return None
    return DetectedEvent(title, start, _location(entries), "text")
