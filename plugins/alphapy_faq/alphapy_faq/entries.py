"""Writing entries: validation, and the vocabulary kept in step in the same transaction.

Staff (through Discord) and operators (through ``alphapy faq``) both come here, so an
entry is checked the same way whichever door it used, and the words typo correction
relies on never drift from the entries they came from.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from alphapy_faq import store
from alphapy_faq.text import MAX_KEYWORDS, clean, deletions, parse_keywords, vocabulary

TITLE_MAX = 100
SUMMARY_MAX = 4000


class EntryError(ValueError):
    """The entry cannot be written; the message says why, for a person to read."""


@dataclass(frozen=True)
class Draft:
    """A validated entry, ready to be written."""

    title: str
    summary: str
    keywords: list[str]

    @classmethod
    def parse(cls, title: str, summary: str, keywords: str | list[str]) -> Draft:
        title = clean(title or "", TITLE_MAX + 1)
        if not title:
            raise EntryError("An FAQ entry needs a title.")
        if len(title) > TITLE_MAX:
            raise EntryError(f"A title can be at most {TITLE_MAX} characters.")
        summary = "\n".join(line.rstrip() for line in (summary or "").replace("\r\n", "\n").split("\n"))
        summary = "".join(ch for ch in summary if ch == "\n" or ch.isprintable()).strip()
        if not summary:
            raise EntryError("An FAQ entry needs an answer.")
        if len(summary) > SUMMARY_MAX:
            raise EntryError(f"An answer can be at most {SUMMARY_MAX} characters.")
        words = parse_keywords(keywords if isinstance(keywords, str) else ",".join(keywords))
        if len(words) > MAX_KEYWORDS:
            raise EntryError(f"An entry can have at most {MAX_KEYWORDS} keywords.")
        return cls(title, summary, words)


def scope_of(guild_id: int | None) -> int:
    return store.GLOBAL_SCOPE if guild_id is None else guild_id


def _terms(record: Any) -> set[str]:
    return vocabulary(record["title"], record["summary"], record["keywords"] or [])


async def _count_words(conn: store.Conn, guild_id: int | None, added: set[str], removed: set[str]) -> None:
    scope = scope_of(guild_id)
    await store.remove_terms(conn, scope, sorted(removed - added))
    new = await store.add_terms(conn, scope, sorted(added - removed))
    # In key order, so that two writers adding the same new words never wait on each other crosswise.
    pairs = sorted((variant, term) for term in new for variant in deletions(term))
    await store.add_variants(conn, [p[0] for p in pairs], [p[1] for p in pairs])


async def add(conn: store.Conn, guild_id: int | None, draft: Draft, by: int | None,
              topic_key: str | None = None) -> asyncpg.Record:
    async with conn.transaction():
        if await store.entry_by_title(conn, guild_id, draft.title) is not None:
            raise EntryError(f"There is already an entry titled “{draft.title}” here; edit that one instead.")
        try:
            record = await store.insert_entry(conn, guild_id, draft.title, draft.summary, draft.keywords, by,
                                              topic_key)
        except asyncpg.UniqueViolationError:  # written by someone else a moment ago
            raise EntryError(f"There is already an entry titled “{draft.title}” here; edit that one instead.") from None
        await _count_words(conn, guild_id, _terms(record), set())
        return record


def _count_vocabulary(items: Sequence[tuple[int | None, Draft]]) -> tuple[Counter[tuple[int, str]], dict[str, set[str]]]:
    """How many entries of each scope use each word, and every word's deletion forms:
    pure Python, so :func:`add_many` runs it in a thread while the server writes the rows."""
    counts: Counter[tuple[int, str]] = Counter()
    for guild_id, draft in items:
        scope = scope_of(guild_id)
        counts.update((scope, term) for term in _terms(
            {"title": draft.title, "summary": draft.summary, "keywords": draft.keywords}))
    forms = {term: deletions(term) for term in {term for _, term in counts}}
    return counts, forms


async def add_many(conn: store.Conn, items: Sequence[tuple[int | None, Draft]], by: int | None = None) -> int:
    """Write many new entries at once (a migration from another bot, a bench's knowledge
    base): COPY instead of one statement per entry, the vocabulary counted in Python
    with the same :func:`_terms` and :func:`deletions` as :func:`add`, and written in one
    statement per table (other writers of entries wait for the vocabulary meanwhile;
    searches do not). All or nothing; a title already taken in its scope fails the
    whole batch (the unique index), so check first when that can happen. Returns how many
    entries were written.

    The counting needs nothing from the database, so it runs in a thread while the COPY
    (the server's work: search vectors, indexes) is under way: on two cores the two
    overlap instead of adding up."""
    async with conn.transaction():
        counting = asyncio.ensure_future(asyncio.to_thread(_count_vocabulary, items))
        try:
            await store.copy_entries(conn, [(guild_id, d.title, d.summary, d.keywords, by) for guild_id, d in items])
        finally:
            counts, forms = await counting  # never leave the thread's result (or error) behind
        keys = sorted(counts)
        await store.lock_vocabulary(conn)
        new = await store.add_term_counts(conn, [k[0] for k in keys], [k[1] for k in keys],
                                          [counts[k] for k in keys])
        await store.copy_variants(conn, sorted((variant, term) for term in new for variant in forms[term]))
    return len(items)


async def edit(conn: store.Conn, entry_id: int, guild_id: int | None, draft: Draft,
               by: int | None) -> asyncpg.Record | None:
    """``None`` when this scope has no such entry."""
    async with conn.transaction():
        before = await store.entry_in_scope(conn, entry_id, guild_id, lock=True)
        if before is None:
            return None
        clash = await store.entry_by_title(conn, guild_id, draft.title)
        if clash is not None and clash["id"] != entry_id:
            raise EntryError(f"Entry #{clash['id']} already has the title “{draft.title}”.")
        try:
            after = await store.update_entry(conn, entry_id, guild_id, draft.title, draft.summary, draft.keywords, by)
        except asyncpg.UniqueViolationError:
            raise EntryError(f"Another entry already has the title “{draft.title}”.") from None
        await _count_words(conn, guild_id, _terms(after), _terms(before))
        return after


async def remove(conn: store.Conn, entry_id: int, guild_id: int | None) -> asyncpg.Record | None:
    async with conn.transaction():
        removed = await store.delete_entry(conn, entry_id, guild_id)
        if removed is not None:
            await _count_words(conn, guild_id, set(), _terms(removed))
        return removed
