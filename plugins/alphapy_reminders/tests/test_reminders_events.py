"""One-off events read from announcements in watched channels, end to end: created, moved by
an edit, removed by a deletion, undone with a button; past and unreadable ones create nothing."""

from __future__ import annotations

import calendar
from collections.abc import Awaitable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
from alphapy_reminders.cog import RemindersCog
from reminders_helpers import bot_messages, make_due

AMS = ZoneInfo("Europe/Amsterdam")
EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NL_DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
NL_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december"]


def in_days(days: int, hour: int = 20, minute: int = 0) -> datetime:
    """A local 20:00 some days ahead, as an aware Amsterdam datetime."""
    day = (datetime.now(AMS) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMS)


def english(when: datetime) -> str:
    return f"{EN_DAYS[when.weekday()]} {when.day} {EN_MONTHS[when.month - 1]} {when:%H:%M}"


def dutch(when: datetime) -> str:
    return f"{NL_DAYS[when.weekday()]} {when.day} {NL_MONTHS[when.month - 1]} om {when:%H.%M} uur"


@pytest.fixture
async def watched(bot: Any, emulator: Any, guild: Any) -> Any:
    """#announcements, watched, in a guild that lives in Amsterdam."""
    announcements = guild.add_text_channel("announcements")
    await emulator.settle()
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    await bot.settings.set(guild.id, "reminders", "watch_channels", [announcements.id])
    return announcements


async def read(bot: Any, emulator: Any, action: Awaitable[Any], count: int = 1) -> Any:
    """Do ``action`` (a post or an edit) and wait until the watcher has read ``count`` announcements."""
    stats = RemindersCog.of(bot).announcements
    target = stats.read + count
    result = await action
    await emulator.wait_until(lambda: stats.read >= target, message=f"{target} announcements read")
    await emulator.settle()
    return result


async def announce(bot: Any, emulator: Any, channel: Any, author: Any, **embed: Any) -> Any:
    return await read(bot, emulator, emulator.post(channel, "", author=author, embeds=[discord.Embed(**embed)]))


async def events(bot: Any) -> list[Any]:
    return await bot.db.fetch("SELECT * FROM reminders ORDER BY id")


async def test_an_english_announcement_becomes_an_event_reminder(bot, emulator, host, watched) -> None:
    start = in_days(10)
    post = await read(bot, emulator, emulator.post(watched, "", author=host, embeds=[
        discord.Embed(title="Raid night", description="Bring potions.")
        .add_field(name="When", value=english(start)).add_field(name="Where", value="Castle Black")]))
    [event] = await events(bot)
    assert event["event_time"] == start.astimezone(UTC) and event["days"] == []
    assert event["call_time"] == time(20, 0) and event["time"] == time(19, 0)  # T-60 by default
    assert event["next_fire_at"] == start.astimezone(UTC) - timedelta(minutes=60)
    assert event["origin_channel_id"] == watched.id and event["origin_message_id"] == post.id
    assert event["channel_id"] == watched.id and event["location"] == "Castle Black"
    assert event["name"] == "Raid night" and event["created_by"] == host.id
    [ack] = bot_messages(emulator, watched)
    assert ack.message_reference["message_id"] == str(post.id)
    assert ack.embeds[0]["title"] == "📅 Event reminder set" and ack.button_labels == ["Remove reminder"]
    assert f"<t:{int(start.timestamp())}:F>" in ack.embeds[0]["fields"][1]["value"]
    assert event["ack_message_id"] == ack.id


async def test_dutch_and_timestamp_announcements_from_other_bots(bot, emulator, guild, watched) -> None:
    start = in_days(12, 19, 30)
    await read(bot, emulator, emulator.post(watched, "", webhook=True,
                                            embeds=[{"title": "Quizavond", "description": dutch(start)}]))
    event_bot = emulator.add_user("eventbot", bot=True)
    guild.add_member("eventbot", user=event_bot)
    await emulator.settle()
    stamped = int(in_days(3, 21).timestamp())
    await read(bot, emulator, emulator.post(watched, "", author=guild.member("eventbot"), embeds=[
        {"title": "Movie", "fields": [{"name": "Time", "value": f"<t:{stamped}:F>"}]}]))
    first, second = await events(bot)
    assert first["name"] == "Quizavond" and first["event_time"] == start.astimezone(UTC)
    assert second["name"] == "Movie" and second["event_time"] == datetime.fromtimestamp(stamped, UTC)
    assert second["created_by"] == event_bot.id
    assert len(bot_messages(emulator, watched)) == 2


async def test_other_channels_past_and_unreadable_announcements_create_nothing(bot, emulator, host, channel,
                                                                                watched) -> None:
    await emulator.post(channel, "", author=host, embeds=[discord.Embed(title="Raid", description=english(in_days(5)))])
    await emulator.post(watched, "no embed at all, Saturday 20:00", author=host)
    await announce(bot, emulator, watched, host, title="Raid",
                   description=f"<t:{int(datetime.now(UTC).timestamp()) - 60}:F>")
    await announce(bot, emulator, watched, host, title="Raid", description="Soon! Stay tuned.")
    wrong = in_days(5)
    text = f"{EN_DAYS[(wrong.weekday() + 1) % 7]} {wrong.day} {EN_MONTHS[wrong.month - 1]} 20:00"
    await announce(bot, emulator, watched, host, title="Raid", description=text)
    assert RemindersCog.of(bot).announcements.read == 3  # the unwatched and embed-less ones were not read
    assert await events(bot) == []
    assert bot_messages(emulator, watched) == [] and bot_messages(emulator, channel) == []


async def test_an_edit_moves_the_event_and_a_deletion_removes_it(bot, emulator, host, watched) -> None:
    start = in_days(8)
    post = await announce(bot, emulator, watched, host, title="Raid", description=english(start))
    [ack] = bot_messages(emulator, watched)
    [before] = await events(bot)

    await read(bot, emulator, emulator.edit_message(
        post, embeds=[discord.Embed(title="Raid", description=english(start) + " — be on time!")]))
    [same] = await events(bot)
    assert same["next_fire_at"] == before["next_fire_at"] and same["updated_at"] >= before["updated_at"]

    later = in_days(9, 21)
    await read(bot, emulator, emulator.edit_message(
        post, embeds=[discord.Embed(title="Raid (moved)", description=english(later))]))
    [moved] = await events(bot)
    assert moved["id"] == before["id"] and moved["name"] == "Raid (moved)"
    assert moved["event_time"] == later.astimezone(UTC) and moved["call_time"] == time(21)
    assert moved["next_fire_at"] == later.astimezone(UTC) - timedelta(hours=1)
    assert ack.embeds[0]["title"] == "📅 Event moved: reminder updated" and len(bot_messages(emulator, watched)) == 1

    await emulator.delete_message(post)
    await emulator.wait_until(lambda: ack.deleted)
    assert await events(bot) == []
    assert ack.deleted  # the acknowledgement goes with its announcement


async def test_an_edit_that_makes_it_unreadable_removes_the_reminder(bot, emulator, host, watched) -> None:
    post = await announce(bot, emulator, watched, host, title="Raid", description=english(in_days(4)))
    [ack] = bot_messages(emulator, watched)
    await read(bot, emulator, emulator.edit_message(
        post, embeds=[discord.Embed(title="Raid", description="Postponed, date to follow")]))
    assert await events(bot) == []
    assert ack.embeds[0]["title"] == "📅 Reminder removed" and ack.components == []
    # reading it again later creates it again
    await read(bot, emulator, emulator.edit_message(
        post, embeds=[discord.Embed(title="Raid", description=english(in_days(6)))]))
    assert len(await events(bot)) == 1


async def test_an_event_close_at_hand_fires_now_rather_than_never(bot, emulator, host, watched) -> None:
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    await announce(bot, emulator, watched, host, title="Pop-up quiz", description=f"<t:{int(soon.timestamp())}:F>")
    # T-60 is already past: the reminder is due at once, and delivered once
    delivered = await emulator.wait_until(lambda: [m for m in bot_messages(emulator, watched)
                                                   if m.embeds and m.embeds[0]["title"] == "⏰ Pop-up quiz"])
    async def recorded() -> Any:
        [event] = await events(bot)
        return event if event["last_sent_at"] is not None else None

    event = await emulator.wait_until(recorded)  # the post is visible a moment before it is recorded
    assert event["event_time"] == soon and event["next_fire_at"] is None
    assert len(delivered) == 1 and f"<t:{int(soon.timestamp())}:F>" in delivered[0].embeds[0]["fields"][0]["value"]


async def test_lead_time_and_event_channel_settings(bot, emulator, host, guild, watched) -> None:
    reminders_channel = guild.channel("staff-room")
    raiders = guild.add_role("Raiders")
    await emulator.settle()
    await bot.settings.set(guild.id, "reminders", "lead_minutes", 15)
    await bot.settings.set(guild.id, "reminders", "event_channel", reminders_channel.id)
    await bot.settings.set(guild.id, "reminders", "event_role", raiders.id)
    start = in_days(2)
    await announce(bot, emulator, watched, host, title="Raid", description=english(start))
    [event] = await events(bot)
    assert event["next_fire_at"] == start.astimezone(UTC) - timedelta(minutes=15)
    assert event["time"] == time(19, 45) and event["channel_id"] == reminders_channel.id
    assert event["mention_role_id"] == raiders.id


async def test_remove_button_is_for_staff_only(bot, emulator, host, member, watched) -> None:
    await announce(bot, emulator, watched, host, title="Raid", description=english(in_days(3)))
    [ack] = bot_messages(emulator, watched)
    refused = await emulator.click(ack, "Remove reminder", by=member)
    assert refused.ephemeral and refused.content == "Only staff can manage reminders."
    assert len(await events(bot)) == 1
    removed = await emulator.click(ack, "Remove reminder", by=host)
    assert removed.response_type == 7 and ack.embeds[0]["title"] == "📅 Reminder removed" and ack.components == []
    assert await events(bot) == []


async def test_the_remove_button_still_works_after_a_restart(emulator, guild, host, migrated_database_url,
                                                            alphapy_plugins) -> None:
    from alphapy.testing import running_alphapy

    announcements = guild.add_text_channel("announcements")
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as first:
        await first.bot.settings.set(guild.id, "reminders", "watch_channels", [announcements.id])
        await announce(first.bot, emulator, announcements, host, title="Raid", description=english(in_days(3)))
    [ack] = bot_messages(emulator, announcements)
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as second:
        removed = await emulator.click(ack, "Remove reminder", by=host)
        assert removed.response_type == 7 and ack.embeds[0]["title"] == "📅 Reminder removed"
        assert await second.bot.db.fetchval("SELECT count(*) FROM reminders") == 0


async def test_a_disabled_plugin_reads_nothing(bot, emulator, host, guild, watched) -> None:
    await bot.settings.set_enabled(guild.id, "reminders", False)
    await emulator.post(watched, "", author=host, embeds=[discord.Embed(title="Raid", description=english(in_days(3)))])
    await bot.settings.set_enabled(guild.id, "reminders", True)
    await announce(bot, emulator, watched, host, title="Quiz", description=english(in_days(4)))
    assert [e["name"] for e in await events(bot)] == ["Quiz"]  # the gate kept the first one from the listener
    assert RemindersCog.of(bot).announcements.read == 1


async def test_an_event_can_be_paused_and_is_never_reminded_twice(bot, emulator, host, watched) -> None:
    start = in_days(3)
    await announce(bot, emulator, watched, host, title="Raid", description=english(start))
    assert (await emulator.slash(host, "reminder pause", reminder=1)).content.startswith("Paused")
    assert (await events(bot))[0]["next_fire_at"] is None
    resumed = await emulator.slash(host, "reminder resume", reminder=1)
    trigger = start.astimezone(UTC) - timedelta(hours=1)
    assert resumed.content == f"Resumed reminder `#1` **Raid**. Next: <t:{int(trigger.timestamp())}:F>."
    await make_due(bot.db, 1)  # the hour before the event comes: reminded once
    await emulator.wait_until(lambda: [m for m in bot_messages(emulator, watched) if m.embeds[0]["title"] == "⏰ Raid"])
    await emulator.wait_until(lambda: _sent(bot))
    await emulator.slash(host, "reminder pause", reminder=1)
    again = await emulator.slash(host, "reminder resume", reminder=1)
    assert again.content == "Resumed reminder `#1` **Raid**. Its reminder was already sent."
    assert (await events(bot))[0]["next_fire_at"] is None
    moved = await emulator.slash(host, "reminder edit", reminder=1, time="10:00")
    assert moved.content == "This reminder belongs to an announced event: edit the announcement to move it."


async def _sent(bot: Any) -> bool:
    [event] = await events(bot)
    return event["last_sent_at"] is not None


async def test_one_reminder_per_event_even_when_it_is_announced_twice(bot, emulator, host, guild, watched) -> None:
    second = guild.add_text_channel("events")
    await emulator.settle()
    await bot.settings.set(guild.id, "reminders", "watch_channels", [watched.id, second.id])
    start = in_days(5)
    await announce(bot, emulator, watched, host, title="Raid night", description=english(start))
    await announce(bot, emulator, second, host, title="RAID NIGHT!", description=english(start))  # a cross-post
    # another reminder bot's post about the same event (the shape of our own reminders, too)
    stamp = int(start.timestamp())
    await read(bot, emulator, emulator.post(watched, "", webhook=True, embeds=[
        {"title": "⏰ Raid night", "fields": [{"name": "When", "value": f"<t:{stamp}:F> (<t:{stamp}:R>)"}]}]))
    assert [e["origin_channel_id"] for e in await events(bot)] == [watched.id]
    assert RemindersCog.of(bot).announcements.ignored == 2
    await announce(bot, emulator, second, host, title="Quiz night", description=english(start))  # another event
    assert len(await events(bot)) == 2


async def test_a_day_the_month_does_not_have_creates_nothing(bot, emulator, host, watched) -> None:
    """dateparser quietly turns "31 April" into another April day; the announcement is refused instead."""
    year = datetime.now(AMS).year + 1
    no_leap_year = year + 1 if calendar.isleap(year) else year
    stats = RemindersCog.of(bot).announcements
    ignored = stats.ignored
    await announce(bot, emulator, watched, host, title="Raid", description=f"Saturday 31 April {year} 20:00")
    await announce(bot, emulator, watched, host, title="Quiz", description=f"29 februari {no_leap_year} om 20.00 uur")
    await read(bot, emulator, emulator.post(watched, "", author=host, embeds=[
        {"title": "Film", "fields": [{"name": "Wanneer", "value": f"31 juni {year} om 20:00"}]}]))
    assert await events(bot) == [] and bot_messages(emulator, watched) == []
    assert stats.ignored == ignored + 3  # logged as reminders.announcement_ignored, like any unreadable date
    start = in_days(10)
    await announce(bot, emulator, watched, host, title="Raid", description=english(start))
    [event] = await events(bot)
    assert event["event_time"] == start.astimezone(UTC)
