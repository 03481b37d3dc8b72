"""Discord's message markdown as safe HTML, rendered on the server.

Everything a message says is escaped first; only a fixed set of tags is then added
(bold, italic, underline, strikethrough, code, quotes, links with an http(s) address), so
a message cannot inject markup into the page. Mentions and ``<t:...>`` timestamps are
resolved against the emulator's state, the way a Discord client shows names instead of ids.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

from markupsafe import Markup

#: one alternative per token that must not be touched by emphasis: code first
_TOKENS = re.compile(
    r"(?P<escape>\\[\\*_~`|>#\[\]()<:-])"
    r"|(?P<block>```(?:[\w+-]*\n)?(?P<block_body>[\s\S]*?)```)"
    r"|(?P<code>`(?P<code_body>[^`\n]+)`)"
    r"|(?P<user><@!?(?P<user_id>\d+)>)"
    r"|(?P<role><@&(?P<role_id>\d+)>)"
    r"|(?P<channel><#(?P<channel_id>\d+)>)"
    r"|(?P<time><t:(?P<unix>-?\d{1,12})(?::(?P<style>[tTdDfFR]))?>)"
    r"|(?P<link>\[(?P<link_text>[^\]\n]{1,200})\]\((?P<link_url>https?://[^)\s]+)\))"
    r"|(?P<url>https?://[^\s<>()]+)"
)
_EMPHASIS = [
    (re.compile(r"\*\*(.+?)\*\*", re.S), "strong"),
    (re.compile(r"__(.+?)__", re.S), "u"),
    (re.compile(r"~~(.+?)~~", re.S), "s"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", re.S), "em"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])", re.S), "em"),
]
_TIME_FORMATS = {"t": "%H:%M", "T": "%H:%M:%S", "d": "%d/%m/%Y", "D": "%d %B %Y", "f": "%d %B %Y %H:%M",
                 "F": "%A, %d %B %Y %H:%M", "R": "%d %B %Y %H:%M"}

Names = Callable[[str, int], str | None]


def render_markdown(text: str, names: Names) -> Markup:
    """``text`` as HTML; ``names(kind, id)`` gives a user's, role's or channel's name
    (``kind`` is ``"user"``, ``"role"`` or ``"channel"``), None when unknown."""
    out: list[str] = []
    position = 0
    for token in _TOKENS.finditer(text):
        out.append(_plain(text[position:token.start()]))
        out.append(_token(token, names))
        position = token.end()
    out.append(_plain(text[position:]))
    return Markup("".join(out))


def _plain(text: str) -> str:
    if not text:
        return ""
    lines = []
    for line in html.escape(text, quote=False).split("\n"):
        if line.startswith("&gt; "):
            line = f'<span class="quote">{line[5:]}</span>'
        elif (heading := re.match(r"(#{1,3}) (.+)", line)) is not None:
            line = f'<span class="h{len(heading[1])}">{heading[2]}</span>'
        lines.append(line)
    escaped = "<br>".join(lines)
    for pattern, tag in _EMPHASIS:
        escaped = pattern.sub(rf"<{tag}>\1</{tag}>", escaped)
    return escaped


def _token(token: re.Match[str], names: Names) -> str:
    if token["escape"] is not None:  # "\*" shows a literal star, as in Discord
        return html.escape(token["escape"][1])
    if token["block"] is not None:
        return f"<pre><code>{html.escape(token['block_body'])}</code></pre>"
    if token["code"] is not None:
        return f"<code>{html.escape(token['code_body'])}</code>"
    if token["user"] is not None:
        name = names("user", int(token["user_id"]))
        return f'<span class="mention">@{html.escape(name or "unknown-user")}</span>'
    if token["role"] is not None:
        name = names("role", int(token["role_id"]))
        return f'<span class="mention">@{html.escape(name or "deleted-role")}</span>'
    if token["channel"] is not None:
        name = names("channel", int(token["channel_id"]))
        return f'<span class="mention">#{html.escape(name or "unknown")}</span>'
    if token["time"] is not None:
        return _timestamp(int(token["unix"]), token["style"] or "f")
    if token["link"] is not None:
        url = html.escape(token["link_url"], quote=True)
        return f'<a href="{url}" rel="noopener noreferrer" target="_blank">{html.escape(token["link_text"])}</a>'
    url = html.escape(token["url"], quote=True)
    return f'<a href="{url}" rel="noopener noreferrer" target="_blank">{url}</a>'


def _timestamp(unix: int, style: str) -> str:
    try:
        moment = datetime.fromtimestamp(unix, UTC)
    except (OverflowError, OSError, ValueError):
        return html.escape(f"<t:{unix}:{style}>")
    shown = moment.strftime(_TIME_FORMATS.get(style, _TIME_FORMATS["f"])) + " UTC"
    return f'<time class="stamp" datetime="{moment.isoformat()}">{html.escape(shown)}</time>'
