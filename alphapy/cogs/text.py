"""Showing text that came from people (setting values, names) safely in Discord.

Discord answers ``400 Invalid Form Body`` to a message whose content, embed or component
text is one character too long, so everything built from data goes through :func:`fit`
(one piece of text), :func:`fit_lines` (a list that may be cut) or :func:`fit_embed`
(a whole embed, including the 6000-character total). They cut where a reader expects a cut
(a line or a word) and never inside markup, where a cut would leave a half mention, a broken
link or bold that runs on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import discord

#: Discord's documented text limits (characters).
MESSAGE_CONTENT = 2000
EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
BUTTON_LABEL = 80
SELECT_OPTION_LABEL = 100
SELECT_OPTION_DESCRIPTION = 100
SELECT_OPTION_VALUE = 100
SELECT_PLACEHOLDER = 150
SELECT_OPTIONS = 25
MODAL_TITLE = 45
TEXT_INPUT_LABEL = 45
TEXT_INPUT_PLACEHOLDER = 100

ELLIPSIS = "…"


def escape(text: str, *, markdown: bool = True, mentions: bool = True) -> str:
    """Untrusted text shown as written: its markdown inert and its mentions unable to ping.

    ``markdown=False`` keeps the markdown (staff's own formatted text, or text inside a
    code span, where escapes would show); ``mentions=False`` keeps mentions working where
    they are meant to show as names (staff's text in an embed, which never pings). Nothing
    is cut: use :func:`safe` or :func:`fit` for that."""
    if markdown:
        text = discord.utils.escape_markdown(text)
    return discord.utils.escape_mentions(text) if mentions else text


def safe(text: str, limit: int = 100, *, keep_newlines: bool = False) -> str:
    """Untrusted text for a message: no markdown, no mentions, no control characters, short.

    Escaping comes before the cut so that the escapes count against the limit and a cut
    never separates a backslash from the character it escapes. ``keep_newlines`` keeps
    line breaks (a summary, a quoted message); otherwise they become spaces."""
    cleaned = "".join(ch if ch.isprintable() or (keep_newlines and ch == "\n") else " " for ch in text)
    return fit(escape(cleaned), limit)


def clip(text: str, limit: int) -> str:
    """Cut to Discord's field limits with an ellipsis (the same cut as :func:`fit`)."""
    return fit(text, limit)


# Markup a cut must not split. Atomic pieces are kept whole or dropped whole; paired
# markers (bold, code ...) may be cut inside, and are then closed again after the cut.
_ATOMIC = (
    r"\\.",                                                    # an escaped character
    r"<(?:@[!&]?\d+|#\d+|t:-?\d+(?::[tTdDfFR])?|a?:\w+:\d+|/[^<>:\n]+:\d+|https?://[^\s>]+)>",
    r"\[[^\]\n]*\]\([^)\s]*\)",                                # [label](url)
    r"https?://[^\s<>]+",                                     # a bare link
)
_PAIRED = ("```", "`", "**", "__", "~~", "||", "*", "_")
_TOKEN = re.compile("|".join(f"(?:{p})" for p in _ATOMIC) + "|" + "|".join(re.escape(m) for m in _PAIRED))


@dataclass(frozen=True)
class _Scan:
    """Where a cut may go in a text, and what would have to be closed after it."""

    #: positions strictly inside an atomic piece or a marker (a cut there is forbidden)
    inside: frozenset[int]
    #: for each position, the markers still open there (outermost first)
    open_at: tuple[tuple[str, ...], ...]
    #: start positions of markers that were closed later (the others are plain text)
    paired: frozenset[int]
    #: end positions of opening markers (a cut right after one would leave it empty)
    opened: frozenset[int]


def _scan(text: str, openers: frozenset[int] | None = None) -> _Scan:
    """One pass over the markup; ``openers`` limits opening to markers known to close."""
    inside: set[int] = set()
    open_at: list[tuple[str, ...]] = [()] * (len(text) + 1)
    paired: set[int] = set()
    opened: set[int] = set()
    stack: list[tuple[str, int]] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        start, end, token = match.start(), match.end(), match.group()
        current = tuple(marker for marker, _ in stack)
        for p in range(pos, end):
            open_at[p] = current
        inside.update(range(start + 1, end))
        pos = end
        if token not in _PAIRED:
            continue
        markers = [marker for marker, _ in stack]
        if token in markers and _may_close(text, end, token):
            while stack:
                marker, opened_at = stack.pop()
                paired.add(opened_at)
                if marker == token:
                    break
        elif stack and stack[-1][0] in ("`", "```"):
            continue
        elif (openers is None or start in openers) and _may_open(text, start, token):
            stack.append((token, start))
            opened.add(end)
    current = tuple(marker for marker, _ in stack)
    for p in range(pos, len(text) + 1):
        open_at[p] = current
    return _Scan(frozenset(inside), tuple(open_at), frozenset(paired), frozenset(opened))


def _may_open(text: str, start: int, token: str) -> bool:
    """A single star opens against a word ("*so*", not "5 * 3"), as in Discord's markdown;
    underscores inside a word (snake_case) are not emphasis."""
    end = start + len(token)
    if token == "*" and (end >= len(text) or text[end].isspace()):
        return False
    return not (token[0] == "_" and start > 0 and text[start - 1].isalnum())


def _may_close(text: str, end: int, token: str) -> bool:
    start = end - len(token)
    if token == "*" and (start == 0 or text[start - 1].isspace()):
        return False
    return not (token[0] == "_" and end < len(text) and text[end].isalnum())


def _end_of_words(text: str, cut: int) -> int:
    """Where ``text[:cut]`` ends once trailing whitespace is dropped."""
    while cut and text[cut - 1].isspace():
        cut -= 1
    return cut


def _markup(text: str) -> _Scan:
    """The scan in which only markers that really close count as open."""
    return _scan(text, _scan(text).paired)


def fit(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """``text`` if it fits in ``limit`` characters, else a prefix that ends at a line or
    a word, with the markup that was open there closed, and ``ellipsis``.

    A mention, timestamp, custom emoji, link or escaped character is never split: it is
    kept whole or left out whole. A cut prefers the end of a line when that loses little."""
    if len(text) <= limit:
        return text
    if limit <= len(ellipsis):
        return ellipsis[:limit]
    scan = _markup(text)

    def room(cut: int) -> bool:
        if cut in scan.inside or _end_of_words(text, cut) in scan.opened:
            return False
        return cut + sum(map(len, scan.open_at[cut])) + len(ellipsis) <= limit

    budget = limit - len(ellipsis)
    best_word = best_any = best_line = 0
    for cut in range(min(budget, len(text)), 0, -1):
        if not room(cut):
            continue
        best_any = best_any or cut
        if text[cut].isspace() or text[cut - 1].isspace():
            best_word = best_word or cut
        if text[cut] == "\n":
            best_line = cut
            break
        if best_word and cut < best_word * 0.8:
            break
    cut = best_line if best_line and best_line >= best_word * 0.8 else best_word
    if not cut or cut < best_any * 0.5:
        cut = best_any
    kept = text[:cut].rstrip()
    closing = "".join(reversed(scan.open_at[cut])) if cut else ""
    return kept + closing + ellipsis


def fit_lines(lines: Sequence[str], limit: int, *, more: str = "… and {n} more", sep: str = "\n",
              unshown: int = 0) -> str:
    """As many whole ``lines`` as fit in ``limit`` characters, then a "… and N more" line.

    ``unshown`` counts items that exist but were not passed (the rest of a page), so the
    "more" line covers them too. A single line too long on its own is cut with :func:`fit`,
    so the result always says something and always fits."""
    items = list(lines)
    if unshown:
        items.append(more.format(n=unshown))
    text = sep.join(items)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        remaining = len(lines) - index + unshown
        cost = len(line) + (len(sep) if kept else 0)
        after = remaining - 1
        tail = sep + more.format(n=after) if after else ""
        if used + cost + len(tail) <= limit:
            kept.append(line)
            used += cost
            continue
        if not kept:
            room = limit - (len(sep) + len(more.format(n=after)) if after else 0)
            if room > len(ELLIPSIS):
                kept.append(fit(line, room))
                used = len(kept[0])
                remaining = after
            if not remaining:
                return sep.join(kept)
        tail = more.format(n=remaining)
        while kept and used + len(sep) + len(tail) > limit:
            used -= len(kept.pop()) + (len(sep) if kept else 0)
            remaining += 1
            tail = more.format(n=remaining)
        return sep.join([*kept, tail]) if kept else fit(tail, limit)
    return sep.join(kept)


def embed_length(embeds: Iterable[discord.Embed]) -> int:
    """The text Discord counts against the 6000 characters of a message's embeds."""
    return sum(len(embed) for embed in embeds)


def fit_embed(embed: discord.Embed, *, budget: int = EMBED_TOTAL) -> discord.Embed:
    """``embed`` cut, in place, to every limit Discord puts on an embed.

    Each part is cut to its own limit; fields past the 25th are dropped (the last kept
    field says how many); empty field names and values get a dash (Discord refuses them);
    then, while the whole is over ``budget``, the longest part is cut. Returned for
    chaining."""
    if embed.title:
        embed.title = fit(embed.title, EMBED_TITLE)
    if embed.description:
        embed.description = fit(embed.description, EMBED_DESCRIPTION)
    if embed.footer.text:
        embed.set_footer(text=fit(embed.footer.text, EMBED_FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(name=fit(embed.author.name, EMBED_AUTHOR), url=embed.author.url,
                         icon_url=embed.author.icon_url)
    fields = [(field.name, field.value, field.inline) for field in embed.fields]
    dropped = max(0, len(fields) - EMBED_FIELDS)
    if dropped:
        fields = fields[: EMBED_FIELDS]
        last_name, _, last_inline = fields[-1]
        fields[-1] = (last_name, f"… and {dropped + 1} more", last_inline)
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(name=fit(name or "—", EMBED_FIELD_NAME),
                        value=fit(value or "—", EMBED_FIELD_VALUE), inline=bool(inline))
    _shrink_to(embed, budget)
    return embed


def fit_embeds(embeds: Sequence[discord.Embed]) -> list[discord.Embed]:
    """Several embeds of one message, sharing Discord's 6000 characters fairly."""
    embeds = [fit_embed(embed) for embed in embeds]
    total = embed_length(embeds)
    if total > EMBED_TOTAL:
        for embed in embeds:
            share = EMBED_TOTAL * len(embed) // total
            _shrink_to(embed, share)
    return embeds


_MIN_PART = 40  # never cut a part shorter than this while a longer one can give


def _shrink_to(embed: discord.Embed, budget: int) -> None:
    while (excess := len(embed) - budget) > 0:
        parts: list[tuple[int, str, int]] = []  # (length, which, field index)
        if embed.description:
            parts.append((len(embed.description), "description", -1))
        for index, field in enumerate(embed.fields):
            parts.append((len(field.value or ""), "value", index))
            parts.append((len(field.name or ""), "name", index))
        if embed.footer.text:
            parts.append((len(embed.footer.text), "footer", -1))
        if embed.title:
            parts.append((len(embed.title), "title", -1))
        if embed.author.name:
            parts.append((len(embed.author.name), "author", -1))
        if not parts:
            return
        length, which, index = max(parts)
        target = max(length - excess, min(_MIN_PART, length - 1), 1)
        if length <= 1:  # every part is down to a character: only dropping fields can help
            if not embed.fields:
                return
            embed.remove_field(len(embed.fields) - 1)
            continue
        if which == "description":
            embed.description = fit(embed.description or "", target)
        elif which == "footer":
            embed.set_footer(text=fit(embed.footer.text or "", target), icon_url=embed.footer.icon_url)
        elif which == "title":
            embed.title = fit(embed.title or "", target)
        elif which == "author":
            embed.set_author(name=fit(embed.author.name or "", target), url=embed.author.url,
                             icon_url=embed.author.icon_url)
        else:
            field = embed.fields[index]
            name, value = field.name or "—", field.value or "—"
            if which == "value":
                value = fit(value, target)
            else:
                name = fit(name, target)
            embed.set_field_at(index, name=name, value=value, inline=bool(field.inline))
