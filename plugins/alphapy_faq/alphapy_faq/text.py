"""Words: how queries, entries and keywords are cut into terms, and how close two terms are.

Pure functions, no database and no Discord, so that the search's behaviour on odd input
(operators, quotes, backslashes, emoji, 1,000 characters) is decided in one small place.
A query never reaches PostgreSQL as query syntax: it is reduced to plain words here and
only then handed to ``websearch_to_tsquery``, which accepts any text without error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

MAX_QUERY_CHARS = 300  # longer input (a pasted log) is searched by its beginning
MAX_QUERY_TERMS = 16
MAX_TERM_CHARS = 40
VOCABULARY_MIN_CHARS = 3  # shorter words are never typo-corrected, so not worth indexing
VOCABULARY_MAX_CHARS = 32
CORRECT_MIN_CHARS = 4  # "vpm" -> "vpn" is suggested, never applied silently
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 40

_WORD = re.compile(r"[^\W_]+")


def clean(text: str, limit: int) -> str:
    """One line of printable text: control characters become spaces, runs collapse."""
    printable = "".join(ch if ch.isprintable() else " " for ch in unicodedata.normalize("NFC", text))
    return " ".join(printable.split())[:limit]


def words(text: str) -> list[str]:
    """Lower-case letters-and-digits runs: what both sides of the search agree a word is."""
    return [w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", text))]


def query_terms(query: str) -> list[str]:
    """The distinct words of a query, in order, bounded in number and length."""
    seen: dict[str, None] = {}
    for word in words(query):
        if len(word) <= MAX_TERM_CHARS:
            seen.setdefault(word, None)
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return list(seen)


def keyword(text: str) -> str:
    """A keyword as stored and matched: its words joined by single spaces ("2-FA" -> "2 fa")."""
    return " ".join(words(text))[:MAX_KEYWORD_CHARS].strip()


def parse_keywords(text: str) -> list[str]:
    """Comma- or newline-separated keywords, normalised, without duplicates or empties."""
    found: dict[str, None] = {}
    for part in re.split(r"[,;\n]", text):
        normalised = keyword(part)
        if normalised:
            found.setdefault(normalised, None)
    return list(found)


def vocabulary(title: str, summary: str, keywords: Iterable[str]) -> set[str]:
    """The words of an entry that typo correction may correct a query word into."""
    text = " ".join([title, summary, *keywords])
    return {w for w in words(text)
            if VOCABULARY_MIN_CHARS <= len(w) <= VOCABULARY_MAX_CHARS and not w.isdigit()}


def deletions(term: str) -> set[str]:
    """The term and every form of it with up to ``allowed_distance`` characters deleted
    (one for most words, two for long ones; short words still get one, for suggestions).

    Two words within that many edits (insertions, deletions, substitutions, adjacent
    swaps) always share one of these forms, so an exact lookup of the query word's
    forms finds its neighbours without scanning the vocabulary (SymSpell's idea).
    """
    forms = {term}
    frontier = {term}
    for _ in range(max(1, allowed_distance(term))):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        forms |= frontier
    return forms


def allowed_distance(term: str) -> int:
    """How many edits a query word may be away from the word it is corrected to."""
    if len(term) < CORRECT_MIN_CHARS:
        return 0
    return 1 if len(term) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Damerau-Levenshtein without re-editing),
    or ``limit + 1`` as soon as the words are known to be further apart than ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1] if previous[-1] <= limit else limit + 1


def bigrams(terms: list[str]) -> list[str]:
    """Neighbouring word pairs ("money back"), so that two-word keywords match as such."""
    return [f"{a} {b}" for a, b in pairwise(terms)]


def topic_key(raw: object) -> str:
    """A similarity key as this plugin stores it: lower-case words, single spaces."""
    return " ".join(words(str(raw or "")))[:100].strip()
