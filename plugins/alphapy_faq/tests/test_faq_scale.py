"""The FAQ at knowledge-base sizes: bulk writes, and what the search does when words are common.

Bulk writes (``entries.add_many``) must leave exactly the vocabulary that writing the same
entries one by one leaves, since typo correction reads nothing else. Searches whose words
most entries use pick their candidates by title and keywords first; these tests hold a
knowledge base big enough that the candidate cap really cuts (more than ``CANDIDATES``
entries use the word), on the real embedded PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from alphapy_faq import entries, search, store
from alphapy_faq.entries import Draft
from alphapy_faq.search import Hit, Options, SearchResult
from alphapy_faq.text import deletions
from alphapy_faq.views import results_embed

GUILD = 333_333_333_333_333_333
FILLER = ["printer", "monitor", "cable", "battery", "charger", "keyboard", "speaker", "router", "adapter", "screen"]


def filler(n: int, *, mention: str = "password") -> Draft:
    """An entry whose answer (not title, not keywords) uses ``mention``: many of these
    make it one of the knowledge base's common words."""
    a, b, c = FILLER[n % 10], FILLER[(n // 10) % 10], FILLER[(n // 100) % 10]
    return Draft.parse(f"The {a} {b} {c} number {n}", f"Check the {a} and the {b}; your {mention} is not needed.",
                       f"{a}, {b}")


async def vocabulary(conn: Any, scope: int) -> dict[str, int]:
    return {r["term"]: r["entries"] for r in await conn.fetch(
        "SELECT term, entries FROM faq_terms WHERE guild_id = $1", scope)}


async def test_add_many_leaves_the_vocabulary_that_add_leaves(db) -> None:
    drafts = [filler(n) for n in range(40)] + [
        Draft.parse("Reset your password", "Settings, Account, Reset password.", "password, login")]
    async with db.acquire() as conn:
        await entries.add(conn, None, drafts[0], by=1)  # counts already there are added to
        assert await entries.add_many(conn, [(None, d) for d in drafts[1:]], by=1) == len(drafts) - 1
        for draft in drafts:
            await entries.add(conn, GUILD, draft, by=1)
        bulk, single = await vocabulary(conn, 0), await vocabulary(conn, GUILD)
        forms = {(r["variant"], r["term"]) for r in await conn.fetch("SELECT variant, term FROM faq_term_variants")}
        written = await conn.fetchval("SELECT count(*) FROM faq_entries WHERE guild_id IS NULL")
    assert bulk == single and bulk["password"] == 41 and written == len(drafts)
    assert forms == {(form, term) for term in bulk for form in deletions(term)}


async def test_add_many_beside_single_writers_of_the_same_new_words(db) -> None:
    import asyncio

    async def single(n: int) -> None:
        async with db.acquire() as conn:
            await entries.add(conn, GUILD, Draft.parse(f"Zeppelin {n}", "The zeppelin over the harbour.",
                                                      "zeppelin"), by=n)

    async def bulk() -> None:
        async with db.acquire() as conn:
            await entries.add_many(conn, [(GUILD, Draft.parse(f"Harbour {n}", "A zeppelin in the harbour.", ""))
                                          for n in range(store.BULK_PENDING_LIST)])

    await asyncio.gather(single(1), bulk(), single(2), single(3))
    async with db.acquire() as conn:
        counts = await vocabulary(conn, GUILD)
        forms = {(r["variant"], r["term"]) for r in await conn.fetch("SELECT variant, term FROM faq_term_variants")}
    assert counts["zeppelin"] == counts["harbour"] == store.BULK_PENDING_LIST + 3
    assert forms == {(form, term) for term in counts for form in deletions(term)}


async def test_add_many_is_all_or_nothing_and_leaves_the_indexes_as_the_migration_made_them(db) -> None:
    async with db.acquire() as conn:
        await entries.add(conn, None, filler(3), by=1)
        big = store.BULK_PENDING_LIST  # large enough for the pending-list switch of the indexes
        with pytest.raises(asyncpg.UniqueViolationError):
            await entries.add_many(conn, [(None, filler(n)) for n in range(1000, 1000 + big)] + [(None, filler(3))])
        left = await conn.fetchval("SELECT count(*) FROM faq_entries")
        await entries.add_many(conn, [(None, filler(n)) for n in range(4, 4 + big)])
        await entries.add_many(conn, [(None, filler(n)) for n in range(2000, 2005)])  # a few: plain COPY
        options = {r["relname"]: r["reloptions"] for r in await conn.fetch(
            """SELECT c.relname, c.reloptions FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               JOIN pg_am a ON a.oid = c.relam
               WHERE i.indrelid = 'faq_entries'::regclass AND a.amname = 'gin'""")}
    assert left == 1 and await entries_count(db) == 1 + big + 5
    assert len(options) == 7 and all(o == ["fastupdate=off"] for o in options.values()), options


async def index_definitions(conn: Any) -> dict[str, tuple[str, Any]]:
    """Every index of the entries table: its definition and its options."""
    return {r["relname"]: (r["definition"], r["reloptions"]) for r in await conn.fetch(
        """SELECT c.relname, pg_get_indexdef(c.oid) AS definition, c.reloptions
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'faq_entries'::regclass""")}


async def test_a_batch_large_enough_to_rebuild_the_indexes_leaves_them_as_they_were_and_searchable(db) -> None:
    big = store.BULK_REBUILD  # large enough for the GIN indexes to be dropped and built anew
    async with db.acquire() as conn:
        await entries.add(conn, None, filler(3), by=1)
        before = await index_definitions(conn)
        with pytest.raises(asyncpg.UniqueViolationError):  # all or nothing: the indexes come back too
            await entries.add_many(conn, [(None, filler(n)) for n in range(4, 4 + big)] + [(None, filler(3))])
        after_failure = await index_definitions(conn)
        await entries.add_many(conn, [(None, filler(n)) for n in range(4, 4 + big)]
                               + [(GUILD, Draft.parse("Reset your password", "Settings, Account.", "login"))])
        after = await index_definitions(conn)
        words = await vocabulary(conn, store.GLOBAL_SCOPE)
        result = await search.search(conn, GUILD, "reset pasword", Options(limit=5))
        by_keyword = await search.search(conn, GUILD, "login", Options(limit=5))
        numbered = await search.search(conn, GUILD, "number 9999", Options(limit=5, language="simple"))
    assert set(store._ENTRY_GIN_INDEXES) < set(before) and after_failure == before and after == before
    assert words["password"] == 1 + big
    assert result.corrections == {"pasword": "password"} and result.hits[0].title == "Reset your password"
    assert [h.title for h in by_keyword.hits] == ["Reset your password"]
    assert numbered.hits[0].title.endswith("number 9999")


async def entries_count(db: Any) -> int:
    async with db.acquire() as conn:
        count: int = await conn.fetchval("SELECT count(*) FROM faq_entries WHERE summary LIKE '%password%'")
    return count


@pytest.fixture
async def crowded(db: Any) -> Any:
    """1,500 entries that mention "password" in their answers, and, written last (so not
    among the first candidates a capped scan meets), the one entry about it."""
    assert 1500 > search.CANDIDATES
    async with db.acquire() as conn:
        await entries.add_many(conn, [(None, filler(n)) for n in range(1500)])
        await entries.add(conn, GUILD, Draft.parse("Reset your password", "Settings, Account, Reset password.",
                                                   "login"), by=1)
        await conn.execute("ANALYZE faq_entries")
    return db


async def test_a_typo_of_a_common_word_still_finds_its_entry_first(crowded) -> None:
    async with crowded.acquire() as conn:
        result = await search.search(conn, GUILD, "pasword", Options(limit=5))
        exact = await search.search(conn, GUILD, "password", Options(limit=5))
    assert result.corrections == {"pasword": "password"}
    assert result.hits[0].title == "Reset your password" == exact.hits[0].title
    assert result.capped and exact.capped  # more entries match than were ranked, and the footer says so
    assert results_embed(result).footer.text.startswith(f"{result.total}+ matches")


async def test_common_words_with_enough_title_matches_rank_those(crowded) -> None:
    async with crowded.acquire() as conn:
        result = await search.search(conn, GUILD, "printer cable", Options(limit=5))
    assert len(result.hits) == 5
    assert all("printer" in h.title.lower() and "cable" in h.title.lower() for h in result.hits)


def test_a_result_cut_at_the_cap_says_so() -> None:
    result = SearchResult("q", ["q"], hits=[Hit(1, None, "Title", "Answer", [], 1.0)], total=7)
    assert results_embed(result).footer.text.startswith("7 matches")
    result.capped = True
    assert results_embed(result).footer.text.startswith("7+ matches")
