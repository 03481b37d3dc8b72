"""Searching the FAQ: full text in the guild's language, keywords, and typo tolerance.

A search is two to four indexed queries on one connection:

1. how many entries of the guild and the global scope use each query word
   (``faq_terms``). A word no entry uses is looked up by its deletion forms
   (``faq_term_variants``: exact for every word within the allowed edits) and searched
   together with its nearest known word within one edit (two for words of eight letters
   or more), checked in Python with the optimal string alignment distance;
2. the entries are matched with ``websearch_to_tsquery`` on the weighted vector of the
   guild's language, or on the keyword array, and ranked in SQL: any word may match,
   entries with every word and named keywords rank higher.

Speed at scale comes from choosing the candidates well: a word that a great many entries
use (``COMMON``, the knowledge base's own stop words) still counts in the rank but does
not pull candidates in while rarer words are there; a query of common words only needs
all of them, and takes its candidates from titles and keywords first (the small
``ts_filter(..., '{a,b}')`` indexes); and no more than ``CANDIDATES`` entries are ever
ranked.

When nothing matches, near words too uncertain to apply on their own (short words,
one edit further) become "did you mean" suggestions, each checked to find something.
Where the server has pg_trgm, its similarity search widens that net (words three edits
away that share most of their trigrams, "authentifikation" -> "authentication").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from alphapy import get_logger
from alphapy_faq import store
from alphapy_faq.text import (
    MAX_QUERY_CHARS,
    VOCABULARY_MIN_CHARS,
    allowed_distance,
    bigrams,
    clean,
    deletions,
    edit_distance,
    query_terms,
)

log = get_logger("alphapy.plugins.faq")

DEFAULT_LIMIT = 5
MAX_SUGGESTIONS = 3
COMMON = 250  # a word more entries than this use does not select candidates while rarer words are there
CANDIDATES = 1000  # at most this many matching entries are ranked (the rest of a flood is not read)
HEAD_CANDIDATES = 200  # the same for common words matched by title and keywords (all rank high)


@dataclass(frozen=True)
class Hit:
    id: int
    guild_id: int | None
    title: str
    summary: str
    keywords: list[str]
    score: float


@dataclass
class SearchResult:
    query: str  # the query as searched (cleaned, possibly shortened)
    terms: list[str]
    expansions: dict[str, str] = field(default_factory=dict)  # unknown word -> nearest known word, searched too
    hits: list[Hit] = field(default_factory=list)
    total: int = 0  # every match, of which ``hits`` are the best (at most the candidate cap)
    capped: bool = False  # more entries match than ``total``: the candidates were cut at a cap
    suggestions: list[str] = field(default_factory=list)  # "did you mean" queries

    @property
    def corrections(self) -> dict[str, str]:
        """Expansions worth telling the member: real typos, not another form of the
        same word ("passwords" -> "password"), which stemming covers anyway."""
        return {typed: used for typed, used in self.expansions.items()
                if not (used.startswith(typed) or typed.startswith(used))}


@dataclass(frozen=True)
class Options:
    language: str = "english"
    limit: int = DEFAULT_LIMIT
    trigram: bool = False  # pg_trgm is installed: use it as a second source of near words
    typos: bool = True  # look for near words at all (off: words must match as the language forms them)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


async def _near(conn: store.Conn, scopes: list[int], terms: list[str], *, trigram: bool = False) -> dict[str, int]:
    """Known words near ``terms``, with how many entries use them: those sharing a
    deletion form (exact within the allowed edits), and with ``trigram`` also those
    pg_trgm finds similar (further away: only ever offered as "did you mean")."""
    lookup = [t for t in terms if len(t) >= VOCABULARY_MIN_CHARS]
    if not lookup:
        return {}
    forms = set().union(*(deletions(t) for t in lookup))
    near = {r["term"]: r["entries"] for r in await store.neighbours(conn, scopes, sorted(forms))}
    if trigram:
        for r in await store.trigram_neighbours(conn, scopes, lookup):
            near.setdefault(r["term"], r["entries"])
    return near


def _ranked(term: str, near: dict[str, int], limit: int) -> list[str]:
    """Known words within ``limit`` edits of ``term``: nearest first, then most used."""
    scored = []
    for candidate, entries in near.items():
        if candidate == term:
            continue
        distance = edit_distance(term, candidate, limit)
        if distance <= limit:
            scored.append((distance, -entries, candidate))
    return [candidate for *_, candidate in sorted(scored)]


def _common(terms: list[str], expansions: dict[str, str], uses: dict[str, int]) -> set[str]:
    """The words too many entries use to pick candidates by (the knowledge base's stop words)."""
    return {w for t in terms for w in (t, expansions.get(t, t)) if uses.get(expansions.get(t, t), 0) > COMMON}


async def _match(conn: store.Conn, guild_id: int, terms: list[str], expansions: dict[str, str],
                 common: set[str], options: Options) -> tuple[list[asyncpg.Record], int, bool]:
    """Rank the entries for ``terms`` (each also searched as its expansion, if any): the
    best, how many matched, and whether the candidates were cut at a cap (then more
    entries match than were ranked).

    Candidates come from the words not in ``common``; when every word is common, from
    entries that have them all: first those with them in the title or keywords (which rank
    highest: see faq_0002_head_search), then, only if those are too few, any entry, the
    title and keyword matches kept in any case.
    """
    used = [expansions.get(t, t) for t in terms]
    every_word = _unique(terms + used)
    rare = [w for w in every_word if w not in common]
    select = " or ".join(rare) if rare else " ".join(used)
    pairs = bigrams(terms) + bigrams(used)
    arguments: dict[str, Any] = dict(
        select=select, every=" ".join(used), rank=" or ".join(every_word),
        select_keywords=_unique(rare + pairs), bonus_keywords=_unique(every_word + pairs), limit=options.limit)
    head: list[asyncpg.Record] = []
    if not rare:
        head = await store.search(conn, options.language, guild_id, cap=HEAD_CANDIDATES, head=True, **arguments)
        if len(head) >= options.limit:
            return head, head[0]["total"], head[0]["total"] >= HEAD_CANDIDATES
    rows = await store.search(conn, options.language, guild_id, cap=CANDIDATES, **arguments)
    total = rows[0]["total"] if rows else 0
    capped = total >= CANDIDATES
    if head:  # the few title and keyword matches stay, whichever entries the cap let through
        merged = {r["id"]: r for r in [*rows, *head]}
        rows = sorted(merged.values(), key=lambda r: (-r["score"], r["id"]))[:options.limit]
    return rows, total, capped


async def search(conn: store.Conn, guild_id: int, query: str, options: Options = Options()) -> SearchResult:
    """The best entries for ``query`` among the guild's own and the global ones."""
    if options.language not in store.LANGUAGES:
        raise ValueError(f"unsupported search language {options.language!r}")
    cleaned = clean(query, MAX_QUERY_CHARS)
    result = SearchResult(cleaned, query_terms(cleaned))
    if not result.terms:
        return result
    scopes = [store.GLOBAL_SCOPE, guild_id]
    uses = {r["term"]: r["entries"] for r in await store.term_counts(conn, scopes, result.terms)}
    unknown = [t for t in result.terms if t not in uses]
    near: dict[str, int] = {}
    if options.typos and any(allowed_distance(t) for t in unknown):
        near = await _near(conn, scopes, [t for t in unknown if allowed_distance(t)])
        for term in unknown:
            best = _ranked(term, near, allowed_distance(term)) if allowed_distance(term) else []
            if best:
                result.expansions[term] = best[0]
                uses[best[0]] = near[best[0]]
    common = _common(result.terms, result.expansions, uses)
    rows, result.total, result.capped = await _match(conn, guild_id, result.terms, result.expansions, common,
                                                     options)
    if not rows and common:  # the rarer words found nothing: let the common ones pick after all
        rows, result.total, result.capped = await _match(conn, guild_id, result.terms, result.expansions, set(),
                                                         options)
    if not rows:
        result.expansions = {}
        if options.typos and unknown:
            result.suggestions = await _suggestions(conn, guild_id, result.terms, unknown, near, options)
    result.hits = [Hit(r["id"], r["guild_id"], r["title"], r["summary"], list(r["keywords"] or []),
                       float(r["score"])) for r in rows]
    return result


async def _suggestions(conn: store.Conn, guild_id: int, terms: list[str], unknown: list[str],
                       near: dict[str, int], options: Options) -> list[str]:
    """Queries one edit further that do find something ("did you mean ...?")."""
    again = [t for t in unknown if options.trigram or not allowed_distance(t)]
    if again:
        near = {**near, **await _near(conn, [store.GLOBAL_SCOPE, guild_id], again, trigram=options.trigram)}
    alternatives: dict[str, list[str]] = {}
    for term in unknown:
        found = _ranked(term, near, allowed_distance(term) + 1)
        if found:
            alternatives[term] = found[:MAX_SUGGESTIONS]
    if not alternatives:
        return []
    first = next(iter(alternatives))
    suggestions: list[str] = []
    for option in alternatives[first]:
        replaced = {t: (option if t == first else words[0]) for t, words in alternatives.items()}
        check = Options(options.language, 1, typos=False)
        if (await _match(conn, guild_id, terms, replaced, set(), check))[0]:
            suggestions.append(" ".join(replaced.get(t, t) for t in terms))
    return suggestions


def like_pattern(text: str) -> str:
    """``text`` with LIKE's wildcards and escape character taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def titles(conn: store.Conn, guild_id: int, typed: str, *, own: bool = False,
                 limit: int = 25) -> list[asyncpg.Record]:
    """Titles for autocomplete: containing what was typed, those starting with it first."""
    typed = like_pattern(clean(typed, 100))
    return await store.titles_like(conn, guild_id, f"%{typed}%", f"{typed}%", own=own, limit=limit)


async def prepare_trigram(db: Any) -> bool:
    """Use pg_trgm where the server has it: create it if allowed, else do without.

    The migration never needs it (the embedded server ships no contrib extensions);
    this runs at start, and any refusal (no extension, no right to create it) simply
    leaves typo tolerance to the deletion neighbourhood.
    """
    try:
        async with db.acquire() as conn:
            if not await store.pg_trgm_available(conn):
                return False
            await store.install_pg_trgm(conn)
            return True
    except asyncpg.PostgresError as exc:  # not permitted, or another process is creating it
        log.info("faq.pg_trgm_install_skipped", reason=str(exc).splitlines()[0])
    async with db.acquire() as conn:
        return await store.pg_trgm_installed(conn) and await store.trigram_index_exists(conn)
