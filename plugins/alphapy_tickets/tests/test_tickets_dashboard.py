"""The tickets pages on the dashboard: the list with its filters, a ticket's page and the staff
actions, against the running bot, the emulator (OAuth2, the ticket's channel) and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_tickets_lifecycle import click, open_ticket, row
from tickets_helpers import Desk

from alphapy.testing import DashboardBrowser, WebPage, chart_bars, running_dashboard

STAFF_ONLY = "Only the staff of that server can open this page."


@pytest.fixture
def elsewhere(emulator: Any, guild: Any) -> Any:
    """Another server with the bot and its own host (made before the bot starts)."""
    return emulator.add_guild("Elsewhere", owner_name="else-owner")


def tickets_url(guild: Any, path: str = "") -> str:
    return f"/guilds/{guild.id}/tickets" + (f"/{path}" if path else "")



def listed_ids(page: WebPage) -> list[int]:
    return [int(n) for n in re.findall(r'/tickets/ticket/\d+">#(\d+)</a>', page.text)]


async def test_who_may_open_the_tickets_pages(elsewhere, dashboard_url, bot, emulator, desk: Desk, host,
                                              member) -> None:
    ticket_id, _channel, _control = await open_ticket(emulator, member)
    pages = [tickets_url(desk.guild), tickets_url(desk.guild, f"ticket/{ticket_id}")]
    async with DashboardBrowser(dashboard_url) as anonymous:
        for path in pages:
            async with anonymous.http.get(dashboard_url + path, allow_redirects=False) as resp:
                assert (resp.status, resp.headers["Location"]) == (302, "/login")
    for person, allowed in ((member, False), (elsewhere.owner, False), (desk.staff, True), (host, True),
                            (desk.guild.owner, True)):
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            for path in pages:
                page = await browser.get(path)
                if allowed:
                    assert page.status == 200, (person.name, path)
                    assert f"#{ticket_id}" in page.text
                else:
                    assert page.status == 403 and STAFF_ONLY in page.text, (person.name, path)
                    assert "I cannot log in" not in page.text
    async with DashboardBrowser(dashboard_url) as staff:
        overview = await staff.log_in(desk.staff)
        menu = await staff.get(f"/guilds/{desk.guild.id}/tickets")
        assert f'href="/guilds/{desk.guild.id}/tickets" aria-current="page">Tickets</a>' in menu.text, overview.url


async def test_claiming_from_the_page_is_seen_in_the_tickets_channel(dashboard_url, bot, emulator, desk: Desk,
                                                                     member) -> None:
    ticket_id, channel, control = await open_ticket(emulator, member)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(desk.staff)
        page = await browser.get(tickets_url(desk.guild, f"ticket/{ticket_id}"))
        assert "<h1>Ticket #%d: Open</h1>" % ticket_id in page.text
        assert [b for b in re.findall(r'<button type="submit">(\w+)</button>', page.text)] == ["Claim", "Close"]
        claimed = await browser.post(tickets_url(desk.guild, f"ticket/{ticket_id}"), {"action": "claim"})
        await emulator.settle()
    assert claimed.url.endswith(tickets_url(desk.guild, f"ticket/{ticket_id}"))
    assert claimed.sentence == f"You claimed ticket #{ticket_id}."
    assert "<h1>Ticket #%d: Claimed</h1>" % ticket_id in claimed.text
    stored = await row(bot, ticket_id)
    assert (stored["status"], stored["claimed_by"]) == ("claimed", desk.staff.id)
    assert channel.messages[-1].content == f"🙋 <@{desk.staff.id}> claimed this ticket and will help you."
    assert control.button_labels == ["Ask member", "Escalate", "Close"]  # the control message, edited


async def test_a_ticket_claimed_in_discord_shows_on_the_list(dashboard_url, bot, emulator, desk: Desk, member,
                                                             host) -> None:
    first, _c1, control = await open_ticket(emulator, member, "first problem")
    await bot.settings.set(desk.guild.id, "tickets", "max_open_per_user", 3)
    second, _c2, _m2 = await open_ticket(emulator, member, "second problem")
    await click(emulator, control, "Claim", by=desk.staff)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(desk.staff)
        everything = await browser.get(tickets_url(desk.guild))
        assert listed_ids(everything) == [first, second]  # oldest first: they waited longest
        assert "<td>Claimed</td>" in everything.text and "<td>sam</td>" in everything.text
        mine = await browser.get(tickets_url(desk.guild), claimed="me")
        assert listed_ids(mine) == [first]
        nobody = await browser.get(tickets_url(desk.guild), claimed="none")
        assert listed_ids(nobody) == [second]
        by_sam = await browser.get(tickets_url(desk.guild), claimed=str(desk.staff.id))
        assert listed_ids(by_sam) == [first]
        assert listed_ids(await browser.get(tickets_url(desk.guild), status="claimed")) == [first]
        assert listed_ids(await browser.get(tickets_url(desk.guild), older="1")) == []  # both opened just now
        assert listed_ids(await browser.get(tickets_url(desk.guild), status="closed")) == []
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        assert listed_ids(await browser.get(tickets_url(desk.guild), claimed="me")) == []


async def test_closing_and_archiving_from_the_page(dashboard_url, bot, emulator, desk: Desk, member) -> None:
    ticket_id, channel, _control = await open_ticket(emulator, member)
    url = tickets_url(desk.guild, f"ticket/{ticket_id}")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(desk.staff)
        closed = await browser.post(url, {"action": "close", "reason": "Solved on the phone"})
        await emulator.settle()
        assert closed.sentence == f"Ticket #{ticket_id} is closed."
        assert "<dt>Reason</dt><dd>Solved on the phone</dd>" in closed.text
        assert channel.messages[-1].content == (f"🔒 Closed by <@{desk.staff.id}>. Reason: Solved on the phone")
        archived = await browser.post(url, {"action": "archive"})
        await emulator.settle()
    assert archived.sentence == f"Ticket #{ticket_id} is archived; the transcript is in the log channel."
    stored = await row(bot, ticket_id)
    assert (stored["status"], stored["archived_by"], stored["close_reason"]) == (
        "archived", desk.staff.id, "Solved on the phone")
    posted = desk.log.messages[-1]
    assert posted.embed["title"] == f"Ticket #{ticket_id} archived"
    assert posted.attachments[0].filename == f"ticket-{ticket_id}-transcript.html"
    assert "Solved on the phone" in posted.attachments[0].data.decode()
    assert channel.id not in desk.guild.channels  # deleted, as after the button


async def test_refusals_use_the_buttons_sentences_and_lose_nothing(elsewhere, dashboard_url, bot, emulator,
                                                                   desk: Desk, member) -> None:
    ticket_id, channel, control = await open_ticket(emulator, member)
    await click(emulator, control, "Claim", by=desk.other_staff)
    url = tickets_url(desk.guild, f"ticket/{ticket_id}")
    before = await row(bot, ticket_id)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(desk.staff)
        again = await browser.post(url, {"action": "claim"})
        assert again.url.endswith(url)
        assert again.sentence == f"Ticket #{ticket_id} is already claimed by <@{desk.other_staff.id}>."
        too_long = await browser.post(url, {"action": "close", "reason": "x" * 100_000})
        assert too_long.sentence == "The reason is too long (100,000 characters; at most 500)."
        archive_open = await browser.post(url, {"action": "archive"})
        assert archive_open.sentence == f"Close ticket #{ticket_id} before archiving it."
        assert (await browser.post(url, {"action": "delete"})).sentence == "Choose claim, close or archive."
        for forged in ("abc", "99999999999", "0"):
            refused = await browser.get(tickets_url(desk.guild, f"ticket/{forged}"))
            assert refused.sentence == "There is no such ticket in this server."
        missing = await browser.get(tickets_url(desk.guild, "ticket/999999"))
        assert missing.sentence == "There is no ticket #999999 in this server."
        bad_filter = await browser.get(tickets_url(desk.guild), status="'; drop table support_tickets; --")
        assert bad_filter.status == 400
        assert bad_filter.sentence == "That filter is not one of the choices; please pick one from the lists."
        forged_csrf = await browser.post(url, {"action": "close"}, csrf="guessed")
        assert forged_csrf.status == 403
        no_csrf = await browser.post(url, {"action": "close"}, csrf="")
        assert no_csrf.status == 403
    assert await row(bot, ticket_id) == before  # nothing changed, nothing lost

    async with DashboardBrowser(dashboard_url) as other_host:  # another server's host, its own server's page
        await other_host.log_in(elsewhere.owner)
        theirs = tickets_url(elsewhere, f"ticket/{ticket_id}")
        assert (await other_host.get(tickets_url(elsewhere))).status == 200
        refused = await other_host.post(theirs, {"action": "close"})
        assert refused.sentence == f"There is no ticket #{ticket_id} in this server."
    assert await row(bot, ticket_id) == before


async def test_a_plain_member_cannot_act_even_with_a_valid_form(dashboard_url, bot, emulator, desk: Desk,
                                                               member) -> None:
    ticket_id, _channel, _control = await open_ticket(emulator, member)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        refused = await browser.post(tickets_url(desk.guild, f"ticket/{ticket_id}"), {"action": "close"})
    assert refused.status == 403 and STAFF_ONLY in refused.text
    assert (await row(bot, ticket_id))["status"] == "open"


async def test_the_statistics_page_shows_ticket_stats_and_counts_again(dashboard_url, bot, emulator, desk: Desk,
                                                                       member) -> None:
    await open_ticket(emulator, member)
    await bot.settings.set(desk.guild.id, "core", "timezone", "Asia/Tokyo")
    stats_url = tickets_url(desk.guild, "stats")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(desk.staff)
        empty = await browser.get(stats_url, period="30d")
        assert "No count of this period yet" in empty.text

        slash = await emulator.slash(desk.staff, "ticket stats", period="30d")  # counted in Discord
        snapshot_id = int(slash.embed["footer"]["text"].removeprefix("snapshot #"))
        shown = await browser.get(stats_url, period="30d")
        assert f"(snapshot #{snapshot_id})" in shown.text
        assert "<dt>Opened</dt><dd>1</dd>" in shown.text
        assert "<tr><td>Open</td><td>1</td></tr>" in shown.text
        assert ("Open", 1) in chart_bars(shown.text, "tickets-status-30d")
        assert sum(n for _, n in chart_bars(shown.text, "tickets-daily-30d")) == 1
        assert "<caption>Opened per day (Asia/Tokyo)</caption>" in shown.text

        await open_ticket(emulator, desk.other_staff, "another one")
        counted = await browser.post(stats_url, {"period": "30d"})
        assert counted.sentence == "Counted again: last 30 days."
        assert "<dt>Opened</dt><dd>2</dd>" in counted.text and f"<td>#{snapshot_id}</td>" in counted.text
        assert dict(chart_bars(counted.text, "tickets-status-30d"))["Open"] == 2
        assert sum(n for _, n in chart_bars(counted.text, "tickets-daily-30d")) == 2
        stored = await bot.db.fetchrow("SELECT * FROM ticket_metrics ORDER BY id DESC LIMIT 1")
        assert (stored["triggered_by"], stored["scope"], stored["guild_id"]) == (desk.staff.id, "30d", desk.guild.id)

        for bad in ("1y", "x" * 2_000):
            assert (await browser.get(stats_url, period=bad)).sentence == (
                "Choose a period: the last 7 days, the last 30 days or all time.")
        refused = await browser.post(stats_url, {"period": "x" * 100_000})
        assert refused.sentence == "Choose a period: the last 7 days, the last 30 days or all time."
        assert (await browser.post(stats_url, {"period": "7d"}, csrf="guessed")).status == 403
    assert await bot.db.fetchval("SELECT count(*) FROM ticket_metrics") == 2
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        assert (await browser.get(stats_url)).status == 403


async def test_without_the_bot_the_pages_read_and_the_actions_say_why_not(bot_runner, bot, emulator, tmp_path,
                                                                          desk: Desk, member) -> None:
    """``alphapy dashboard`` alone runs no bot: lists still show, actions point to the buttons."""
    ticket_id, _channel, _control = await open_ticket(emulator, member)
    url = tickets_url(desk.guild, f"ticket/{ticket_id}")
    async with running_dashboard(bot_runner, emulator, tmp_path / "alone", with_bot=False) as alone_url, \
            DashboardBrowser(alone_url) as browser:
        await browser.log_in(desk.staff)
        assert listed_ids(await browser.get(tickets_url(desk.guild))) == [ticket_id]
        page = await browser.get(url)
        assert "The bot is not running beside this dashboard" in page.text
        refused = await browser.post(url, {"action": "claim"})
    assert refused.sentence.startswith("The bot is not running beside this dashboard")
    assert (await row(bot, ticket_id))["status"] == "open"


async def test_the_transcript_of_a_ticket_still_open(dashboard_url, bot, emulator, desk: Desk, member) -> None:
    ticket_id, channel, _control = await open_ticket(emulator, member)
    await emulator.post(channel, "My <b>order</b> 42 never came", author=member)
    await emulator.settle()
    page_url = tickets_url(desk.guild, f"ticket/{ticket_id}")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(desk.staff)
        page = await browser.get(page_url)
        assert f'<a href="{page_url}/transcript">' in page.text
        shown = await browser.get(f"{page_url}/transcript")
        assert shown.status == 200 and f"<title>Ticket #{ticket_id} — Test Guild</title>" in shown.text
        assert "My &lt;b&gt;order&lt;/b&gt; 42 never came" in shown.text and "<b>order</b>" not in shown.text
        await browser.post(page_url, {"action": "close"})
        await browser.post(page_url, {"action": "archive"})
        await emulator.settle()
        gone = await browser.get(f"{page_url}/transcript")
        assert gone.sentence == (f"Ticket #{ticket_id} has no channel any more: the transcript of an archived "
                                     "ticket is in the log channel.")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        assert (await browser.get(f"{page_url}/transcript")).status == 403


async def test_the_list_pages_fifty_at_a_time_and_shows_recent_ones_newest_first(dashboard_url, bot, desk: Desk,
                                                                                  member) -> None:
    await bot.db.execute(
        """INSERT INTO support_tickets (guild_id, user_id, username, description, status, created_at, closed_at)
           SELECT $1, $2, 'member', 'problem ' || n, CASE WHEN n <= 60 THEN 'open' ELSE 'closed' END,
                  now() - (100 - n) * interval '1 hour' - interval '30 minutes', CASE WHEN n > 60 THEN now() END
             FROM generate_series(1, 70) AS n""", desk.guild.id, member.id)
    ids = [r["id"] for r in await bot.db.fetch("SELECT id FROM support_tickets ORDER BY created_at")]
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(desk.staff)
        first = await browser.get(tickets_url(desk.guild))
        assert listed_ids(first) == ids[:50] and "60 tickets, page 1 of 2" in first.text
        assert 'href="?status=active&amp;page=2">Next page</a>' in first.text
        second = await browser.get(tickets_url(desk.guild), status="active", page="2")
        assert listed_ids(second) == ids[50:60] and "Previous page" in second.text
        closed = await browser.get(tickets_url(desk.guild), status="closed")
        assert listed_ids(closed) == list(reversed(ids[60:]))  # recent ones: newest first
        old = await browser.get(tickets_url(desk.guild), older="3")  # opened more than 72 hours ago
        assert listed_ids(old) == ids[:28]  # the 28th: 72.5 hours, the 29th: 71.5
        for bad in ({"page": "0"}, {"page": "x"}, {"claimed": "someone"}, {"older": "2"}):
            refused = await browser.get(tickets_url(desk.guild), **bad)
            assert refused.sentence == "That filter is not one of the choices; please pick one from the lists."
