"""The HTML transcript posted to ``tickets.log_channel`` before a ticket's channel is deleted.

Everything people wrote is escaped (``html.escape`` with quotes), and the page forbids
scripts and remote content through its Content-Security-Policy, so a transcript opened in a
browser shows text and nothing else. Attachments are listed by name and size: their
Discord CDN links expire, so linking them would only produce dead links later.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from alphapy_tickets.lifecycle import LABELS, Ticket

MAX_MESSAGES = 5_000  # a transcript stays a readable file, not a dump


@dataclass(frozen=True)
class Line:
    """One message of the ticket's channel, as the transcript shows it."""

    author: str
    author_id: int
    bot: bool
    created_at: datetime
    content: str
    embeds: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)  # title, text, fields
    attachments: list[tuple[str, int]] = field(default_factory=list)  # filename, bytes


_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#f6f6f8;color:#1e1f22}
header{background:#2b2d31;color:#fff;padding:18px 24px}header h1{margin:0 0 6px;font-size:20px}
header dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;margin:0;font-size:13px}
header dt{opacity:.7}main{padding:12px 24px}
.m{background:#fff;border-radius:8px;padding:8px 12px;margin:8px 0;box-shadow:0 1px 1px #0001}
.m.bot{background:#eef0ff}.who{font-weight:600}.when{color:#6d6f78;font-size:12px;margin-left:8px}
.text{white-space:pre-wrap;word-wrap:break-word;margin-top:2px}
.embed{border-left:4px solid #5865f2;padding:4px 10px;margin-top:6px;background:#f2f3f5}
.embed .t{font-weight:600}.file{color:#4e5058;font-size:13px;margin-top:4px}
footer{color:#6d6f78;font-size:12px;padding:8px 24px 24px}
"""


def _e(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} bytes"


def render(ticket: Ticket, *, guild_name: str, lines: list[Line], timezone: str,
           staff_names: dict[int, str] | None = None, truncated: bool = False) -> str:
    """The transcript as one self-contained HTML page (times in the guild's timezone)."""
    tz = ZoneInfo(timezone)
    names = staff_names or {}

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %Z") if moment else "—"

    def person(user_id: int | None) -> str:
        if user_id is None:
            return "—"
        return f"{_e(names.get(user_id, 'user'))} ({user_id})"

    facts = [
        ("Server", _e(guild_name)),
        ("Opened by", f"{_e(ticket.username or 'unknown')} ({ticket.user_id})"),
        ("Opened", _e(when(ticket.created_at))),
        ("Status", _e(LABELS[ticket.status])),
        ("Claimed by", person(ticket.claimed_by)),
        ("Escalated to", f"role {ticket.escalated_to}" if ticket.escalated_to else "—"),
        ("Closed", _e(when(ticket.closed_at))),
        ("Closed by", person(ticket.closed_by) if ticket.closed_by else ("the bot" if ticket.closed_at else "—")),
        ("Reason", _e(ticket.close_reason or "—")),
        ("Archived", _e(when(ticket.archived_at))),
        ("Archived by", person(ticket.archived_by)),
        ("Timezone", _e(timezone)),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Ticket #{ticket.id} — {_e(guild_name)}</title><style>{_STYLE}</style></head><body>",
        f"<header><h1>Ticket #{ticket.id}</h1><dl>",
        *(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts),
        "</dl></header><main>",
        f'<section class="m"><div class="who">Description</div><div class="text">{_e(ticket.description)}</div></section>',
    ]
    for line in lines:
        out.append(f'<section class="m{" bot" if line.bot else ""}">')
        out.append(f'<span class="who">{_e(line.author)}</span>'
                   f'<span class="when">{_e(when(line.created_at))} · {line.author_id}</span>')
        if line.content:
            out.append(f'<div class="text">{_e(line.content)}</div>')
        for title, text, embed_fields in line.embeds:
            out.append('<div class="embed">')
            if title:
                out.append(f'<div class="t">{_e(title)}</div>')
            if text:
                out.append(f'<div class="text">{_e(text)}</div>')
            for name, value in embed_fields:
                out.append(f'<div class="text"><b>{_e(name)}</b>: {_e(value)}</div>')
            out.append("</div>")
        for filename, size in line.attachments:
            out.append(f'<div class="file">📎 {_e(filename)} ({_size(size)}; not kept)</div>')
        out.append("</section>")
    note = f" (the first {MAX_MESSAGES} are shown)" if truncated else ""
    out.append(f"</main><footer>{len(lines)} messages{note} · transcript made by Alphapy</footer></body></html>")
    return "\n".join(out)
