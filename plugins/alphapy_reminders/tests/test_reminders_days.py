"""Weekday sets and HH:MM times as people type them."""

from __future__ import annotations

from datetime import time

import pytest
from alphapy_reminders.clock import InvalidTime, format_time, parse_time
from alphapy_reminders.days import InvalidDays, format_days, from_db, parse_days, to_db


@pytest.mark.parametrize(("text", "days"), [
    ("mon,wed,fri", (0, 2, 4)),
    ("ma,wo,vr", (0, 2, 4)),
    ("Monday, Wednesday and Friday", (0, 2, 4)),
    ("maandag woensdag en vrijdag", (0, 2, 4)),
    ("daily", (0, 1, 2, 3, 4, 5, 6)),
    ("dagelijks", (0, 1, 2, 3, 4, 5, 6)),
    ("weekdays", (0, 1, 2, 3, 4)),
    ("werkdagen", (0, 1, 2, 3, 4)),
    ("weekend", (5, 6)),
    ("mon-fri", (0, 1, 2, 3, 4)),
    ("vr-ma", (0, 4, 5, 6)),            # a range may wrap past Sunday
    ("do", (3,)),                       # Dutch Thursday
    ("sun, SUN,  sunday", (6,)),        # repeats and case fold away
    ("tue/thu; sat", (1, 3, 5)),
    ("weekend, mon", (0, 5, 6)),
])
def test_days_are_read_in_english_and_dutch(text: str, days: tuple[int, ...]) -> None:
    assert parse_days(text) == days


@pytest.mark.parametrize("text", ["", "   ", ",,,", "someday", "mon,funday", "x" * 201, "mon-xyz", "13"])
def test_unknown_days_are_refused_with_a_sentence(text: str) -> None:
    with pytest.raises(InvalidDays) as refused:
        parse_days(text)
    assert refused.value.args[0].endswith((".", "`."))
    assert len(str(refused.value)) < 200


def test_days_round_trip_through_the_column() -> None:
    assert to_db((4, 0, 2, 2)) == ["0", "2", "4"]
    assert from_db(["4", "0"]) == (0, 4)
    assert from_db(None) == () and from_db([]) == ()


@pytest.mark.parametrize(("days", "text"), [
    ((0, 1, 2, 3, 4, 5, 6), "daily"), ((0, 1, 2, 3, 4), "weekdays"), ((5, 6), "weekend"),
    ((0, 2, 4), "Mon, Wed, Fri"), ((), "once"),
])
def test_days_read_back_briefly(days: tuple[int, ...], text: str) -> None:
    assert format_days(days) == text


@pytest.mark.parametrize(("text", "value"), [
    ("19:30", time(19, 30)), ("7:05", time(7, 5)), ("19.30", time(19, 30)), (" 00:00 ", time(0, 0)),
    ("23:59", time(23, 59)), ("20h15", time(20, 15)), ("１９:３０", time(19, 30)),  # full-width digits too
])
def test_times(text: str, value: time) -> None:
    assert parse_time(text) == value
    assert format_time(value) == value.strftime("%H:%M")


@pytest.mark.parametrize("text", ["24:00", "19:60", "7pm", "", "19", "1930", "-1:00", "12:5", "x" * 50, "19:30:00"])
def test_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidTime):
        parse_time(text, what="call time")
