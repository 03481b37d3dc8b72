"""How tickets look in Discord: the control message, /ticket info, list and stats.

Text people wrote (descriptions, names, reasons) is shown through :func:`quote`: markdown
and mentions escaped, control characters dropped, cut at a word. Every embed leaves here
through the core's ``fit_embed``, so a long ticket never makes Discord refuse the message
(6000 characters of embed text in all). Embeds never ping anyone, and every message that
carries such text is also sent with explicit ``AllowedMentions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord

from alphapy import EMBED_DESCRIPTION, fit_embed, fit_lines, safe
from alphapy_tickets.lifecycle import LABELS, Status, Ticket
from alphapy_tickets.metrics import Snapshot

COLOURS: dict[Status, int] = {
    Status.OPEN: 0x57F287,
    Status.CLAIMED: 0x5865F2,
    Status.WAITING: 0xFEE75C,
    Status.ESCALATED: 0xED4245,
    Status.CLOSED: 0x99AAB5,
    Status.ARCHIVED: 0x4F545C,
}


def quote(text: str | None, limit: int) -> str:
    """Untrusted text for an embed or message: newlines kept, nothing else active."""
    return safe(text, limit, keep_newlines=True) if text else ""


def stamp(moment: datetime | None, style: str = "R") -> str:
    """A Discord timestamp: every reader sees it in their own timezone."""
    return f"<t:{int(moment.timestamp())}:{style}>" if moment else "—"


def control_embed(ticket: Ticket) -> discord.Embed:
    embed = discord.Embed(
        title=f"Ticket #{ticket.id}",
        description=quote(ticket.description, 4000) or "*(no description)*",
        colour=COLOURS[ticket.status],
    )
    embed.add_field(name="Status", value=LABELS[ticket.status])
    embed.add_field(name="Opened by", value=f"<@{ticket.user_id}>" if ticket.user_id else "*(forgotten)*")
    embed.add_field(name="Opened", value=stamp(ticket.created_at))
    if ticket.claimed_by:
        embed.add_field(name="Claimed by", value=f"<@{ticket.claimed_by}>")
    if ticket.escalated_to:
        embed.add_field(name="Escalated to", value=f"<@&{ticket.escalated_to}>")
    if ticket.status == Status.WAITING and ticket.autoclose_at:
        embed.add_field(name="Closes automatically", value=stamp(ticket.autoclose_at))
    if ticket.closed_at:
        closed = f"{stamp(ticket.closed_at)} by <@{ticket.closed_by}>" if ticket.closed_by else stamp(ticket.closed_at)
        embed.add_field(name="Closed", value=closed)
        if ticket.close_reason:
            embed.add_field(name="Reason", value=quote(ticket.close_reason, 1000), inline=False)
    embed.set_footer(text=f"ticket {ticket.id}")
    return fit_embed(embed)


def info_embed(ticket: Ticket, summary: dict[str, Any] | None) -> discord.Embed:
    embed = control_embed(ticket)
    embed.add_field(name="Last change", value=stamp(ticket.updated_at))
    if summary is not None:
        embed.add_field(name="Summary", value=quote(summary["summary"], 1024), inline=False)
    return fit_embed(embed)


def list_embed(tickets: list[Ticket], total: int, heading: str) -> discord.Embed:
    embed = discord.Embed(title=f"Tickets — {heading}", colour=0x5865F2)
    if not tickets:
        embed.description = "No tickets."
        return embed
    lines = []
    for ticket in tickets:
        where = f"<#{ticket.channel_id}>" if ticket.channel_id and ticket.status != Status.ARCHIVED else "—"
        owner = f" · claimed by <@{ticket.claimed_by}>" if ticket.claimed_by else ""
        lines.append(f"**#{ticket.id}** {where} · {LABELS[ticket.status]} · <@{ticket.user_id}>"
                     f"{owner} · {stamp(ticket.created_at)}")
    embed.description = fit_lines(lines, EMBED_DESCRIPTION)
    if total > len(tickets):
        embed.set_footer(text=f"{len(tickets)} of {total} shown, oldest first")
    return fit_embed(embed)


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min" if minutes else f"{int(seconds)} s"


def stats_embed(snapshot: Snapshot) -> discord.Embed:
    scope = {"7d": "last 7 days", "30d": "last 30 days", "all": "all time"}[snapshot.scope]
    embed = discord.Embed(title=f"Tickets — {scope}", colour=0x5865F2)
    embed.description = "\n".join(f"{LABELS[Status(s)]}: **{n}**" for s, n in snapshot.counts.items())
    embed.add_field(name="Opened", value=str(snapshot.total))
    embed.add_field(name="Per day", value=f"{snapshot.per_day:.1f}")
    embed.add_field(name="Average open → close", value=duration(snapshot.average_cycle_time))
    if snapshot.daily:
        bars = "\n".join(f"`{day}` {count}" for day, count in snapshot.daily[-10:])
        embed.add_field(name=f"By day ({snapshot.timezone})", value=bars, inline=False)
    embed.set_footer(text=f"snapshot #{snapshot.id}")
    return fit_embed(embed)
