"""Next-occurrence arithmetic across daylight-saving changes, and the late/skip decision."""

from __future__ import annotations

import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from alphapy_reminders.delivery import LATE_AFTER, Pacer, nonce_for, plan, send_rate
from alphapy_reminders.schedule import (
    event_trigger,
    local_time_of,
    next_occurrence,
    resolve_local,
)

AMS = ZoneInfo("Europe/Amsterdam")
MON, SUN = 0, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_monday_19_00_stays_19_00_local_in_winter_and_summer() -> None:
    winter = next_occurrence({MON}, time(19), AMS, after=utc(2026, 1, 1))
    summer = next_occurrence({MON}, time(19), AMS, after=utc(2026, 7, 1))
    assert winter == utc(2026, 1, 5, 18)  # CET, UTC+1
    assert summer == utc(2026, 7, 6, 17)  # CEST, UTC+2
    assert winter.astimezone(AMS).time() == summer.astimezone(AMS).time() == time(19)


def test_weekly_reminder_across_the_spring_forward_change() -> None:
    # Sunday 29 March 2026 02:00 CET -> 03:00 CEST in Amsterdam
    before = next_occurrence({SUN}, time(19), AMS, after=utc(2026, 3, 22, 12))
    after = next_occurrence({SUN}, time(19), AMS, after=before)
    assert before == utc(2026, 3, 22, 18) and after == utc(2026, 3, 29, 17)
    assert after - before == timedelta(days=7) - timedelta(hours=1)  # 167 hours, 19:00 local both times


def test_weekly_reminder_across_the_fall_back_change() -> None:
    # Sunday 25 October 2026 03:00 CEST -> 02:00 CET
    before = next_occurrence({SUN}, time(19), AMS, after=utc(2026, 10, 18, 12))
    after = next_occurrence({SUN}, time(19), AMS, after=before)
    assert before == utc(2026, 10, 18, 17) and after == utc(2026, 10, 25, 18)
    assert after - before == timedelta(days=7, hours=1)


def test_a_time_that_does_not_exist_fires_when_the_clocks_jump() -> None:
    # 02:30 does not exist on 29 March 2026: the first valid instant after it is 03:00 CEST
    fired = next_occurrence({SUN}, time(2, 30), AMS, after=utc(2026, 3, 28))
    assert fired == utc(2026, 3, 29, 1) and fired.astimezone(AMS).time() == time(3, 0)
    assert resolve_local(date(2026, 3, 29), time(2, 0), AMS) == utc(2026, 3, 29, 1)  # the gap's first minute too
    assert next_occurrence({SUN}, time(2, 30), AMS, after=fired) == utc(2026, 4, 5, 0, 30)  # back to normal


def test_a_time_that_occurs_twice_fires_once_at_the_first() -> None:
    # 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET) on 25 October 2026
    first = next_occurrence({SUN}, time(2, 30), AMS, after=utc(2026, 10, 24))
    assert first == utc(2026, 10, 25, 0, 30)
    assert next_occurrence({SUN}, time(2, 30), AMS, after=first) == utc(2026, 11, 1, 1, 30)  # not 01:30 that day


def test_daily_reminders_over_both_changes_keep_their_wall_clock() -> None:
    instant, seen = utc(2026, 3, 27), []
    for _ in range(5):
        instant = next_occurrence(set(range(7)), time(8, 15), AMS, after=instant)
        seen.append(instant.astimezone(AMS).strftime("%d %H:%M"))
    assert seen == ["27 08:15", "28 08:15", "29 08:15", "30 08:15", "31 08:15"]


def test_next_occurrence_is_strictly_after() -> None:
    at = next_occurrence({MON}, time(19), AMS, after=utc(2026, 1, 5, 18))  # exactly Monday 19:00 local
    assert at == utc(2026, 1, 12, 18)
    with pytest.raises(ValueError):
        next_occurrence(set(), time(19), AMS, after=utc(2026, 1, 1))
    with pytest.raises(ValueError):
        next_occurrence({MON}, time(19), AMS, after=datetime(2026, 1, 1))


def test_other_timezones() -> None:
    # Lord Howe changes by 30 minutes; Kathmandu is +05:45; Samoa skipped 30 December 2011 entirely
    assert next_occurrence({MON}, time(9), ZoneInfo("Asia/Kathmandu"), after=utc(2026, 1, 1)) == utc(2026, 1, 5, 3, 15)
    howe = ZoneInfo("Australia/Lord_Howe")
    assert resolve_local(date(2026, 10, 4), time(2, 15), howe).astimezone(howe).time() == time(2, 30)
    apia = ZoneInfo("Pacific/Apia")
    fired = resolve_local(date(2011, 12, 30), time(12), apia)
    assert fired.astimezone(apia) == datetime(2011, 12, 31, 0, 0, tzinfo=apia)


def test_one_off_trigger_and_local_times() -> None:
    event = utc(2026, 12, 12, 19)  # 20:00 in Amsterdam
    trigger = event_trigger(event, timedelta(minutes=60))
    assert trigger == utc(2026, 12, 12, 18)
    assert local_time_of(event, AMS) == time(20) and local_time_of(trigger, AMS) == time(19)


# --- late and skipped occurrences (delivery.plan) ---------------------------------------

def recurring(next_fire_at: datetime) -> dict[str, object]:
    return {"next_fire_at": next_fire_at, "days": ["0"], "time": time(19)}


def one_off(next_fire_at: datetime) -> dict[str, object]:
    return {"next_fire_at": next_fire_at, "days": [], "time": time(19)}


GRACE = timedelta(minutes=10)
MONDAY_19 = utc(2026, 1, 5, 18)


def test_on_time_is_sent_and_moves_a_week_on() -> None:
    decided = plan(recurring(MONDAY_19), now=MONDAY_19 + timedelta(seconds=1), tz=AMS, grace=GRACE)
    assert decided.send and not decided.late and decided.skipped_from is None
    assert decided.occurrence == MONDAY_19 and decided.next_fire_at == MONDAY_19 + timedelta(days=7)


def test_missed_within_grace_is_sent_once_marked_late() -> None:
    decided = plan(recurring(MONDAY_19), now=MONDAY_19 + timedelta(minutes=9), tz=AMS, grace=GRACE)
    assert decided.send and decided.late and decided.occurrence == MONDAY_19
    assert not plan(recurring(MONDAY_19), now=MONDAY_19 + LATE_AFTER, tz=AMS, grace=GRACE).late


def test_missed_beyond_grace_is_skipped_to_the_next_occurrence() -> None:
    decided = plan(recurring(MONDAY_19), now=MONDAY_19 + timedelta(minutes=11), tz=AMS, grace=GRACE)
    assert not decided.send and decided.skipped_from == MONDAY_19
    assert decided.next_fire_at == MONDAY_19 + timedelta(days=7)


def test_long_downtime_sends_only_the_latest_occurrence_within_grace() -> None:
    # offline for three weeks; the bot is back 5 minutes after this Monday's 19:00
    three_weeks = MONDAY_19 + timedelta(days=21)
    decided = plan(recurring(MONDAY_19), now=three_weeks + timedelta(minutes=5), tz=AMS, grace=GRACE)
    assert decided.send and decided.late and decided.occurrence == three_weeks
    assert decided.skipped_from == MONDAY_19 and decided.next_fire_at == three_weeks + timedelta(days=7)
    assert nonce_for(7, decided.occurrence) != nonce_for(7, MONDAY_19)


def test_stale_one_off_is_skipped_and_never_rescheduled() -> None:
    decided = plan(one_off(MONDAY_19), now=MONDAY_19 + timedelta(hours=2), tz=AMS, grace=GRACE)
    assert not decided.send and decided.next_fire_at is None
    sent = plan(one_off(MONDAY_19), now=MONDAY_19, tz=AMS, grace=GRACE)
    assert sent.send and sent.next_fire_at is None


def test_nonce_is_stable_and_short() -> None:
    assert nonce_for(2_147_483_647, utc(2099, 12, 31)) == nonce_for(2_147_483_647, utc(2099, 12, 31))
    assert len(nonce_for(2_147_483_647, utc(2099, 12, 31))) <= 25


# --- pacing under Discord's global limit ----------------------------------------------------

def test_each_process_takes_its_shards_share_of_the_global_limit() -> None:
    assert send_rate(1, [0]) == 45.0                 # one process: 90 % of 50 per second
    assert send_rate(2, [1]) == 22.5                 # two shard processes: half each
    assert send_rate(4, [0, 1]) == send_rate(2, [0])


async def test_the_pacer_spaces_sends_and_never_bursts() -> None:
    pacer = Pacer(200.0)  # one send every 5 ms
    stamps = []
    for _ in range(8):
        await pacer.wait()
        stamps.append(time_module.monotonic())
    # the k-th send starts no sooner than k intervals after the first (a late wake-up is not
    # made up for with a burst); a busy machine only makes it later
    assert all(stamp - stamps[0] >= k * 0.005 - 0.001 for k, stamp in enumerate(stamps))
