"""Every SQL statement of the FAQ plugin.

Guild data is always filtered by guild: an entry a guild may read is its own or a
global one (``guild_id IS NULL``); an entry a guild may change is its own only. The
full-text configuration is never taken from input: each supported language has its own
statement, built here from a fixed tuple.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

LANGUAGES = ("english", "dutch", "simple")
GLOBAL_SCOPE = 0  # faq_terms.guild_id of global entries (a primary key cannot hold NULL)

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy

_ENTRY_COLUMNS = "id, guild_id, title, summary, keywords, created_at, created_by, updated_at, topic_key"


# --- entries -----------------------------------------------------------------------------

async def insert_entry(conn: Conn, guild_id: int | None, title: str, summary: str, keywords: list[str],
                       created_by: int | None, topic_key: str | None = None) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""INSERT INTO faq_entries (guild_id, title, summary, keywords, created_by, topic_key)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_ENTRY_COLUMNS}""",
        guild_id, title, summary, keywords, created_by, topic_key)
    assert row is not None  # the statement returns its row or raises
    return row


# The GIN indexes on entries, kept without a pending list (see faq_0001_init.sql).
BULK_PENDING_LIST = 500  # from this many rows on, a bulk write goes through the GIN pending list
BULK_REBUILD = 10_000  # from this many rows on, a bulk write builds the GIN indexes anew instead
BULK_MAINTENANCE_MEM = "256MB"  # for this transaction's index builds (the server default is 64MB)
_ENTRY_GIN_INDEXES = ("idx_faq_entries_keywords", *(f"idx_faq_entries_tsv_{lang}" for lang in LANGUAGES),
                      *(f"idx_faq_entries_head_{lang}" for lang in LANGUAGES))


async def copy_entries(conn: Conn, rows: Sequence[tuple[int | None, str, str, list[str], int | None]]) -> None:
    """Write many entries (guild_id, title, summary, keywords, created_by) with COPY, inside
    the caller's transaction.

    One round trip instead of one per entry; the search vectors are generated columns, so
    PostgreSQL computes them exactly as for a single INSERT. The GIN indexes are kept
    without a pending list for searches' sake, but inserting row by row into them is what
    made a bulk load slow (measured: 50,000 entries ~90 s), so:

    - from :data:`BULK_PENDING_LIST` rows, for this transaction alone the rows go to the
      pending list and are merged into the index in bulk before commit, so no search ever
      sees an unmerged list;
    - from :data:`BULK_REBUILD` rows, the GIN indexes are dropped and built again from the
      table before commit, with the definitions PostgreSQL itself holds for them (so the
      migrations stay their only source). Measured at 52,500 entries: COPY ~19 s plus
      ~2 s of merges through the pending list (filling it costs nearly as much as
      inserting), against COPY ~10 s plus ~6.5 s of builds. The price: DROP INDEX locks
      the table exclusively, so searches wait for the end of such a write; a write this
      large is an import, not the daily edit of an entry.
    """
    if not rows:
        return
    if len(rows) >= BULK_REBUILD:
        await _copy_rebuilding(conn, rows)
        return
    pending = len(rows) >= BULK_PENDING_LIST  # a few rows: not worth the relcache invalidation of ALTER INDEX
    if pending:
        await conn.execute("SET LOCAL gin_pending_list_limit = '64MB'")
        for index in _ENTRY_GIN_INDEXES:
            await conn.execute(f"ALTER INDEX {index} SET (fastupdate = on)")
    await _copy(conn, rows)
    if pending:
        for index in _ENTRY_GIN_INDEXES:
            await conn.execute("SELECT gin_clean_pending_list($1::regclass)", index)
            await conn.execute(f"ALTER INDEX {index} SET (fastupdate = off)")


async def _copy(conn: Conn, rows: Sequence[tuple[int | None, str, str, list[str], int | None]]) -> None:
    await conn.copy_records_to_table(
        "faq_entries", records=rows, columns=["guild_id", "title", "summary", "keywords", "created_by"])


async def _copy_rebuilding(conn: Conn, rows: Sequence[tuple[int | None, str, str, list[str], int | None]]) -> None:
    """COPY with the GIN indexes dropped, then built again (see :func:`copy_entries`)."""
    definitions = await conn.fetch(
        """SELECT c.relname, pg_get_indexdef(c.oid) AS definition
           FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
           WHERE i.indrelid = 'faq_entries'::regclass AND c.relname = ANY($1::text[])
           ORDER BY array_position($1::text[], c.relname::text)""", list(_ENTRY_GIN_INDEXES))
    await conn.execute(f"SET LOCAL maintenance_work_mem = '{BULK_MAINTENANCE_MEM}'")
    await conn.execute(f"DROP INDEX {', '.join(r['relname'] for r in definitions)}")
    await _copy(conn, rows)
    for row in definitions:
        await conn.execute(row["definition"])


async def entry_for_guild(conn: Conn, entry_id: int, guild_id: int) -> asyncpg.Record | None:
    """An entry this guild may read: its own or a global one."""
    return await conn.fetchrow(
        f"SELECT {_ENTRY_COLUMNS} FROM faq_entries WHERE id = $1 AND (guild_id = $2 OR guild_id IS NULL)",
        entry_id, guild_id)


async def entry_in_scope(conn: Conn, entry_id: int, guild_id: int | None, *,
                         lock: bool = False) -> asyncpg.Record | None:
    """An entry of exactly this scope (a guild's own, or global for ``None``)."""
    return await conn.fetchrow(
        f"""SELECT {_ENTRY_COLUMNS} FROM faq_entries
            WHERE id = $1 AND guild_id IS NOT DISTINCT FROM $2 {'FOR UPDATE' if lock else ''}""",
        entry_id, guild_id)


async def entry_by_title(conn: Conn, guild_id: int | None, title: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""SELECT {_ENTRY_COLUMNS} FROM faq_entries
            WHERE coalesce(guild_id, 0) = coalesce($1::bigint, 0) AND lower(title) = lower($2)""",
        guild_id, title)


async def update_entry(conn: Conn, entry_id: int, guild_id: int | None, title: str, summary: str,
                       keywords: list[str], updated_by: int | None) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"""UPDATE faq_entries SET title = $3, summary = $4, keywords = $5, updated_by = $6, updated_at = now()
            WHERE id = $1 AND guild_id IS NOT DISTINCT FROM $2 RETURNING {_ENTRY_COLUMNS}""",
        entry_id, guild_id, title, summary, keywords, updated_by)


async def delete_entry(conn: Conn, entry_id: int, guild_id: int | None) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"DELETE FROM faq_entries WHERE id = $1 AND guild_id IS NOT DISTINCT FROM $2 RETURNING {_ENTRY_COLUMNS}",
        entry_id, guild_id)


async def list_entries(conn: Conn, guild_id: int | None, *, limit: int = 1000) -> list[asyncpg.Record]:
    """Entries of exactly one scope, oldest first."""
    return await conn.fetch(
        f"SELECT {_ENTRY_COLUMNS} FROM faq_entries WHERE guild_id IS NOT DISTINCT FROM $1 ORDER BY id LIMIT $2",
        guild_id, limit)


async def entries_titled_like(conn: Conn, guild_id: int, pattern: str, *, limit: int) -> list[asyncpg.Record]:
    """A guild's own entries whose title contains ``pattern`` (a LIKE pattern), by title."""
    return await conn.fetch(
        rf"""SELECT {_ENTRY_COLUMNS} FROM faq_entries WHERE guild_id = $1 AND title ILIKE $2 ESCAPE '\'
             ORDER BY lower(title), id LIMIT $3""", guild_id, pattern, limit)


async def count_entries(conn: Conn, guild_id: int) -> tuple[int, int]:
    """(the guild's own entries, global entries)."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE guild_id = $1) AS own, count(*) FILTER (WHERE guild_id IS NULL) AS global
           FROM faq_entries WHERE guild_id = $1 OR guild_id IS NULL""", guild_id)
    assert row is not None  # an aggregate always returns its row
    return row["own"], row["global"]


async def titles_like(conn: Conn, guild_id: int, pattern: str, prefix: str, *, own: bool = False,
                      limit: int = 25) -> list[asyncpg.Record]:
    """Titles containing ``pattern`` (a LIKE pattern), those starting with ``prefix`` first;
    with ``own`` the guild's entries only (the ones its staff may change)."""
    return await conn.fetch(
        r"""SELECT id, title, guild_id FROM faq_entries
            WHERE (guild_id = $1 OR (guild_id IS NULL AND NOT $5)) AND title ILIKE $2 ESCAPE '\'
            ORDER BY title ILIKE $3 ESCAPE '\' DESC, guild_id IS NULL, lower(title), id LIMIT $4""",
        guild_id, pattern, prefix, limit, own)


# --- vocabulary (typo tolerance) ---------------------------------------------------------

async def add_terms(conn: Conn, scope: int, terms: Sequence[str]) -> list[str]:
    """Count ``terms`` once more in ``scope``; returns those new to the scope."""
    if not terms:
        return []
    rows = await conn.fetch(
        """INSERT INTO faq_terms (guild_id, term, entries)
           SELECT $1, t, 1 FROM unnest($2::text[]) AS t
           ON CONFLICT (guild_id, term) DO UPDATE SET entries = faq_terms.entries + 1
           RETURNING term, (xmax = 0) AS inserted""",
        scope, sorted(terms))
    return [r["term"] for r in rows if r["inserted"]]


async def add_term_counts(conn: Conn, scopes: Sequence[int], terms: Sequence[str],
                          counts: Sequence[int]) -> list[str]:
    """:func:`add_terms` for many scopes and entries at once: each (scope, term) counted
    ``counts`` times more; returns the terms that have no deletion forms yet (new to every
    scope; exact under :func:`lock_vocabulary`)."""
    if not terms:
        return []
    rows = await conn.fetch(
        """WITH counted AS (
               INSERT INTO faq_terms (guild_id, term, entries)
               SELECT s, t, n FROM unnest($1::bigint[], $2::text[], $3::int[]) AS x(s, t, n)
               ORDER BY s, t
               ON CONFLICT (guild_id, term) DO UPDATE SET entries = faq_terms.entries + excluded.entries
               RETURNING term)
           SELECT DISTINCT c.term FROM counted c
           WHERE NOT EXISTS (SELECT 1 FROM faq_term_variants v WHERE v.term = c.term)""",
        list(scopes), list(terms), list(counts))
    return sorted(r["term"] for r in rows)


async def lock_vocabulary(conn: Conn) -> None:
    """Keep other writers off the vocabulary until this transaction ends (searches still
    read it): a bulk write then knows exactly which words have no deletion forms yet and
    may COPY them (measured 2x faster than INSERT ... ON CONFLICT). Both tables at once,
    in the order every writer touches them, so that no one waits on the other crosswise."""
    await conn.execute("LOCK TABLE faq_terms, faq_term_variants IN SHARE ROW EXCLUSIVE MODE")


async def copy_variants(conn: Conn, pairs: Sequence[tuple[str, str]]) -> None:
    """Pairs (variant, term) for terms that have none yet, with COPY: only under
    :func:`lock_vocabulary`, so that no other writer can have added them meanwhile."""
    if pairs:
        await conn.copy_records_to_table("faq_term_variants", records=pairs, columns=["variant", "term"])


async def add_variants(conn: Conn, variants: Sequence[str], terms: Sequence[str]) -> None:
    """Pairs (variant, term) of the deletion neighbourhood; known pairs are kept."""
    if variants:
        await conn.execute(
            """INSERT INTO faq_term_variants (variant, term)
               SELECT v, t FROM unnest($1::text[], $2::text[]) AS x(v, t)
               ON CONFLICT DO NOTHING""", list(variants), list(terms))


async def remove_terms(conn: Conn, scope: int, terms: Sequence[str]) -> None:
    """Count ``terms`` once less in ``scope``; forget words no entry uses any more."""
    if not terms:
        return
    ordered = sorted(terms)
    await conn.execute(
        """DELETE FROM faq_terms WHERE guild_id = $1 AND term = ANY($2::text[]) AND entries <= 1""", scope, ordered)
    await conn.execute(
        """UPDATE faq_terms SET entries = entries - 1 WHERE guild_id = $1 AND term = ANY($2::text[])""",
        scope, ordered)
    await conn.execute(
        """DELETE FROM faq_term_variants v WHERE v.term = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM faq_terms t WHERE t.term = v.term)""", ordered)


async def term_counts(conn: Conn, scopes: list[int], terms: Sequence[str]) -> list[asyncpg.Record]:
    """How many entries of ``scopes`` use each of ``terms`` (unknown terms are absent)."""
    return await conn.fetch(
        """SELECT term, sum(entries)::int AS entries FROM faq_terms
           WHERE guild_id = ANY($1::bigint[]) AND term = ANY($2::text[]) GROUP BY term""", scopes, list(terms))


async def neighbours(conn: Conn, scopes: list[int], forms: Sequence[str]) -> list[asyncpg.Record]:
    """Vocabulary words of ``scopes`` sharing a deletion form with the query words."""
    return await conn.fetch(
        """SELECT t.term, sum(t.entries)::int AS entries
           FROM faq_term_variants v JOIN faq_terms t ON t.term = v.term AND t.guild_id = ANY($1::bigint[])
           WHERE v.variant = ANY($2::text[])
           GROUP BY t.term""", scopes, list(forms))


async def trigram_neighbours(conn: Conn, scopes: list[int], words: Sequence[str]) -> list[asyncpg.Record]:
    """Vocabulary words similar to ``words`` by pg_trgm (only where the extension exists)."""
    return await conn.fetch(
        """SELECT DISTINCT t.term, t.entries
           FROM unnest($2::text[]) AS w(word)
           CROSS JOIN LATERAL (
               SELECT term, sum(entries)::int AS entries FROM faq_terms
               WHERE guild_id = ANY($1::bigint[]) AND term % w.word
               GROUP BY term ORDER BY max(similarity(term, w.word)) DESC LIMIT 8) AS t""",
        scopes, list(words))


async def pg_trgm_available(conn: Conn) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"))


async def pg_trgm_installed(conn: Conn) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"))


async def install_pg_trgm(conn: Conn) -> None:
    """Create the extension (needs the right to create extensions) and the trigram index."""
    if not await pg_trgm_installed(conn):
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    await trigram_index(conn)


async def trigram_index_exists(conn: Conn) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM pg_class WHERE relname = 'idx_faq_terms_trgm'"))


async def trigram_index(conn: Conn) -> None:
    await conn.execute("CREATE INDEX IF NOT EXISTS idx_faq_terms_trgm ON faq_terms USING gin (term gin_trgm_ops)")


# --- search ------------------------------------------------------------------------------

# $1 guild, $2 the words that select candidates (websearch syntax, plain words only),
# $3 every word (all must match for the bonus), $4 every word and near word (OR, for
# the rank), $5 keywords that select candidates, $6 keywords that earn the bonus,
# $7 candidate cap, $8 limit. Rank: full-text rank (title A > keywords B > summary C)
# + 1 when every word matches + 0.5 when a keyword is named. Only ids and scores of the
# candidates are carried to the sort; the texts are read for the winners alone. Each
# tsquery is a scalar subquery (an InitPlan): computed once per search, also under the
# generic plan PostgreSQL adopts for a prepared statement after five runs, where a bare
# websearch_to_tsquery($n) would be parsed again for every candidate row.
# {vector} is what candidates are selected on: the whole vector, or its title and keywords
# part alone (``ts_filter(..., '{a,b}')``, indexed by faq_0002_head_search) for the words
# so common that the whole vector's index would hand over most of the knowledge base.
_SEARCH = """
WITH ranked AS (
    SELECT e.id,
           ts_rank(e.tsv_{lang}, (SELECT websearch_to_tsquery('{lang}', $4)), 1)
           + CASE WHEN e.tsv_{lang} @@ (SELECT websearch_to_tsquery('{lang}', $3)) THEN 1.0 ELSE 0.0 END
           + CASE WHEN e.keywords && $6::text[] THEN 0.5 ELSE 0.0 END AS score
    FROM faq_entries e
    WHERE (e.guild_id = $1 OR e.guild_id IS NULL)
      AND ({vector} @@ (SELECT websearch_to_tsquery('{lang}', $2)) OR e.keywords && $5::text[])
    LIMIT $7
)
SELECT e.id, e.guild_id, e.title, e.summary, e.keywords, best.score, (SELECT count(*) FROM ranked) AS total
FROM (SELECT id, score FROM ranked ORDER BY score DESC, id LIMIT $8) AS best
JOIN faq_entries e ON e.id = best.id
ORDER BY best.score DESC, e.id
"""
SEARCH = {lang: _SEARCH.format(lang=lang, vector=f"e.tsv_{lang}") for lang in LANGUAGES}
SEARCH_HEAD = {lang: _SEARCH.format(lang=lang, vector=f"ts_filter(e.tsv_{lang}, '{{a,b}}')") for lang in LANGUAGES}


# Does an entry's title or keywords (weights A and B) contain every word of a topic?
_COVERS = """
SELECT e.id FROM faq_entries e
WHERE (e.guild_id = $1 OR e.guild_id IS NULL)
  AND (e.topic_key = $2
       OR (e.tsv_{lang} @@ (SELECT websearch_to_tsquery('{lang}', $2))
           AND ts_filter(e.tsv_{lang}, '{{a,b}}') @@ (SELECT websearch_to_tsquery('{lang}', $2))))
LIMIT 1
"""
COVERS = {lang: _COVERS.format(lang=lang) for lang in LANGUAGES}


async def search(conn: Conn, language: str, guild_id: int, *, select: str, every: str, rank: str,
                 select_keywords: list[str], bonus_keywords: list[str], cap: int,
                 limit: int, head: bool = False) -> list[asyncpg.Record]:
    """The best entries and how many candidates there were; with ``head`` the words
    select by titles and keywords only (see ``SEARCH_HEAD``)."""
    statement = (SEARCH_HEAD if head else SEARCH)[language]
    return await conn.fetch(statement, guild_id, select, every, rank, select_keywords, bonus_keywords, cap, limit)


async def covering_entry(conn: Conn, language: str, guild_id: int, topic: str) -> int | None:
    value: int | None = await conn.fetchval(COVERS[language], guild_id, topic)
    return value


# --- search logs -------------------------------------------------------------------------

async def log_search(conn: Conn, guild_id: int, user_id: int, query: str, results: int) -> None:
    await conn.execute(
        "INSERT INTO faq_search_logs (guild_id, user_id, query, results_count) VALUES ($1, $2, $3, $4)",
        guild_id, user_id, query, results)


async def search_totals(conn: Conn, guild_id: int, since: datetime | None) -> asyncpg.Record:
    row = await conn.fetchrow(
        """SELECT count(*) AS searches, count(*) FILTER (WHERE results_count = 0) AS empty,
                  count(DISTINCT user_id) AS people
           FROM faq_search_logs WHERE guild_id = $1 AND ($2::timestamptz IS NULL OR searched_at >= $2)""",
        guild_id, since)
    assert row is not None  # the statement returns its row or raises
    return row


async def top_queries(conn: Conn, guild_id: int, since: datetime | None, *, empty_only: bool,
                      limit: int = 10) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT lower(query) AS query, count(*) AS times, max(results_count) AS results
           FROM faq_search_logs
           WHERE guild_id = $1 AND ($2::timestamptz IS NULL OR searched_at >= $2)
             AND (NOT $3 OR results_count = 0)
           GROUP BY lower(query) ORDER BY count(*) DESC, lower(query) LIMIT $4""",
        guild_id, since, empty_only, limit)


# --- ticket summaries and proposals ------------------------------------------------------

async def record_summary(conn: Conn, guild_id: int, ticket_id: int, user_id: int | None, topic: str,
                         summary: str) -> None:
    """Idempotent: the same ticket announced twice counts once."""
    await conn.execute(
        """INSERT INTO faq_ticket_summaries (guild_id, ticket_id, user_id, similarity_key, summary)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (guild_id, ticket_id) DO NOTHING""",
        guild_id, ticket_id, user_id, topic, summary)


async def topic_summaries(conn: Conn, guild_id: int, topic: str, limit: int = 25) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT ticket_id, summary, created_at FROM faq_ticket_summaries
           WHERE guild_id = $1 AND similarity_key = $2 ORDER BY created_at, id LIMIT $3""",
        guild_id, topic, limit)


async def count_topic(conn: Conn, guild_id: int, topic: str) -> int:
    value: int = await conn.fetchval(
        "SELECT count(*) FROM faq_ticket_summaries WHERE guild_id = $1 AND similarity_key = $2", guild_id, topic)
    return value


async def proposal_for_topic(conn: Conn, guild_id: int, topic: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM faq_proposals WHERE guild_id = $1 AND similarity_key = $2", guild_id, topic)


async def claim_proposal(conn: Conn, guild_id: int, topic: str, channel_id: int) -> int | None:
    """Reserve the topic; ``None`` when it was proposed (or is being proposed) already."""
    value: int | None = await conn.fetchval(
        """INSERT INTO faq_proposals (guild_id, similarity_key, channel_id) VALUES ($1, $2, $3)
           ON CONFLICT (guild_id, similarity_key) DO NOTHING RETURNING id""",
        guild_id, topic, channel_id)
    return value


async def release_stale_proposal(conn: Conn, guild_id: int, topic: str, seconds: float) -> None:
    """A proposal left half-posted by a process that died: free its topic again."""
    await conn.execute(
        """DELETE FROM faq_proposals WHERE guild_id = $1 AND similarity_key = $2 AND status = 'posting'
           AND created_at < now() - make_interval(secs => $3)""", guild_id, topic, seconds)


async def release_proposal(conn: Conn, proposal_id: int, guild_id: int) -> None:
    """Posting failed: free the topic so that the next summary tries again."""
    await conn.execute("DELETE FROM faq_proposals WHERE id = $1 AND guild_id = $2 AND status = 'posting'",
                       proposal_id, guild_id)


async def proposal_posted(conn: Conn, proposal_id: int, guild_id: int, message_id: int) -> None:
    await conn.execute(
        "UPDATE faq_proposals SET status = 'open', message_id = $3 WHERE id = $1 AND guild_id = $2",
        proposal_id, guild_id, message_id)


async def save_draft(conn: Conn, proposal_id: int, guild_id: int, title: str, keywords: list[str],
                     summary: str, source: str) -> None:
    await conn.execute(
        """UPDATE faq_proposals SET draft_title = $3, draft_keywords = $4, draft_summary = $5, draft_source = $6
           WHERE id = $1 AND guild_id = $2""",
        proposal_id, guild_id, title, keywords, summary, source)


async def proposal(conn: Conn, proposal_id: int, guild_id: int, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT * FROM faq_proposals WHERE id = $1 AND guild_id = $2 {'FOR UPDATE' if lock else ''}",
        proposal_id, guild_id)


async def open_proposals(conn: Conn, guild_id: int, limit: int = 50) -> list[asyncpg.Record]:
    """A guild's proposals waiting for staff, oldest first, with how many tickets back each."""
    return await conn.fetch(
        """SELECT p.id, p.similarity_key, p.created_at, p.draft_title, p.draft_source,
                  (SELECT count(*) FROM faq_ticket_summaries s
                    WHERE s.guild_id = p.guild_id AND s.similarity_key = p.similarity_key) AS tickets
             FROM faq_proposals p WHERE p.guild_id = $1 AND p.status = 'open'
            ORDER BY p.created_at, p.id LIMIT $2""", guild_id, limit)


async def decide_proposal(conn: Conn, proposal_id: int, guild_id: int, status: str, user_id: int,
                          entry_id: int | None = None) -> asyncpg.Record | None:
    """Close an open proposal; ``None`` when it was not open (someone else was quicker)."""
    return await conn.fetchrow(
        """UPDATE faq_proposals SET status = $3, decided_by = $4, decided_at = now(), entry_id = $5
           WHERE id = $1 AND guild_id = $2 AND status = 'open' RETURNING *""",
        proposal_id, guild_id, status, user_id, entry_id)


# --- personal data -----------------------------------------------------------------------

async def user_search_logs(conn: Conn, user_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT guild_id, query, results_count, searched_at FROM faq_search_logs
           WHERE user_id = $1 ORDER BY searched_at, id""", user_id)


async def user_summaries(conn: Conn, user_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT guild_id, ticket_id, similarity_key, summary, created_at FROM faq_ticket_summaries
           WHERE user_id = $1 ORDER BY created_at, id""", user_id)


async def user_entries(conn: Conn, user_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, guild_id, title, created_at FROM faq_entries WHERE created_by = $1 ORDER BY id", user_id)


async def forget_user(conn: Conn, user_id: int, guild_id: int | None) -> int:
    """Delete the person's searches and ticket summaries; unlink them from what they wrote."""
    removed = 0
    for statement in (
        "DELETE FROM faq_search_logs WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2)",
        "DELETE FROM faq_ticket_summaries WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2)",
        "UPDATE faq_entries SET created_by = NULL WHERE created_by = $1 AND ($2::bigint IS NULL OR guild_id = $2)",
        "UPDATE faq_entries SET updated_by = NULL WHERE updated_by = $1 AND ($2::bigint IS NULL OR guild_id = $2)",
        "UPDATE faq_proposals SET decided_by = NULL WHERE decided_by = $1 AND ($2::bigint IS NULL OR guild_id = $2)",
    ):
        status = await conn.execute(statement, user_id, guild_id)
        removed += int(status.split()[-1])
    return removed


def rows(records: Sequence[Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in records]
