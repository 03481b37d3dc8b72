"""``/faq`` through the Discord emulator and the running bot: members search and read,
staff write through forms, everything stays inside its guild, bad input is refused politely."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from alphapy_faq import entries
from alphapy_faq.entries import Draft

STAFF_ONLY = "Only staff can use this command."


async def add_entry(bot: Any, guild_id: int | None, title: str, answer: str, keywords: str = "") -> int:
    async with bot.db.acquire() as conn:
        record = await entries.add(conn, guild_id, Draft.parse(title, answer, keywords), by=None)
    return record["id"]


async def entry_count(bot: Any, guild_id: int | None) -> int:
    return await bot.db.fetchval("SELECT count(*) FROM faq_entries WHERE guild_id IS NOT DISTINCT FROM $1", guild_id)


@dataclass
class OtherGuild:
    guild: Any
    secret_id: int  # its own entry

    def member(self, name: str) -> Any:
        return self.guild.member(name)


@pytest.fixture
async def other(emulator: Any, bot: Any) -> OtherGuild:
    """A second server with its own member, host and one entry of its own."""
    guild = emulator.add_guild("Other Guild", owner_name="other-owner", text_channels=("lobby",))
    guild.add_member("stranger")
    guild.add_member("other-host", permissions=["manage_guild"])
    await emulator.settle()
    return OtherGuild(guild, await add_entry(bot, guild.id, "Secret raid schedule", "Raids start on Fridays.", "raid"))


def field_names(result: Any) -> list[str]:
    return [f["name"] for f in (result.embed or {}).get("fields", [])]


# --- members -----------------------------------------------------------------------------

async def test_search_is_private_ranked_and_logged(bot, emulator, guild, member) -> None:
    password = await add_entry(bot, None, "How do I reset my password?", "Settings, Account, Reset.", "password")
    rules = await add_entry(bot, guild.id, "Server rules", "Be kind. The password to the vault is not here.")
    reply = await emulator.slash(member, "faq search", query="password")
    assert reply.ephemeral
    assert field_names(reply) == [f"#{password} · How do I reset my password?", f"#{rules} · Server rules"]
    assert reply.embed["footer"]["text"].startswith("2 matches")
    logs = await bot.db.fetch("SELECT guild_id, user_id, query, results_count FROM faq_search_logs")
    assert [tuple(r) for r in logs] == [(guild.id, member.id, "password", 2)]


async def test_a_typo_is_corrected_and_said(bot, emulator, member) -> None:
    await add_entry(bot, None, "Can I get a refund?", "Within 14 days.", "refund, billing")
    reply = await emulator.slash(member, "faq search", query="refnud")
    assert reply.embed["description"] == "Also searched for: refnud → **refund**"
    assert field_names(reply)[0].endswith("Can I get a refund?")


async def test_nothing_found_says_so_and_suggests(bot, emulator, member) -> None:
    await add_entry(bot, None, "Connecting to the VPN", "Install the profile.", "vpn")
    nothing = await emulator.slash(member, "faq search", query="quantum teleporter")
    assert nothing.embed["description"].startswith("Nothing in the FAQ matches “quantum teleporter”.")
    suggestion = await emulator.slash(member, "faq search", query="vpm")
    assert "Did you mean **vpn**?" in suggestion.embed["description"]
    counts = [r["results_count"] for r in await bot.db.fetch("SELECT results_count FROM faq_search_logs")]
    assert counts == [0, 0]


async def test_autocomplete_offers_titles_of_this_server_and_global_ones(bot, emulator, host, member, other) -> None:
    await add_entry(bot, None, "Password reset", "Settings.")
    passes = await add_entry(bot, member.guild.id, "Passes for the event", "At the door.")
    choices = await emulator.autocomplete(member, "faq search", focused="query", value="pass")
    assert [c.name for c in choices] == ["Passes for the event", "Password reset"]
    editable = await emulator.autocomplete(host, "faq edit", focused="entry", value="pass")
    assert [(c.name, c.value) for c in editable] == [(f"#{passes} Passes for the event", str(passes))]
    ids = await emulator.autocomplete(member, "faq show", focused="entry", value="raid")
    assert ids == []  # the other server's "Secret raid schedule" stays there
    theirs = await emulator.autocomplete(other.member("stranger"), "faq show", focused="entry", value="raid")
    assert [(c.name, c.value) for c in theirs] == [(f"#{other.secret_id} Secret raid schedule", str(other.secret_id))]


async def test_show_posts_an_answer_for_everyone(bot, emulator, guild, member, channel) -> None:
    entry = await add_entry(bot, None, "Can I get a refund?", "Within 14 days. @everyone <@&1>", "refund")
    by_id = await emulator.slash(member, "faq show", entry=str(entry))
    assert not by_id.ephemeral and by_id.embed["title"] == "Can I get a refund?"
    assert by_id.embed["footer"]["text"] == f"FAQ #{entry} · global entry"
    assert "@\u200beveryone" in by_id.embed["description"]  # shown, never a ping
    by_title = await emulator.slash(member, "faq show", entry="can i get a refund?")
    assert by_title.embed["title"] == "Can I get a refund?"
    assert channel.messages[-1].embeds[0]["title"] == "Can I get a refund?"
    sent = emulator.requests.matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[-1]
    assert sent.json["data"]["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize("entry", ["0", "#99999", "99999999999999999999", "nope", "'; DROP TABLE faq_entries; --",
                                   "%", "x" * 300])
async def test_show_refuses_unknown_entries_politely(bot, emulator, member, entry) -> None:
    reply = await emulator.slash(member, "faq show", entry=entry)
    assert reply.ephemeral and reply.content.startswith("There is no FAQ entry")
    assert "error id" not in reply.content and len(reply.content) < 200


# --- hostile queries ---------------------------------------------------------------------

@pytest.mark.parametrize("query", [" ", "!&|:*", "'\"\\", "\\", "((", "*:", "\x00\x07", "x" * 1000])
async def test_queries_without_words_are_refused_kindly(bot, emulator, member, query) -> None:
    reply = await emulator.slash(member, "faq search", query=query)
    assert reply.ephemeral and reply.content == ("I found no words to search for in that. "
                                                 "Try a few plain words, for example `reset password`.")
    assert await bot.db.fetchval("SELECT count(*) FROM faq_search_logs") == 0


@pytest.mark.parametrize("query", ["reset password " * 70, "reset " + "x" * 994, "reset & !password | pass:*",
                                   '"reset" \\password\\ \'quoted\'', "@everyone reset <@&1> **password**"])
async def test_hostile_queries_answer_cleanly(bot, emulator, member, query) -> None:
    await add_entry(bot, None, "How do I reset my password?", "Settings, Account, Reset.", "password")
    reply = await emulator.slash(member, "faq search", query=query)
    assert reply.ephemeral and reply.embed is not None and "error id" not in (reply.content or "")
    logged = await bot.db.fetchval("SELECT query FROM faq_search_logs")
    assert len(logged) <= 300
    if "reset" in query:
        assert field_names(reply)[0].endswith("How do I reset my password?")
    title = reply.embed.get("title", "")
    assert "<@&1>" not in reply.embed.get("description", "") and len(title) <= 256


# --- staff -------------------------------------------------------------------------------

async def test_staff_add_edit_and_remove_through_forms(bot, emulator, guild, host, member) -> None:
    form = await emulator.slash(host, "faq add")
    assert form.modal.title == "New FAQ entry"
    added = await emulator.submit_modal(form, {"Title": "Opening hours", "Keywords (comma-separated)": "hours, open",
                                               "Answer": "We are open from 9 to 5."})
    assert added.ephemeral and added.content.startswith("Added FAQ #")
    entry_id = int(added.content.removeprefix("Added FAQ #").rstrip("."))
    found = await emulator.slash(member, "faq search", query="when are you open")
    assert field_names(found) == [f"#{entry_id} · Opening hours"]

    form = await emulator.slash(host, "faq edit", entry=str(entry_id))
    assert form.modal.field("Title").value == "Opening hours"
    assert form.modal.field("Keywords (comma-separated)").value == "hours, open"
    edited = await emulator.submit_modal(form, {"Answer": "We are open from 10 to 6, weekdays only."})
    assert edited.content == f"Updated FAQ #{entry_id}."
    assert "weekdays" in (await emulator.slash(member, "faq show", entry="Opening hours")).embed["description"]

    removed = await emulator.slash(host, "faq remove", entry=f"#{entry_id}")
    assert removed.ephemeral and removed.content.startswith(f"Removed FAQ #{entry_id} “Opening hours”")
    assert await entry_count(bot, guild.id) == 0
    assert field_names(await emulator.slash(member, "faq search", query="open hours")) == []


async def test_a_form_submitted_after_a_restart_still_works(emulator, guild, host, migrated_database_url,
                                                            alphapy_plugins) -> None:
    from alphapy.testing import running_alphapy

    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins):
        form = await emulator.slash(host, "faq add")
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as runner:
        added = await emulator.submit_modal(form, {"Title": "Restarts", "Answer": "Forms survive them."})
        assert added.content.startswith("Added FAQ #")
        assert await runner.bot.db.fetchval("SELECT title FROM faq_entries") == "Restarts"


async def test_members_are_refused_every_staff_action(bot, emulator, guild, host, member) -> None:
    entry_id = await add_entry(bot, guild.id, "Server rules", "Be kind.")
    for command, options in [("faq add", {}), ("faq edit", {"entry": str(entry_id)}),
                             ("faq remove", {"entry": str(entry_id)}), ("faq stats", {})]:
        reply = await emulator.slash(member, command, **options)
        assert reply.ephemeral and reply.content == STAFF_ONLY, command
    form = await emulator.slash(host, "faq edit", entry=str(entry_id))
    forged = await emulator.submit_modal(form, {"Answer": "Anything goes."}, by=member)  # a form in other hands
    assert forged.ephemeral and forged.content == STAFF_ONLY
    assert await bot.db.fetchval("SELECT summary FROM faq_entries WHERE id = $1", entry_id) == "Be kind."

    helpers = guild.add_role("FAQ writers")
    await emulator.give_role(member, helpers)
    await bot.settings.set(guild.id, "faq", "staff_role", helpers.id)
    assert (await emulator.slash(member, "faq add")).modal is not None  # faq.staff_role makes them staff


async def test_staff_cannot_change_global_or_other_servers_entries(bot, emulator, guild, host, other) -> None:
    shared = await add_entry(bot, None, "Can I get a refund?", "Within 14 days.")
    for command in ("faq edit", "faq remove"):
        reply = await emulator.slash(host, command, entry=str(shared))
        assert reply.content.startswith(f"FAQ #{shared} is a global entry, kept by the bot's operators")
        theirs = await emulator.slash(host, command, entry=str(other.secret_id))
        assert theirs.content.startswith("There is no FAQ entry")
    assert await entry_count(bot, None) == 1 and await entry_count(bot, other.guild.id) == 1
    forged = await emulator.slash(host, "faq add")  # a form whose custom id names another guild's entry
    forged.modal.custom_id = f"faq:entry-edit:{other.secret_id}"
    refused = await emulator.submit_modal(forged, {"Title": "Mine now", "Answer": "Taken."})
    assert refused.content == f"There is no FAQ entry #{other.secret_id} of this server any more."
    assert await bot.db.fetchval("SELECT title FROM faq_entries WHERE id = $1", other.secret_id) == \
        "Secret raid schedule"


@pytest.mark.parametrize(("values", "error"), [
    ({"Title": "Rules", "Answer": "   "}, "An FAQ entry needs an answer."),
    ({"Title": "  ", "Answer": "text"}, "An FAQ entry needs a title."),
    ({"Title": "Rules", "Answer": "x", "Keywords (comma-separated)": ",".join(f"k{i}" for i in range(25))},
     "An entry can have at most 20 keywords."),
    ({"Title": "server RULES", "Answer": "again"}, "There is already an entry titled “server RULES” here"),
])
async def test_bad_forms_are_refused_and_lose_nothing(bot, emulator, guild, host, values, error) -> None:
    await add_entry(bot, guild.id, "Server rules", "Be kind.")
    form = await emulator.slash(host, "faq add")
    reply = await emulator.submit_modal(form, values)
    assert reply.ephemeral and reply.content.startswith(error)
    assert await entry_count(bot, guild.id) == 1


async def test_stats_show_top_and_unanswered_searches_of_this_server_only(bot, emulator, guild, host, member,
                                                                        other) -> None:
    await add_entry(bot, None, "Can I get a refund?", "Within 14 days.", "refund")
    for query in ["refund", "Refund", "refund", "teleporter", "teleporter", "`@everyone`"]:
        await emulator.slash(member, "faq search", query=query)
    await emulator.slash(other.member("stranger"), "faq search", query="raid")
    stats = await emulator.slash(host, "faq stats", period="24h")
    assert stats.ephemeral
    assert stats.embed["description"] == "**6** searches by **1** people; **3** (50%) found nothing."
    fields = {f["name"]: f["value"] for f in stats.embed["fields"]}
    assert fields["Top searches"].splitlines()[:2] == ["`refund` — 3×", "`teleporter` — 2×"]
    assert fields["Found nothing (write these next)"].splitlines()[0] == "`teleporter` — 2×"
    assert "raid" not in str(fields)
    assert "`ˋ@\u200beveryoneˋ` — 1×" in fields["Top searches"]  # a code span; no ping, no broken markdown
    theirs = await emulator.slash(other.member("other-host"), "faq stats", period="all")
    assert theirs.embed["description"] == "**1** searches by **1** people; **0** (0%) found nothing."
    empty = await emulator.slash(host, "faq stats", period="24h", check_permissions=False)
    assert empty.embed["footer"]["text"] == "0 entries of this server · 1 global entries"


def embed_size(embed: dict[str, Any]) -> int:
    """What Discord counts against an embed's 6,000 characters."""
    return (len(embed.get("title", "")) + len(embed.get("description", "") or "")
            + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
            + len(embed.get("footer", {}).get("text", "")))


async def test_ten_markdown_heavy_results_fit_in_one_embed(bot, emulator, guild, member) -> None:
    await bot.settings.set(guild.id, "faq", "results", 10)
    for n in range(12):
        await add_entry(bot, guild.id, f"*_~`|>#{n}" * 9, "**__~~`||>" * 390 + " markdown",
                        ", ".join(f"*keyword*{n}_{k}" for k in range(20)))
    reply = await emulator.slash(member, "faq search", query="markdown")
    assert len(reply.embed["fields"]) == 10 and embed_size(reply.embed) <= 6000
    shown = await emulator.slash(member, "faq show", entry="1")
    assert len(shown.embed["description"]) <= 4096 and embed_size(shown.embed) <= 6000
