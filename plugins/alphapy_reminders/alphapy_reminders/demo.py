"""The reminders chapter of ``alphapy demo``: a weekly reminder, and an announced event.

The host schedules a weekly raid reminder (and is told, politely, when a time is
impossible), lists and previews it; then turns on the announcement watcher, posts an
event in Dutch, and one with Discord timestamp markup that starts in a minute, whose
reminder the bot delivers before the chapter ends. A member who tries the same is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import discord

from alphapy import TourContext

DUTCH_DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
DUTCH_MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december"]


def _reminder_id(text: str) -> int | None:
    found = re.search(r"`#(\d+)`", text or "")
    return int(found[1]) if found else None


async def chapter(t: TourContext) -> None:
    announcements = t.guild.channel("announcements")
    from alphapy_reminders.cog import RemindersCog

    cog = RemindersCog.of(t.bot)

    t.say("The host schedules the weekly raid: posted at 19:00, the raid itself at 19:30.")
    added = await t.slash(t.host, "reminder add", name="Raid night", channel=t.channel, days="ma,wo,vr",
                          time="19:00", call_time="19:30", message="Bring potions! Meet at the castle gate.")
    reminder_id = _reminder_id(added.content)
    t.expect(added.ephemeral and reminder_id is not None and "Mon, Wed, Fri at 19:00" in added.content,
             "the reminder is saved, with the Dutch day names understood")
    typo = await t.slash(t.host, "reminder add", name="Quiz", channel=t.channel, days="daily", time="25:00",
                         message="Quiz time")
    t.expect(typo.content == "25:00 is not a time of day: the time runs from 00:00 to 23:59.",
             "an impossible time is refused with a clear sentence")
    listing = await t.slash(t.host, "reminder list")
    t.expect(listing.embed is not None and "Raid night" in (listing.embed.get("description") or "")
             and "next <t:" in (listing.embed.get("description") or ""), "the list shows it with its next time")
    preview = await t.slash(t.host, "reminder test", reminder=reminder_id)
    t.expect(preview.ephemeral and preview.embed is not None and preview.embed.get("title") == "⏰ Raid night",
             "the preview is shown to the host only")

    t.say("The host lets the bot read #announcements, and posts reminders one minute before events.")
    await t.slash(t.host, "settings set", setting="reminders.watch_channels", value=announcements.mention)
    await t.slash(t.host, "settings set", setting="reminders.lead_minutes", value="1")

    tz = ZoneInfo(await t.bot.settings.get(t.guild.id, "core", "timezone"))
    day = (datetime.now(tz) + timedelta(days=3)).date()
    written = f"{DUTCH_DAYS[day.weekday()]} {day.day} {DUTCH_MONTHS[day.month - 1]} om 20.00 uur"
    read = cog.announcements.read
    await t.post(t.host, "", channel=announcements, until=lambda: cog.announcements.read > read, embeds=[
        discord.Embed(title="Bordspellenavond", description=f"**Wanneer:** {written}\n**Waar:** De Kelder")])
    ack = announcements.messages[-1]
    t.expect(ack.author.id == t.emulator.bot_user.id and ack.embeds
             and ack.embeds[0].get("title") == "📅 Event reminder set",
             "the Dutch announcement is read, and the bot replies with what it understood")

    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=63)
    t.say("An event bot announces a quiz starting in a minute, in Discord's timestamp markup.")
    read = cog.announcements.read
    await t.post(t.host, "", channel=announcements, until=lambda: cog.announcements.read > read, embeds=[
        discord.Embed(title="Pop-up quiz", description=f"Starts <t:{int(starts.timestamp())}:F>")])
    t.say("…and a few seconds later, one minute before the start, the reminder arrives:")
    before = len(announcements.messages)
    delivered = await t.emulator.wait_until(
        lambda: [m for m in announcements.messages[before:]
                 if m.embeds and m.embeds[0].get("title") == "⏰ Pop-up quiz"], timeout=15)
    t.show(delivered[0], "#announcements")
    t.expect(len(delivered) == 1 and f"<t:{int(starts.timestamp())}:F>" in delivered[0].embeds[0]["fields"][0]["value"],
             "the event reminder is delivered once, with the start in every member's own timezone")

    refused = await t._act(t.member, "/reminder add …", t.emulator.slash(
        t.member, "reminder add", name="Spam", channel=t.channel, days="daily", time="12:00", message="hi"))
    t.expect(refused.content == "Only staff can use this command.", "a member cannot schedule reminders")
