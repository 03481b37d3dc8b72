"""The reminders page on the dashboard: who may open it, the table, and pause, resume and
delete through the same rules and sentences as ``/reminder``, against the running bot,
the emulator's OAuth2 and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest
from alphapy_reminders.cog import RemindersCog
from alphapy_reminders.dashboard import on_the_web
from reminders_helpers import make_due, row

from alphapy.testing import DashboardBrowser, P, WebPage

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def staff(guild: Any) -> Any:
    """A member holding a role the test makes a staff role."""
    return guild.add_member("stella", roles=[guild.add_role("Helpers")])


@pytest.fixture
def elsewhere(emulator: Any, guild: Any) -> Any:
    """Another server with the bot, whose owner is not in the test's server (made before the bot starts)."""
    return emulator.add_guild("Elsewhere", owner_name="else-owner")


def page_of(guild: Any) -> str:
    return f"/guilds/{guild.id}/reminders"



async def add(emulator: Any, who: Any, channel: Any, **options: Any) -> Any:
    options = {"name": "Raid night", "days": "mon,wed", "time": "19:00", "message": "Bring snacks", **options}
    reply = await emulator.slash(who, "reminder add", channel=channel, **options)
    assert reply.content.startswith("Saved reminder"), reply.content
    return reply


async def test_staff_and_hosts_open_the_page_members_and_strangers_do_not(
        staff, elsewhere, dashboard_url, bot, emulator, guild, host, member, channel) -> None:
    await add(emulator, host, channel)
    async with DashboardBrowser(dashboard_url) as browser:
        async with browser.http.get(dashboard_url + page_of(guild), allow_redirects=False) as resp:
            assert (resp.status, resp.headers["Location"]) == (302, "/login")
    await bot.settings.set(guild.id, "reminders", "staff_role", staff.roles[-1].id)
    for person, status in ((host, 200), (staff, 200), (member, 403), (elsewhere.owner, 403)):
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            page = await browser.get(page_of(guild))
            assert page.status == status, person.name
            assert ("Raid night" in page.text) == (status == 200), person.name
            if status == 200:
                overview = await browser.get(f"/guilds/{guild.id}")
                assert f'href="{page_of(guild)}">Reminders</a>' in overview.text
    moderator = guild.add_member("mo", roles=[guild.add_role("Moderators")])
    await emulator.settle()
    await bot.settings.set(guild.id, "core", "staff_role", moderator.roles[-1].id)
    async with DashboardBrowser(dashboard_url) as browser:  # the core's staff role counts as much
        await browser.log_in(moderator)
        assert (await browser.get(page_of(guild))).status == 200
    async with DashboardBrowser(dashboard_url) as browser:  # a member cannot act either
        await browser.log_in(member)
        assert (await browser.post(f"{page_of(guild)}/1/delete")).status == 403
    assert await row(bot.db, 1) is not None


async def test_a_reminder_added_with_the_slash_command_is_in_the_table_in_server_time(
        dashboard_url, bot, emulator, guild, host, channel) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    await add(emulator, host, channel, call_time="19:30")
    fires = (await row(bot.db, 1))["next_fire_at"].astimezone(AMS)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        page = await browser.get(page_of(guild))
    assert "1 reminder, soonest first · times in Europe/Amsterdam" in page.text
    line = page.text[page.text.index('<tr id="reminder-1">'):]
    line = line[:line.index("</tr>")]
    assert "<td>Mon, Wed at 19:00 (call 19:30)</td>" in line
    assert f"<td>{fires:%a %d %b %Y} 19:00</td>" in line
    assert f'href="https://discord.com/channels/{guild.id}/{channel.id}">#general</a>' in line
    assert "<td>scheduled</td>" in line and ">Pause</button>" in line and ">Resume</button>" not in line


async def test_pause_resume_and_delete_on_the_page_are_what_reminder_list_shows(
        dashboard_url, bot, emulator, guild, host, channel) -> None:
    await add(emulator, host, channel)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        paused = await browser.post(f"{page_of(guild)}/1/pause")
        assert paused.url.endswith(page_of(guild))
        assert paused.sentence == "Paused reminder #1 Raid night. Resume starts it again."
        assert "<td>paused</td>" in paused.text and ">Resume</button>" in paused.text
        listing = await emulator.slash(host, "reminder list")
        assert "`#1` **Raid night**" in listing.embed["description"] and "⏸️ paused" in listing.embed["description"]
        assert (await emulator.slash(host, "reminder test", reminder=1)).ephemeral  # still there

        resumed = await browser.post(f"{page_of(guild)}/1/resume")
        assert resumed.sentence.startswith("Resumed reminder #1 Raid night. Next: ")
        stored = await row(bot.db, 1)
        assert not stored["paused"] and stored["next_fire_at"] > datetime.now(UTC)
        listing = await emulator.slash(host, "reminder list")
        assert f"next <t:{int(stored['next_fire_at'].timestamp())}:R>" in listing.embed["description"]

        deleted = await browser.post(f"{page_of(guild)}/1/delete")
        assert deleted.sentence == "Deleted reminder #1 Raid night."
    assert await row(bot.db, 1) is None
    listing = await emulator.slash(host, "reminder list")
    assert listing.embed["description"] == "No reminders yet. Add one with `/reminder add`."


async def test_a_change_made_with_a_slash_command_appears_on_the_page(
        dashboard_url, bot, emulator, guild, host, channel) -> None:
    await add(emulator, host, channel)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        assert "<td>scheduled</td>" in (await browser.get(page_of(guild))).text
        await emulator.slash(host, "reminder pause", reminder=1)
        page = await browser.get(page_of(guild))
        assert "<td>paused</td>" in page.text
        assert "<td>paused</td>" not in (await browser.get(page_of(guild), state="scheduled")).text
        assert "<td>paused</td>" in (await browser.get(page_of(guild), state="paused")).text


async def test_refusals_are_the_slash_commands_sentences_and_lose_nothing(
        elsewhere, dashboard_url, dashboard_clock, bot, emulator, guild, host, channel) -> None:
    await add(emulator, host, channel)
    await add(emulator, elsewhere.owner, elsewhere.channel("general"), name="Their raid")  # reminder #2
    await emulator.slash(host, "reminder pause", reminder=1)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        twice = await browser.post(f"{page_of(guild)}/1/pause")
        slash = await emulator.slash(host, "reminder pause", reminder=1)
        assert twice.sentence == on_the_web(slash.content) == "Reminder #1 is already paused."
        await browser.post(f"{page_of(guild)}/1/resume")
        not_paused = await browser.post(f"{page_of(guild)}/1/resume")
        assert not_paused.sentence == on_the_web((await emulator.slash(host, "reminder resume",
                                                                            reminder=1)).content)
        for action in ("pause", "resume", "delete"):  # another server's reminder is not there
            theirs = await browser.post(f"{page_of(guild)}/2/{action}")
            assert theirs.sentence == "There is no reminder #2 in this server."
        dashboard_clock.advance(61)  # the write rate limit's bucket is full again
        for junk in ("abc", "9" * 5000, "0", "-1", "2147483648"):
            refused = await browser.post(f"{page_of(guild)}/{junk}/delete")
            assert refused.status == 200 and refused.sentence.startswith("There is no reminder #")
            assert len(refused.sentence) < 80
        odd = await browser.get(page_of(guild), state="x" * 1000, kind="'; DROP TABLE reminders", page="-3")
        assert odd.status == 200 and "Raid night" in odd.text and "Their raid" not in odd.text
    assert (await row(bot.db, 1))["name"] == "Raid night" and (await row(bot.db, 2))["name"] == "Their raid"
    assert not (await row(bot.db, 2))["paused"]


async def test_a_write_without_the_form_token_is_refused(dashboard_url, bot, emulator, guild, host, channel) -> None:
    await add(emulator, host, channel)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        for forged in ("", "guessed"):
            assert (await browser.post(f"{page_of(guild)}/1/delete", csrf=forged)).status == 403
        assert await row(bot.db, 1) is not None
        assert (await browser.post(f"{page_of(guild)}/1/delete")).sentence == "Deleted reminder #1 Raid night."
    assert await row(bot.db, 1) is None


async def test_events_from_announcements_are_listed_with_their_announcement(
        dashboard_url, bot, emulator, guild, host) -> None:
    announcements = guild.add_text_channel("announcements")
    await emulator.settle()
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    await bot.settings.set(guild.id, "reminders", "watch_channels", [announcements.id])
    start = (datetime.now(AMS) + timedelta(days=5)).replace(hour=20, minute=0, second=0, microsecond=0)
    stats = RemindersCog.of(bot).announcements
    post = await emulator.post(announcements, "", author=host, embeds=[discord.Embed(
        title="Board games", description=f"<t:{int(start.timestamp())}:F>").add_field(name="Where", value="Library")])
    await emulator.wait_until(lambda: stats.created >= 1, message="the event is read")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        page = await browser.get(page_of(guild), kind="event")
    assert f'Board games (<a href="https://discord.com/channels/{guild.id}/{announcements.id}/{post.id}">' \
           f'announcement</a>)' in page.text
    assert f"<td>event {start:%a %d %b %Y} 20:00</td>" in page.text and "Library" in page.text


def add_form(where: Any, **fields: Any) -> dict[str, Any]:
    return {"name": "Raid night", "channel": str(where.id), "days": ["0", "2"], "time": "19:00",
            "call_time": "19:30", "message": "Bring snacks\r\nand drinks", "mention": "", "image_url": "", **fields}


async def post_form(browser: DashboardBrowser, path: str, fields: dict[str, Any]) -> WebPage:
    """A form with repeated fields (the weekday toggles), as a browser posts it."""
    pairs = [("csrf_token", browser.csrf_token)]
    for key, value in fields.items():
        pairs += [(key, item) for item in value] if isinstance(value, list) else [(key, value)]
    async with browser.http.post(browser.base_url + path, data=pairs) as resp:
        return WebPage(resp.status, str(resp.url), await resp.text())


async def test_a_reminder_added_on_the_page_is_listed_and_posted_in_discord(
        dashboard_url, bot, emulator, guild, host, channel) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        page = await browser.get(page_of(guild))
        assert f'<option value="{channel.id}">#general</option>' in page.text
        assert '<input type="checkbox" name="days" value="6"> Sun</label>' in page.text
        saved = await post_form(browser, f"{page_of(guild)}/add", add_form(channel))
    stored = await row(bot.db, 1)
    assert saved.sentence == (f"Saved reminder #1 Raid night: Mon, Wed at 19:00 (call 19:30) (Europe/Amsterdam) "
                                  f"in #general. First one: {stored['next_fire_at'].astimezone(AMS):%a %d %b %Y} 19:00.")
    assert stored["days"] == ["0", "2"] and stored["created_by"] == host.id
    assert stored["message"] == "Bring snacks\nand drinks"
    listing = await emulator.slash(host, "reminder list")
    assert "`#1` **Raid night** — Mon, Wed at 19:00 (call 19:30)" in listing.embed["description"]
    await make_due(bot.db, 1)
    sent = await emulator.wait_until(lambda: [m for m in channel.messages if m.embeds
                                              and m.embeds[0]["title"] == "⏰ Raid night"])
    assert sent[0].embeds[0]["description"] == "Bring snacks\nand drinks"


async def test_the_form_refuses_what_reminder_add_refuses_and_saves_nothing(
        elsewhere, dashboard_url, bot, emulator, guild, host, member, channel) -> None:
    quiet = guild.add_role("Quiet", mentionable=False)
    guild.everyone.permissions &= ~P.MENTION_EVERYONE
    emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": guild.everyone.payload()},
                            guild.id)
    await emulator.settle()

    async def slash_says(**options: Any) -> str:
        options = {"name": "x", "channel": channel, "days": "mon", "time": "19:00", "message": "m", **options}
        return on_the_web((await emulator.slash(host, "reminder add", **options)).content)

    refusals = {
        "name": ("x" * 5000, "A reminder's name can be at most 100 characters (this one has 5000)."),
        "days": ([], "Name at least one day, like mon,wed,fri, daily or weekdays."),
        "time": ("25:99", await slash_says(time="25:99")),
        "message": ("m" * 2001, "A reminder's message can be at most 2,000 characters (this one has 2,001)."),
        "channel": (str(elsewhere.channel("general").id), "Pick a channel of this server."),
        "mention": (str(quiet.id), await slash_says(mention=quiet)),
        "image_url": ("https://example.org/a.png", await slash_says(image_url="https://example.org/a.png")),
    }
    assert "Quiet" in refusals["mention"][1] and "premium" in refusals["image_url"][1]
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        for field, (value, sentence) in refusals.items():
            refused = await post_form(browser, f"{page_of(guild)}/add", add_form(channel, **{field: value}))
            assert refused.url.endswith(page_of(guild)), field
            assert refused.sentence == sentence, field
    assert await bot.db.fetchval("SELECT count(*) FROM reminders") == 0


async def test_resume_on_the_page_checks_the_channel_as_the_slash_command_does(
        dashboard_url, bot, emulator, guild, host) -> None:
    raids = guild.add_text_channel("raids")
    await emulator.settle()
    await add(emulator, host, raids)
    await emulator.slash(host, "reminder pause", reminder=1)
    await emulator.delete_channel(raids)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        refused = await browser.post(f"{page_of(guild)}/1/resume")
    slash = await emulator.slash(host, "reminder resume", reminder=1)
    assert refused.sentence == on_the_web(slash.content) == (
        "The channel of reminder #1 no longer exists; give it a new one with /reminder edit.")
    assert (await row(bot.db, 1))["paused"]


async def test_the_preview_shows_what_reminder_test_shows_and_sends_nothing(
        dashboard_url, bot, emulator, guild, host, channel) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    raiders = guild.add_role("Raiders", mentionable=True)
    await emulator.settle()
    await add(emulator, host, channel, mention=raiders, call_time="19:30", message="Bring snacks\\nand <b>drinks</b>")
    slash = await emulator.slash(host, "reminder test", reminder=1)
    before = len(channel.messages)
    call = (await row(bot.db, 1))["next_fire_at"].astimezone(AMS).replace(hour=19, minute=30)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        assert f'href="{page_of(guild)}/1/test"' in (await browser.get(page_of(guild))).text
        page = await browser.get(f"{page_of(guild)}/1/test")
        elsewhere = await browser.get(f"{page_of(guild)}/99/test")
    assert page.status == 200
    assert f"<h2>{slash.embed['title']}</h2>" in page.text and slash.embed["title"] == "⏰ Raid night"
    assert "<p>Bring snacks<br>and &lt;b&gt;drinks&lt;/b&gt;</p>" in page.text
    assert f"<dt>When</dt><dd>{call:%a %d %b %Y} 19:30 ({call:%a %d %b %Y} 19:30)</dd>" in page.text
    assert "<p>It will mention @Raiders.</p>" in page.text and "it will mention" in slash.content
    assert len(channel.messages) == before  # a preview pings and posts nothing
    assert elsewhere.sentence == "There is no reminder #99 in this server."


async def test_editing_on_the_page_is_what_reminder_list_shows_and_refusals_keep_the_reminder(
        dashboard_url, bot, emulator, guild, host, channel) -> None:
    await add(emulator, host, channel)
    other = guild.channel("staff-room")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        form = await browser.get(f"{page_of(guild)}/1/edit")
        assert 'value="Raid night"' in form.text and '<input type="checkbox" name="days" value="2" checked>' in form.text
        changed = add_form(channel, name="Raid night 2", channel=str(other.id), days=["4"], time="08:15",
                           call_time="", message="New text")
        saved = await post_form(browser, f"{page_of(guild)}/1/edit", changed)
        assert saved.url.endswith(page_of(guild))
        assert saved.sentence.startswith("Updated reminder #1 Raid night 2. Next: Fri ")
        after = await row(bot.db, 1)
        assert (after["name"], after["channel_id"], after["days"], after["message"]) == (
            "Raid night 2", other.id, ["4"], "New text")
        assert after["next_fire_at"].weekday() == 4
        listing = await emulator.slash(host, "reminder list")
        assert f"`#1` **Raid night 2** — Fri at 08:15 in <#{other.id}>" in listing.embed["description"]

        bad_time = on_the_web((await emulator.slash(host, "reminder edit", reminder=1, time="nope")).content)
        for field, value, sentence in (
                ("name", "y" * 101, "A reminder's name can be at most 100 characters (this one has 101)."),
                ("days", [], "Name at least one day, like mon,wed,fri, daily or weekdays."),
                ("time", "nope", bad_time)):
            refused = await post_form(browser, f"{page_of(guild)}/1/edit", {**changed, field: value})
            assert refused.url.endswith(f"{page_of(guild)}/1/edit"), field  # back on the form
            assert refused.sentence == sentence, field
        assert await row(bot.db, 1) == after  # nothing of a refused edit was saved
        theirs = await post_form(browser, f"{page_of(guild)}/77/edit", changed)
        assert theirs.sentence == "There is no reminder #77 in this server."
