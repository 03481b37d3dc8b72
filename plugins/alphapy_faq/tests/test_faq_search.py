"""Search quality on a fixed knowledge base, guild isolation, hostile queries, vocabulary upkeep.

These talk to the search and the store directly on a real PostgreSQL (the embedded
server: no pg_trgm), so each case reads as "this query finds that entry"; the Discord
side is covered in test_faq_commands.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from alphapy_faq import entries, plugin, search
from alphapy_faq.entries import Draft, EntryError
from alphapy_faq.search import Options

from alphapy import Database, PluginManager
from alphapy.testing import assert_tables_match_reference

GUILD_A = 111_111_111_111_111_111
GUILD_B = 222_222_222_222_222_222

KNOWLEDGE = [  # (scope, title, keywords, answer)
    (None, "How do I reset my password?", "password, login, account",
     "Go to Settings, choose Account and press Reset password. We e-mail you a link that is valid for one hour."),
    (None, "Can I get a refund?", "refund, billing, money back",
     "Refunds are possible within 14 days of purchase. Open a ticket with your order number."),
    (None, "Two-factor authentication", "2fa, security, authenticator",
     ("Turn on two-factor authentication in Settings, Security. Use any authenticator app and keep your backup "
      "codes safe.")),
    (None, "Wachtwoord vergeten", "wachtwoord, inloggen",
     ("Klik op 'wachtwoord vergeten' op de inlogpagina. Je ontvangt een e-mail met een link om een nieuw "
      "wachtwoord te kiezen. Nog steeds problemen? Open een ticket.")),
    (None, "Connecting to the VPN", "vpn, network",
     "Install the VPN profile from the downloads page and connect with your account."),
    (GUILD_A, "Server rules", "rules, ban, warning",
     "Be kind. Spamming leads to a warning, repeated spam to a ban."),
    (GUILD_B, "Secret raid schedule", "raid, schedule",
     "Raids start on Fridays at 20:00 in the voice channel."),
]


async def _load(database: Any) -> dict[str, int]:
    found = {}
    async with database.acquire() as conn:
        for scope, title, keywords, answer in KNOWLEDGE:
            record = await entries.add(conn, scope, Draft.parse(title, answer, keywords), by=42)
            found[title] = record["id"]
    return found


@pytest.fixture
async def ids(db: Any) -> dict[str, int]:
    """The knowledge base in this test's own database (for tests that change it)."""
    return await _load(db)


@pytest.fixture(scope="module")
def knowledge(alphapy_test_server: Any) -> Iterator[tuple[str, dict[str, int]]]:
    """One knowledge base shared by the tests that only read it."""
    manager = PluginManager()
    manager.register(plugin, "faq")
    url = alphapy_test_server.migrated_database(manager.migration_sources())

    async def load() -> dict[str, int]:
        async with Database(url, min_size=1, max_size=1, tracker_size=1) as database:
            return await _load(database)

    try:
        yield url, asyncio.run(load())
    finally:
        alphapy_test_server.drop_database(url)


@pytest.fixture
async def kb(knowledge: tuple[str, dict[str, int]]) -> AsyncIterator[Database]:
    async with Database(knowledge[0], min_size=1, max_size=2, tracker_size=1) as database:
        yield database


@pytest.fixture
def kb_ids(knowledge: tuple[str, dict[str, int]]) -> dict[str, int]:
    return knowledge[1]


async def run(db: Any, query: str, guild: int = GUILD_A, language: str = "english",
              typos: bool = True) -> search.SearchResult:
    async with db.acquire() as conn:
        return await search.search(conn, guild, query, Options(language=language, limit=10, typos=typos))


async def top(db: Any, query: str, **kwargs: Any) -> int | None:
    result = await run(db, query, **kwargs)
    return result.hits[0].id if result.hits else None


# --- quality -----------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "title"), [
    ("reset password", "How do I reset my password?"),                 # exact words
    ("How do I reset my password?", "How do I reset my password?"),    # the title itself
    ("resetting passwords", "How do I reset my password?"),            # stemmed
    ("refunds", "Can I get a refund?"),                                # stemmed
    ("connected to vpn", "Connecting to the VPN"),                     # stemmed, several words
    ("2fa", "Two-factor authentication"),                              # keyword only
    ("money back", "Can I get a refund?"),                             # a two-word keyword
    ("security", "Two-factor authentication"),                         # keyword and text
])
async def test_finds_the_right_entry_first(kb, kb_ids, query, title) -> None:
    result = await run(kb, query)
    assert result.hits and result.hits[0].id == kb_ids[title], [h.title for h in result.hits]
    assert result.corrections == {}  # other forms of a word are not "typos" to point out


@pytest.mark.parametrize(("query", "typed", "corrected", "title"), [
    ("pasword", "pasword", "password", "How do I reset my password?"),            # a letter missing
    ("passwrod reset", "passwrod", "password", "How do I reset my password?"),    # two letters swapped
    ("refnud", "refnud", "refund", "Can I get a refund?"),                        # swapped
    ("refumd", "refumd", "refund", "Can I get a refund?"),                        # one wrong letter
    ("authentcation", "authentcation", "authentication", "Two-factor authentication"),
    ("autentikation", "autentikation", "authentication", "Two-factor authentication"),  # two edits, long word
    ("authhenticcation", "authhenticcation", "authentication", "Two-factor authentication"),  # two extra
])
async def test_typos_are_corrected(kb, kb_ids, query, typed, corrected, title) -> None:
    result = await run(kb, query)
    assert result.corrections.get(typed) == corrected
    assert result.hits[0].id == kb_ids[title]


async def test_title_outranks_keyword_outranks_answer(kb, kb_ids) -> None:
    result = await run(kb, "account")  # a keyword of the password entry, a word of the VPN entry's answer
    assert [h.id for h in result.hits] == [kb_ids["How do I reset my password?"], kb_ids["Connecting to the VPN"]]
    assert result.total == 2 and result.hits[0].score > result.hits[1].score


async def test_every_word_matching_ranks_above_some_words_matching(kb, kb_ids) -> None:
    result = await run(kb, "vpn account")
    assert result.hits[0].id == kb_ids["Connecting to the VPN"]  # both words; the password entry has one


async def test_other_forms_of_a_word_are_searched_but_not_called_typos(kb, kb_ids) -> None:
    result = await run(kb, "passwords")
    assert result.expansions == {"passwords": "password"} and result.corrections == {}
    assert result.hits[0].id == kb_ids["How do I reset my password?"]


async def test_common_words_count_but_rarer_words_choose(kb, kb_ids, monkeypatch) -> None:
    monkeypatch.setattr(search, "COMMON", 1)  # here: a word two entries use is "common"
    picked = await run(kb, "account vpn")  # "account": password and VPN entries; "vpn": the VPN entry only
    assert [h.id for h in picked.hits] == [kb_ids["Connecting to the VPN"]]
    fallback = await run(kb, "account xyzzyq")  # the rarer word finds nothing: the common one may pick
    assert [h.id for h in fallback.hits] == [kb_ids["How do I reset my password?"], kb_ids["Connecting to the VPN"]]
    monkeypatch.setattr(search, "COMMON", 250)
    assert len((await run(kb, "account vpn")).hits) == 2


async def test_dutch_uses_dutch_stemming(kb, kb_ids) -> None:
    # Typo tolerance off, so that only the language's stemming can join "probleem" and "problemen".
    dutch = await run(kb, "probleem", language="dutch", typos=False)
    assert [h.id for h in dutch.hits] == [kb_ids["Wachtwoord vergeten"]]
    assert (await run(kb, "probleem", language="english", typos=False)).hits == []
    assert (await run(kb, "probleem", language="simple", typos=False)).hits == []
    assert (await run(kb, "probleem", language="english")).hits[0].id == kb_ids["Wachtwoord vergeten"]  # typo path
    plural = await run(kb, "wachtwoorden vergeten", language="dutch")
    assert plural.hits[0].id == kb_ids["Wachtwoord vergeten"]
    simple = await run(kb, "ontvangt e-mail", language="simple")
    assert simple.hits[0].id == kb_ids["Wachtwoord vergeten"]


async def test_no_result_is_empty_and_suggests_only_what_finds_something(kb, kb_ids) -> None:
    nothing = await run(kb, "quantum teleporter")
    assert nothing.hits == [] and nothing.total == 0 and nothing.suggestions == []
    short = await run(kb, "vpm")  # too short to correct silently, close enough to suggest
    assert short.hits == [] and short.suggestions == ["vpn"]
    assert await top(kb, short.suggestions[0]) == kb_ids["Connecting to the VPN"]


# --- isolation ---------------------------------------------------------------------------

async def test_a_guild_sees_global_entries_and_its_own_only(kb, kb_ids) -> None:
    assert await top(kb, "server rules", guild=GUILD_A) == kb_ids["Server rules"]
    assert await top(kb, "server rules", guild=GUILD_B) is None
    assert await top(kb, "raid schedule", guild=GUILD_A) is None
    assert await top(kb, "raid schedule", guild=GUILD_B) == kb_ids["Secret raid schedule"]
    assert await top(kb, "refund", guild=GUILD_B) == kb_ids["Can I get a refund?"]  # global: everyone's


async def test_typo_correction_never_borrows_another_guilds_words(kb, kb_ids) -> None:
    theirs = await run(kb, "shedule", guild=GUILD_B)
    assert theirs.corrections == {"shedule": "schedule"}
    ours = await run(kb, "shedule", guild=GUILD_A)
    assert ours.corrections == {} and ours.hits == [] and ours.suggestions == []


async def test_autocomplete_titles_are_isolated_and_literal(kb, kb_ids) -> None:
    async with kb.acquire() as conn:
        a = [r["title"] for r in await search.titles(conn, GUILD_A, "r")]
        b = [r["title"] for r in await search.titles(conn, GUILD_B, "r")]
        wildcard = await search.titles(conn, GUILD_A, "%")
        underscore = await search.titles(conn, GUILD_A, "_")
    assert a[0] == "Server rules" and "Secret raid schedule" not in a  # starts with "r"... none; own first
    assert "Secret raid schedule" in b and "Server rules" not in b
    assert wildcard == [] and underscore == []  # LIKE wildcards are taken literally


# --- hostile queries ---------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "", "   ", "!&|:*", "'\"\\", "\\\\'", "(((", ")|(", "<->", "a:* & !b", "\x00\x07\x1b[31m",
    "@everyone <@&1> **bold**", "ünïcödé ✨ 🙂", "x" * 1000, "reset " * 200, "-password", '"unterminated',
])
async def test_hostile_queries_answer_cleanly(kb, kb_ids, query) -> None:
    result = await run(kb, query)
    assert len(result.query) <= 300 and len(result.terms) <= 16
    assert all(t.isalnum() for t in result.terms)


async def test_operators_in_a_query_are_plain_words(kb, kb_ids) -> None:
    assert await top(kb, "reset & password | !login:*") == kb_ids["How do I reset my password?"]
    assert await top(kb, '"reset" -password') == kb_ids["How do I reset my password?"]  # no negation


# --- writing -----------------------------------------------------------------------------

async def test_vocabulary_follows_edits_and_removals(db, ids) -> None:
    refund = ids["Can I get a refund?"]
    async with db.acquire() as conn:
        await entries.edit(conn, refund, None, Draft.parse("Getting your money back", "Write to billing.",
                                                           "billing"), by=7)
    assert (await run(db, "refnud")).corrections == {}  # "refund" left the vocabulary with the edit
    assert (await run(db, "biling")).corrections == {"biling": "billing"}
    async with db.acquire() as conn:
        assert await entries.remove(conn, refund, GUILD_A) is None  # a guild cannot remove a global entry
        assert await entries.remove(conn, refund, None) is not None
        left = await conn.fetchval("SELECT count(*) FROM faq_terms WHERE term = 'billing'")
        orphans = await conn.fetchval("""SELECT count(*) FROM faq_term_variants v
                                         WHERE NOT EXISTS (SELECT 1 FROM faq_terms t WHERE t.term = v.term)""")
    assert left == 0 and orphans == 0
    assert (await run(db, "biling")).corrections == {}


async def test_concurrent_writers_share_new_words_without_deadlock(db) -> None:
    import asyncio

    words = ["zeppelin", "quartz", "nebula", "harbour", "lantern", "meadow"]

    async def write(n: int) -> None:
        async with db.acquire() as conn:
            text = " ".join(words[n % 3:] + words[:n % 3])  # the same words, in other orders
            await entries.add(conn, GUILD_A, Draft.parse(f"Entry {n}", text, ",".join(reversed(words))), by=n)

    await asyncio.gather(*(write(n) for n in range(8)))
    async with db.acquire() as conn:
        counts = {r["term"]: r["entries"] for r in await conn.fetch(
            "SELECT term, entries FROM faq_terms WHERE guild_id = $1", GUILD_A)}
    assert {w: counts[w] for w in words} == dict.fromkeys(words, 8) and counts["entry"] == 8
    assert (await run(db, "zepelin")).corrections == {"zepelin": "zeppelin"}


async def test_word_counts_are_per_scope(db, ids) -> None:
    async with db.acquire() as conn:
        await entries.add(conn, GUILD_A, Draft.parse("VPN for staff", "Staff use the office VPN.", "vpn"), by=1)
        counts = dict(await conn.fetch("SELECT guild_id, entries FROM faq_terms WHERE term = 'vpn'"))
    assert counts == {0: 1, GUILD_A: 1}


@pytest.mark.parametrize(("title", "answer", "keywords", "error"), [
    ("", "answer", "", "needs a title"),
    ("x" * 101, "answer", "", "at most 100"),
    ("Title", "   \n  ", "", "needs an answer"),
    ("Title", "a" * 4001, "", "at most 4000"),
    ("Title", "answer", ",".join(f"k{i}" for i in range(21)), "at most 20 keywords"),
])
def test_drafts_are_validated(title, answer, keywords, error) -> None:
    with pytest.raises(EntryError, match=error):
        Draft.parse(title, answer, keywords)


def test_drafts_are_normalised() -> None:
    draft = Draft.parse("  Two\tspaces \x00 ", "line one  \r\nline two\x07", "2-FA, 2FA;  Login ,,login")
    assert draft == Draft("Two spaces", "line one\nline two", ["2 fa", "2fa", "login"])


async def test_a_title_is_unique_within_its_scope(db, ids) -> None:
    async with db.acquire() as conn:
        with pytest.raises(EntryError, match="already an entry titled"):
            await entries.add(conn, None, Draft.parse("can i get a REFUND?", "again", ""), by=1)
        await entries.add(conn, GUILD_A, Draft.parse("Can I get a refund?", "Our own policy.", ""), by=1)  # own scope


async def test_tables_match_the_schema_reference(migrated_database_url) -> None:
    assert_tables_match_reference(migrated_database_url, ["faq_entries", "faq_search_logs"])


def test_the_migration_rolls_back_and_applies_again(database_url, plugin_manager) -> None:
    import psycopg

    from alphapy.testing import MigrationRunner

    runner = MigrationRunner(database_url, plugin_manager.migration_sources())
    runner.apply()
    assert runner.rollback("faq") == ["faq_0002_head_search", "faq_0001_init"]
    with psycopg.connect(database_url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'faq%'").fetchone()
        function = conn.execute("SELECT count(*) FROM pg_proc WHERE proname = 'faq_keywords_text'").fetchone()
    assert left == (0,) and function == (0,)
    assert runner.apply() == ["faq_0001_init", "faq_0002_head_search"]
