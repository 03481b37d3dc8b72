"""Events recognised in embeds: English, Dutch, timestamp markup, and refusing to guess."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from alphapy_reminders.embeds import detect_event

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)          # a Thursday
SAT_12_DEC_20H = datetime(2026, 12, 12, 19, 0, tzinfo=UTC)  # 20:00 in Amsterdam (CET)


def embed(title: str = "Raid night", description: str = "", **fields: str) -> dict[str, object]:
    return {"title": title, "description": description,
            "fields": [{"name": name.replace("_", " "), "value": value} for name, value in fields.items()]}


@pytest.mark.parametrize("description", [
    "Saturday 12 December 20:00",
    "zaterdag 12 december 20:00",
    "zaterdag 12 december om 20.00 uur",
    "Sat 12 Dec, 8pm",
    "Saturday, December 12th at 8:00 PM",
    "12 december 2026 20:00",
    "Za 12 dec 20h00",
    "Come join us! Saturday 12 December 20:00 at the castle. Bring snacks.",
    "**When:** zaterdag 12 december 20:00",
    "12-12-2026 20:00",          # day and month equal: unambiguous
    "2026-12-12 20:00",
    "Saturday 12 December 20:00 - 23:00",
])
def test_written_dates_in_english_and_dutch(description: str) -> None:
    event = detect_event(embed(description=description), AMS, NOW)
    assert event is not None, description
    assert event.starts_at == SAT_12_DEC_20H and event.source == "text" and event.title == "Raid night"


def test_fields_say_where_the_start_and_the_location_are() -> None:
    event = detect_event(embed(description="Signups close Friday 11 December 18:00. Doors open 19:30.",
                               When="Saturday 12 December 20:00", Location="Castle Black"), AMS, NOW)
    assert event is not None and event.starts_at == SAT_12_DEC_20H and event.location == "Castle Black"


def test_dutch_fields_and_separate_date_and_time() -> None:
    event = detect_event(embed(Datum="zaterdag 12 december", Tijd="20:00", Locatie="Kasteel"), AMS, NOW)
    assert event is not None and event.starts_at == SAT_12_DEC_20H and event.location == "Kasteel"


def test_relative_days_and_location_lines() -> None:
    event = detect_event(embed(description="📅 **Wanneer:** morgen om 19:30\n📍 Waar: Discord stage"), AMS, NOW)
    assert event is not None and event.starts_at == datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    assert event.location == "Discord stage"


def test_timestamp_markup_is_exact_and_wins() -> None:
    event = detect_event(embed(description="Saturday 12 December 20:00 (that is <t:1796000000:F>)"), AMS, NOW)
    assert event is not None and event.source == "timestamp"
    assert event.starts_at == datetime.fromtimestamp(1796000000, UTC)


def test_timestamp_ranges_and_labelled_timestamps() -> None:
    ranged = detect_event(embed(description="Starts <t:1796000000:F> – ends <t:1796003600:t>"), AMS, NOW)
    assert ranged is not None and ranged.starts_at == datetime.fromtimestamp(1796000000, UTC)
    labelled = detect_event(embed(description="Signups close <t:1795990000:R>", When="<t:1796000000:F>"), AMS, NOW)
    assert labelled is not None and labelled.starts_at == datetime.fromtimestamp(1796000000, UTC)


@pytest.mark.parametrize(("why", "description", "fields"), [
    ("no date at all", "Join us! The best raid ever. Do not miss it.", {}),
    ("a date without a time", "Saturday 12 December", {}),
    ("a time without a day", "We start at 20:00", {}),
    ("a weekday that contradicts the date", "Saturday 14 December 20:00", {}),
    ("US or European order?", "on 05/12 at 20:00", {}),
    ("two different starts", "Saturday 12 December 20:00\nSunday 13 December 20:00", {}),
    ("two timestamps on two lines", "Signups <t:1795990000:F>\nRaid <t:1796000000:F>", {}),
    ("a When field that cannot be read", "Saturday 12 December 20:00", {"When": "soon-ish"}),
    ("a misread year", "We start 12 december 2120 20:00", {}),
    ("huge text", "Saturday 12 December 20:00 " + "blah " * 200, {}),
    ("markup overflow", "<t:99999999999999:F>", {}),
])
def test_refuses_to_guess(why: str, description: str, fields: dict[str, str]) -> None:
    assert detect_event(embed(description=description, **fields), AMS, NOW) is None, why


def test_past_events_are_reported_as_past() -> None:
    event = detect_event(embed(description="<t:1700000000:F>"), AMS, NOW)
    assert event is not None and event.starts_at < NOW  # the cog creates nothing for it


def test_title_falls_back_to_author_then_a_word() -> None:
    authored = {"author": {"name": "Guild Events"}, "description": "zaterdag 12 december 20:00"}
    assert detect_event(authored, AMS, NOW).title == "Guild Events"  # type: ignore[union-attr]
    untitled = {"description": "zaterdag 12 december 20:00"}
    assert detect_event(untitled, AMS, NOW).title == "Event"  # type: ignore[union-attr]
    long = detect_event(embed(title="**" + "x" * 300 + "**", description="<t:1796000000:F>"), AMS, NOW)
    assert long is not None and long.title == "x" * 100


def test_the_guild_timezone_decides_what_20_00_means() -> None:
    tokyo = detect_event(embed(description="Saturday 12 December 20:00"), ZoneInfo("Asia/Tokyo"), NOW)
    assert tokyo is not None and tokyo.starts_at == datetime(2026, 12, 12, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize("description", [
    "30 February 20:00",
    "Saturday 31 April 2027 20:00",
    "February 30th at 8pm",
    "31st of April, 20:00",
    "30 feb 2027 20:00",
    "31 juni 20:00",
    "zaterdag 31 juni om 20.00 uur",
    "29 februari 2027 om 20:00",
    "31 april 2027 om 20.00 uur",
    "30e februari 20:00",
    "31/04/2027 20:00",
    "30-02-2027 20:00",
    "2027-02-30 20:00",
])
def test_a_day_the_month_does_not_have_is_refused(description: str) -> None:
    assert detect_event(embed(description=description), AMS, NOW) is None, description
    assert detect_event(embed(description="Bring snacks.", When=description), AMS, NOW) is None, description


def test_an_impossible_day_anywhere_refuses_the_whole_announcement() -> None:
    text = "Raid on 31 April 20:00\nSignups close Friday 11 December 18:00"
    assert detect_event(embed(description=text), AMS, NOW) is None


@pytest.mark.parametrize("description", [
    "29 February 2028 20:00",
    "dinsdag 29 februari 2028 om 20:00",
    "29 februari om 20:00",      # no year: the next 29 February, in 2028
    "February 29th at 8pm",
])
def test_29_february_of_a_leap_year_is_a_real_day(description: str) -> None:
    event = detect_event(embed(description=description), AMS, NOW)
    assert event is not None and event.starts_at == datetime(2028, 2, 29, 19, 0, tzinfo=UTC), description


def test_numbers_that_are_not_dates_do_not_refuse_a_clear_start() -> None:
    text = "Saturday 12 December 20:00. A 31.4 km ride, tickets 25.99"
    event = detect_event(embed(description=text), AMS, NOW)
    assert event is not None and event.starts_at == SAT_12_DEC_20H
    ranged = detect_event(embed(description="Bar open 20:30-2:30", When="Saturday 12 December 20:00"), AMS, NOW)
    assert ranged is not None and ranged.starts_at == SAT_12_DEC_20H  # "30-2" of a time range is no 30 February
