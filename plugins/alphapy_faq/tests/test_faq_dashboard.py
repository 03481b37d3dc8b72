"""The FAQ pages on the dashboard: entries with a search, the editor with its preview, and
removal, against the running bot, the emulator (OAuth2, ``/faq``) and PostgreSQL."""

from __future__ import annotations

import html
from typing import Any

import pytest
from alphapy_faq import entries
from alphapy_faq.entries import Draft

from alphapy.testing import DashboardBrowser, chart_bars

STAFF_ONLY_PAGE = "Only the staff of that server can open this page."


@pytest.fixture
def elsewhere(emulator: Any, guild: Any) -> Any:
    """Another server with the bot and its own host (made before the bot starts)."""
    return emulator.add_guild("Elsewhere", owner_name="else-owner")


@pytest.fixture
async def staff(bot: Any, emulator: Any, guild: Any) -> Any:
    """A member with the FAQ's own staff role (``faq.staff_role``)."""
    role = guild.add_role("Writers")
    writer = guild.add_member("writer", roles=[role])
    await emulator.settle()
    await bot.settings.set(guild.id, "faq", "staff_role", role.id)
    return writer


async def add_entry(bot: Any, guild_id: int | None, title: str, answer: str, keywords: str = "") -> int:
    async with bot.db.acquire() as conn:
        record = await entries.add(conn, guild_id, Draft.parse(title, answer, keywords), by=None)
    return int(record["id"])


def faq_url(guild: Any, path: str = "") -> str:
    return f"/guilds/{guild.id}/faq" + (f"/{path}" if path else "")



def field_names(result: Any) -> list[str]:
    return [f["name"] for f in (result.embed or {}).get("fields", [])]


async def entry_rows(bot: Any, guild_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in await bot.db.fetch(
        "SELECT id, title, summary, keywords FROM faq_entries WHERE guild_id = $1 ORDER BY id", guild_id)]


async def test_who_may_open_the_faq_pages(elsewhere, dashboard_url, bot, emulator, guild, host, member,
                                          staff) -> None:
    entry_id = await add_entry(bot, guild.id, "Opening hours", "We are open from 9 to 5.", "hours")
    pages = [faq_url(guild), faq_url(guild, "new"), faq_url(guild, f"entry/{entry_id}")]
    async with DashboardBrowser(dashboard_url) as anonymous:
        for path in pages:
            async with anonymous.http.get(dashboard_url + path, allow_redirects=False) as resp:
                assert (resp.status, resp.headers["Location"]) == (302, "/login")
    for person, allowed in ((member, False), (elsewhere.owner, False), (staff, True), (host, True)):
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            for path in pages:
                page = await browser.get(path)
                if allowed:
                    assert page.status == 200, (person.name, path)
                else:
                    assert page.status == 403 and STAFF_ONLY_PAGE in page.text, (person.name, path)
                    assert "We are open" not in page.text


async def test_an_entry_written_on_the_page_is_found_in_discord_and_removed_there(
        dashboard_url, bot, emulator, guild, member, staff) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(staff)
        previewed = await browser.post(faq_url(guild, "new"), {
            "action": "preview", "title": "Opening hours", "keywords": "hours, open",
            "answer": "We are open **from 9 to 5**.\nClosed on Sundays."})
        assert previewed.status == 200 and "<h2>How it looks in Discord</h2>" in previewed.text
        assert "We are open **from 9 to 5**.<br>Closed on Sundays." in previewed.text
        assert "<p><strong>Keywords</strong>: hours, open</p>" in previewed.text
        assert await entry_rows(bot, guild.id) == []  # a preview writes nothing
        added = await browser.post(faq_url(guild, "new"), {
            "action": "save", "title": "Opening hours", "keywords": "hours, open",
            "answer": "We are open **from 9 to 5**.\nClosed on Sundays."})
    [stored] = await entry_rows(bot, guild.id)
    assert added.sentence == f"Added FAQ #{stored['id']}."
    assert added.url.endswith(faq_url(guild, f"entry/{stored['id']}"))
    assert stored["keywords"] == ["hours", "open"]
    found = await emulator.slash(member, "faq search", query="when are you open")
    assert field_names(found) == [f"#{stored['id']} · Opening hours"]
    written_by = await bot.db.fetchval("SELECT created_by FROM faq_entries WHERE id = $1", stored["id"])
    assert written_by == staff.id

    removed = await emulator.slash(staff, "faq remove", entry=f"#{stored['id']}")
    assert removed.content.startswith(f"Removed FAQ #{stored['id']} “Opening hours”")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(staff)
        listed = await browser.get(faq_url(guild))
        assert "Opening hours" not in listed.text and "No entries yet." in listed.text


async def test_an_entry_added_in_discord_appears_and_is_edited_and_removed_on_the_page(
        dashboard_url, bot, emulator, guild, host, member) -> None:
    form = await emulator.slash(host, "faq add")
    added = await emulator.submit_modal(form, {"Title": "Refunds", "Keywords (comma-separated)": "money",
                                               "Answer": "Ask within 14 days."})
    entry_id = int(added.content.removeprefix("Added FAQ #").rstrip("."))
    await add_entry(bot, None, "Global rules", "Be kind everywhere.")  # global: seen, not listed as ours
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        listed = await browser.get(faq_url(guild))
        assert f'/faq/entry/{entry_id}">#{entry_id}</a></td>\n      <td>Refunds</td>' in listed.text
        assert "members also find 1 global entry" in listed.text and "Global rules" not in listed.text
        assert "Refunds" in (await browser.get(faq_url(guild), q="fund")).text
        assert "No entry of this server has that in its title." in (await browser.get(faq_url(guild), q="%")).text
        editor = await browser.get(faq_url(guild, f"entry/{entry_id}"))
        assert 'value="Refunds"' in editor.text and ">Ask within 14 days.</textarea>" in editor.text
        saved = await browser.post(faq_url(guild, f"entry/{entry_id}"), {
            "action": "save", "title": "Refunds", "keywords": "money, refund", "answer": "Ask within 30 days."})
        assert saved.sentence == f"Updated FAQ #{entry_id}."
        shown = await emulator.slash(member, "faq show", entry="Refunds")
        assert shown.embed["description"] == "Ask within 30 days."
        gone = await browser.post(faq_url(guild, f"entry/{entry_id}"), {"action": "remove"})
        assert gone.sentence == f"Removed FAQ #{entry_id} “Refunds”."
    assert await entry_rows(bot, guild.id) == []
    assert field_names(await emulator.slash(member, "faq search", query="refund")) == []


@pytest.mark.parametrize(("values", "error"), [
    ({"title": "Rules", "answer": "   "}, "An FAQ entry needs an answer."),
    ({"title": "  ", "answer": "text"}, "An FAQ entry needs a title."),
    ({"title": "x" * 101, "answer": "text"}, "A title can be at most 100 characters."),
    ({"title": "Long", "answer": "y" * 100_000}, "An answer can be at most 4000 characters."),
    ({"title": "Rules", "answer": "x", "keywords": ",".join(f"k{i}" for i in range(25))},
     "An entry can have at most 20 keywords."),
    ({"title": "server RULES", "answer": "again"}, "There is already an entry titled “server RULES” here"),
])
async def test_bad_entries_are_refused_with_the_forms_sentences_and_lose_nothing(
        dashboard_url, bot, guild, host, values, error) -> None:
    await add_entry(bot, guild.id, "Server rules", "Be kind.")
    before = await entry_rows(bot, guild.id)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        refused = await browser.post(faq_url(guild, "new"), {"action": "save", **values})
    assert refused.status == 400 and refused.sentence.startswith(error)
    if len(values["answer"]) < 5000:  # what was typed is in the form again
        assert f">{html.escape(values['answer'])}</textarea>" in refused.text
    assert await entry_rows(bot, guild.id) == before


async def test_other_servers_and_global_entries_cannot_be_changed(elsewhere, dashboard_url, bot, guild, host) -> None:
    theirs = await add_entry(bot, elsewhere.id, "Secret raid schedule", "Raids start on Fridays.")
    shared = await add_entry(bot, None, "Global rules", "Be kind everywhere.")
    ours = await add_entry(bot, guild.id, "Ours", "Our answer.")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        other = await browser.post(faq_url(guild, f"entry/{theirs}"), {"action": "remove"})
        assert other.sentence == f"There is no FAQ entry #{theirs} of this server any more."
        assert "Raids start" not in (await browser.get(faq_url(guild, f"entry/{theirs}"))).text
        kept = await browser.post(faq_url(guild, f"entry/{shared}"), {"action": "save", "title": "Mine now",
                                                                      "answer": "Taken."})
        assert kept.sentence == (f"FAQ #{shared} is a global entry, kept by the bot's operators; add your own "
                                     "entry with `/faq add` instead.")
        for forged in ("abc", "99999999999", "0"):
            refused = await browser.get(faq_url(guild, f"entry/{forged}"))
            assert refused.sentence == "There is no FAQ entry with that number in this server."
        odd = await browser.post(faq_url(guild, f"entry/{ours}"), {"action": "drop"})
        assert odd.sentence == "Choose save, preview or remove."
        forged_csrf = await browser.post(faq_url(guild, f"entry/{ours}"), {"action": "remove"}, csrf="guessed")
        assert forged_csrf.status == 403
        assert (await browser.post(faq_url(guild, "new"), {"title": "T", "answer": "A"}, csrf="")).status == 403
    counts = await bot.db.fetch("SELECT id, title FROM faq_entries ORDER BY id")
    assert [(r["id"], r["title"]) for r in counts] == [(theirs, "Secret raid schedule"), (shared, "Global rules"),
                                                       (ours, "Ours")]


async def test_search_analytics_show_what_slash_searches_logged(elsewhere, dashboard_url, bot, emulator, guild,
                                                                host, member) -> None:
    await add_entry(bot, None, "Can I get a refund?", "Within 14 days.", "refund")
    for query in ["refund", "Refund", "refund", "teleporter", "teleporter", "<b>bold</b>"]:
        await emulator.slash(member, "faq search", query=query)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        page = await browser.get(faq_url(guild, "searches"), period="24h")
        assert "6 searches by 1 people; 3 (50%) found nothing." in page.text
        assert chart_bars(page.text, "faq-top-24h")[:2] == [("refund", 3), ("teleporter", 2)]
        assert chart_bars(page.text, "faq-missing-24h") == [("teleporter", 2), ("<b>bold</b>", 1)]
        assert '<tr><td>refund</td><td>3</td></tr>' in page.text
        assert ('<tr><td>teleporter</td><td>2</td>'
                f'<td><a href="{faq_url(guild, "new")}?title=teleporter">Write an entry</a></td></tr>') in page.text
        assert "&lt;b&gt;bold&lt;/b&gt;" in page.text and "<b>bold</b>" not in page.text
        prefilled = await browser.get(faq_url(guild, "new"), title="teleporter")
        assert 'id="title" name="title" value="teleporter"' in prefilled.text
        refused = await browser.get(faq_url(guild, "searches"), period="1y")
        assert refused.sentence == "Choose a period: the last 24 hours, 7 days, 30 days or all time."
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(elsewhere.owner)
        theirs = await browser.get(faq_url(elsewhere, "searches"), period="all")
        assert "Nobody searched the FAQ in this period." in theirs.text
        assert (await browser.get(faq_url(guild, "searches"))).status == 403


async def make_proposal(bot: Any, emulator: Any, guild: Any, topic: str = "vpn connection",
                        first_ticket: int = 1) -> tuple[int, Any]:
    """Three closed tickets about one topic, announced as the tickets plugin announces them."""
    room = guild.channel("staff-room")
    await bot.settings.set(guild.id, "faq", "proposals_channel", room.id)
    for ticket_id, text in enumerate(("Reinstalled the VPN profile.", "Switched the VPN to WireGuard.",
                                      "Signed out and in again; the VPN works."), start=first_ticket):
        results = await bot.plugins.call_async(
            "ticket_summarized", ticket={"id": ticket_id, "guild_id": guild.id, "user_id": 555},
            summary={"ticket_id": ticket_id, "summary": text, "similarity_key": topic})
        assert all(r.ok for r in results)
    await emulator.settle()
    proposal_id = await bot.db.fetchval(
        "SELECT id FROM faq_proposals WHERE guild_id = $1 AND similarity_key = $2", guild.id, topic)
    message = next(m for m in room.messages if m.embed["footer"]["text"] == f"proposal #{proposal_id}")
    return proposal_id, message


async def test_accepting_a_proposal_opens_the_editor_prefilled_and_closes_it_in_discord(
        dashboard_url, bot, emulator, guild, host) -> None:
    proposal_id, message = await make_proposal(bot, emulator, guild)
    await emulator.settle()
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        listed = await browser.get(faq_url(guild, "proposals"))
        assert f'href="{faq_url(guild, "new")}?proposal={proposal_id}">Accept</a>' in listed.text
        assert "<td>vpn connection</td>\n      <td>3</td>" in listed.text
        editor = await browser.get(faq_url(guild, "new"), proposal=str(proposal_id))
        assert 'name="proposal" value="%d"' % proposal_id in editor.text
        assert "Reinstalled the VPN profile." in editor.text  # the draft from the summaries
        saved = await browser.post(faq_url(guild, "new"), {"proposal": str(proposal_id), "action": "save",
                                                           "title": "The VPN does not connect",
                                                           "keywords": "vpn", "answer": "Reinstall the profile."})
        entry = await bot.db.fetchrow("SELECT id, topic_key, created_by FROM faq_entries WHERE guild_id = $1", guild.id)
        assert saved.sentence == f"Added FAQ #{entry['id']}."
        assert (entry["topic_key"], entry["created_by"]) == ("vpn connection", host.id)
        again = await browser.post(faq_url(guild, "new"), {"proposal": str(proposal_id), "action": "save",
                                                           "title": "Twice", "answer": "Twice."})
        assert again.sentence == f"This proposal is already in the FAQ (#{entry['id']})."
        assert "No proposals waiting." in (await browser.get(faq_url(guild, "proposals"))).text
    await emulator.settle()
    assert message.buttons == []  # the proposal in Discord shows the outcome, without its buttons
    assert f"Added as FAQ #{entry['id']} by <@{host.id}> (dashboard)." in str(message.embed["fields"])
    assert await bot.db.fetchval("SELECT count(*) FROM faq_entries WHERE guild_id = $1", guild.id) == 1


async def test_dismissing_on_the_page_and_a_decision_made_in_discord(elsewhere, dashboard_url, bot, emulator,
                                                                     guild, host) -> None:
    proposal_id, message = await make_proposal(bot, emulator, guild)
    await emulator.settle()
    async with DashboardBrowser(dashboard_url) as other:  # another server's host, with our proposal's id
        await other.log_in(elsewhere.owner)
        refused = await other.post(faq_url(elsewhere, "proposals"), {"proposal": str(proposal_id)})
        assert refused.sentence == "That proposal does not exist in this server."
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        for bad in ("abc", "99999999999", ""):
            refused = await browser.post(faq_url(guild, "proposals"), {"proposal": bad})
            assert refused.sentence == "That proposal does not exist in this server."
        assert (await browser.post(faq_url(guild, "proposals"), {"proposal": str(proposal_id)},
                                   csrf="guessed")).status == 403
        assert await bot.db.fetchval("SELECT status FROM faq_proposals WHERE id = $1", proposal_id) == "open"
        dismissed = await browser.post(faq_url(guild, "proposals"), {"proposal": str(proposal_id)})
        assert dismissed.sentence == ("Dismissed the proposal about “vpn connection”; it will not be "
                                          "proposed again.")
    await emulator.settle()
    assert message.buttons == [] and "Dismissed by" in str(message.embed["fields"])
    assert await bot.db.fetchval("SELECT status FROM faq_proposals WHERE id = $1", proposal_id) == "dismissed"

    second, in_discord = await make_proposal(bot, emulator, guild, topic="printer jam", first_ticket=10)
    await emulator.settle()
    await emulator.click(in_discord, "Dismiss", by=host)  # decided in Discord: gone from the page
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        assert "printer jam" not in (await browser.get(faq_url(guild, "proposals"))).text
        late = await browser.get(faq_url(guild, "new"), proposal=str(second))
        assert late.sentence == "This proposal was dismissed."
