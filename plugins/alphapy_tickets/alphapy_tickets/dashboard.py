"""The tickets plugin's dashboard pages: the server's tickets with filters, and one ticket's page
with the staff actions (claim, close, archive).

The actions go through the running bot's :class:`~alphapy_tickets.desk.TicketDesk`, the
object the buttons use, with the signed-in person as the acting member: the same rules
(``TRANSITIONS``, staff from ``tickets.staff_role``), the same guarded UPDATEs, the same
refusal sentences, log lines and notes in the ticket's channel. Reading needs no bot: the
lists come straight from :mod:`alphapy_tickets.store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

import discord
from aiohttp import web

from alphapy import DashboardPages, PageContext, UserError
from alphapy_tickets import store
from alphapy_tickets.desk import TicketDesk, clean_text
from alphapy_tickets.embeds import duration
from alphapy_tickets.lifecycle import ACTIONS_BY_STATUS, ACTIVE, LABELS, Status, Ticket
from alphapy_tickets.metrics import SCOPES, take_snapshot
from alphapy_tickets.views import MAX_TICKET_ID, REASON_MAX


def running_desk(ctx: PageContext) -> TicketDesk | None:
    """The desk of the bot running in this process, if any: a claim from the browser is
    announced in the ticket's channel exactly as a click on the button is."""
    from alphapy_tickets.cog import TicketsCog

    cog = TicketsCog.find(ctx.bot)
    return cog.desk if cog is not None else None

PAGE_SIZE = 50
WEB_ACTIONS = ("claim", "close", "archive")
"""What staff do from the browser; asking the member and escalating stay on the buttons."""
AGES = {"": None, "1": 1, "3": 3, "7": 7, "30": 30}
"""The "opened more than N days ago" filter's choices, in days."""

NO_SUCH_TICKET = "There is no such ticket in this server."
NO_BOT = ("The bot is not running beside this dashboard, so ticket actions are not available here; "
          "please use the buttons in the ticket's channel.")
NOT_A_MEMBER = "You are not a member of this server any more, so you cannot act on its tickets."
BAD_FILTER = "That filter is not one of the choices; please pick one from the lists."
BAD_ACTION = "Choose claim, close or archive."
NO_CHANNEL = ("Ticket #{ticket_id} has no channel any more: the transcript of an archived ticket is in the "
              "log channel.")
BAD_PERIOD = "Choose a period: the last 7 days, the last 30 days or all time."
PERIODS = {"7d": "Last 7 days", "30d": "Last 30 days", "all": "All time"}
SNAPSHOTS_SHOWN = 10


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.server_page("", ticket_list, title="Tickets", access="staff")
    pages.server_page("ticket/{ticket_id}", ticket_page, access="staff", methods=("GET", "POST"))
    pages.server_page("ticket/{ticket_id}/transcript", ticket_transcript, access="staff")
    pages.server_page("stats", statistics, title="Ticket statistics", access="staff", methods=("GET", "POST"))


# --- reading the request -----------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """The list's filters as the query string gives them (each one checked)."""

    status: str = "active"
    claimed: str = ""  # "", "none", "me" or a person's id
    older: str = ""  # a key of AGES
    page: int = 1

    @classmethod
    def parse(cls, query: Any) -> Filters:
        status, claimed, older = query.get("status", "active"), query.get("claimed", ""), query.get("older", "")
        page = query.get("page", "1")
        if (status not in ("active", "all", *map(str, Status)) or older not in AGES
                or not (claimed in ("", "none", "me") or (claimed.isdigit() and len(claimed) <= 20))
                or not (page.isdigit() and 1 <= int(page) <= 10_000)):
            raise UserError(BAD_FILTER)
        return cls(status, claimed, older, int(page))

    @property
    def statuses(self) -> list[str]:
        if self.status == "active":
            return [str(s) for s in ACTIVE]
        return [str(s) for s in Status] if self.status == "all" else [self.status]

    def query(self, **changes: Any) -> str:
        values = {"status": self.status, "claimed": self.claimed, "older": self.older, "page": self.page,
                  **changes}
        return "&".join(f"{key}={value}" for key, value in values.items() if value not in ("", None))


def ticket_id_of(ctx: PageContext) -> int:
    raw = ctx.request.match_info["ticket_id"]
    if not raw.isdigit() or not 0 < int(raw) <= MAX_TICKET_ID:
        raise UserError(NO_SUCH_TICKET)
    return int(raw)


# --- showing -----------------------------------------------------------------------------------

class Clock:
    """Times as the server reads them (``core.timezone``), and ages."""

    def __init__(self, zone: str, now: datetime) -> None:
        self.zone = ZoneInfo(zone)
        self.now = now

    def at(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if moment else "—"

    def age(self, moment: datetime) -> str:
        seconds = max(0, int((self.now - moment).total_seconds()))
        if seconds >= 86_400:
            return f"{seconds // 86_400} d"
        return f"{seconds // 3600} h" if seconds >= 3600 else f"{seconds // 60} min"


async def _clock(ctx: PageContext) -> Clock:
    assert ctx.guild_id is not None
    return Clock(await ctx.settings.get(ctx.guild_id, "core", "timezone"), datetime.now(timezone.utc))


def _names(ctx: PageContext, ids: set[int | None]) -> dict[int, str]:
    """People's names from the running bot's member cache; an id alone where it has none."""
    desk = running_desk(ctx)
    guild = desk.bot.get_guild(ctx.guild_id or 0) if desk is not None else None
    found: dict[int, str] = {}
    for user_id in ids:
        if user_id:
            member = guild.get_member(user_id) if guild is not None else None
            found[user_id] = member.name if member is not None else f"user {user_id}"
    return found


def _channel_name(ctx: PageContext, ticket: Ticket) -> str | None:
    desk = running_desk(ctx)
    channel = desk.channel_of(ticket) if desk is not None else None
    return f"#{channel.name}" if channel is not None else None


# --- the pages ---------------------------------------------------------------------------------

async def ticket_list(ctx: PageContext) -> web.StreamResponse:
    """Open and recent tickets, filtered by status, who claimed them and how long ago they opened."""
    assert ctx.guild_id is not None
    filters = Filters.parse(ctx.query)
    clock = await _clock(ctx)
    claimed_by = ctx.user.id if filters.claimed == "me" else int(filters.claimed) if filters.claimed.isdigit() else None
    days = AGES[filters.older]
    async with ctx.db.acquire() as conn:
        tickets, total = await store.search_tickets(
            conn, ctx.guild_id, filters.statuses, claimed_by=claimed_by, unclaimed=filters.claimed == "none",
            opened_before=clock.now - timedelta(days=days) if days else None,
            newest_first=filters.status not in ("active", *map(str, ACTIVE)),
            limit=PAGE_SIZE, offset=(filters.page - 1) * PAGE_SIZE)
        staff = await store.claimers(conn, ctx.guild_id)
    names = _names(ctx, {t.claimed_by for t in tickets} | set(staff))
    return await ctx.render("tickets/list.html", {
        "tickets": tickets, "total": total, "filters": filters, "clock": clock, "names": names, "labels": LABELS,
        "statuses": [(str(s), LABELS[s]) for s in Status], "staff": staff, "ages": [k for k in AGES if k],
        "pages": (total + PAGE_SIZE - 1) // PAGE_SIZE,
    })


async def ticket_page(ctx: PageContext) -> web.StreamResponse:
    """One ticket: its life so far, its summary, and the actions its status allows."""
    assert ctx.guild_id is not None
    ticket_id = ticket_id_of(ctx)
    if ctx.request.method == "POST":
        await _act(ctx, ticket_id, await ctx.form())
        ctx.redirect(ctx.url("ticket/{ticket_id}", ticket_id=ticket_id))
    async with ctx.db.acquire() as conn:
        ticket = await store.get(conn, ctx.guild_id, ticket_id)
        summary = await store.summary_of(conn, ctx.guild_id, ticket_id) if ticket is not None else None
    if ticket is None:
        raise UserError(f"There is no ticket #{ticket_id} in this server.")
    people = {ticket.user_id, ticket.claimed_by, ticket.escalated_by, ticket.closed_by, ticket.archived_by}
    return await ctx.render("tickets/ticket.html", {
        "ticket": ticket, "summary": summary, "clock": await _clock(ctx), "names": _names(ctx, people),
        "label": LABELS[ticket.status], "channel": _channel_name(ctx, ticket),
        "actions": [a for a in ACTIONS_BY_STATUS[ticket.status] if a in WEB_ACTIONS],
        "reason_max": REASON_MAX, "bot_running": running_desk(ctx) is not None,
        "transcript": ctx.url("ticket/{ticket_id}/transcript", ticket_id=ticket_id) if _channel_name(ctx, ticket)
        else None,
    })


async def ticket_transcript(ctx: PageContext) -> web.StreamResponse:
    """The transcript the archive would post, made from the ticket's channel as it is now."""
    assert ctx.guild_id is not None
    ticket_id = ticket_id_of(ctx)
    desk = running_desk(ctx)
    if desk is None:
        raise UserError(NO_BOT)
    ticket = await desk.get(ctx.guild_id, ticket_id)
    guild = desk.bot.get_guild(ctx.guild_id)
    if guild is None or desk.channel_of(ticket) is None:
        raise UserError(NO_CHANNEL.format(ticket_id=ticket_id))
    page, _messages = await desk.transcript_page(ticket, guild)
    return web.Response(text=page, content_type="text/html")


# --- the actions -------------------------------------------------------------------------------

async def _actor(desk: TicketDesk, ctx: PageContext) -> discord.Member:
    """The signed-in person as a member of this server, as a button click would give them."""
    guild = desk.bot.get_guild(ctx.guild_id or 0)
    if guild is None:
        raise UserError(NO_BOT)
    member = guild.get_member(ctx.user.id)
    if member is None:
        try:
            member = await guild.fetch_member(ctx.user.id)
        except discord.NotFound:
            raise UserError(NOT_A_MEMBER) from None
    return member


async def _act(ctx: PageContext, ticket_id: int, form: dict[str, str]) -> None:
    """What the ticket's buttons do once confirmed, with the same desk calls in the same order."""
    action = form.get("action", "")
    if action not in WEB_ACTIONS:
        raise UserError(BAD_ACTION)
    reason = clean_text(form.get("reason"), limit=REASON_MAX, what="reason", required=False)
    desk = running_desk(ctx)
    if desk is None:
        raise UserError(NO_BOT)
    actor = await _actor(desk, ctx)
    if action == "claim":
        ticket = await desk.claim(actor, ticket_id)
        await desk.refresh(ticket)
        await desk.announce("claim", ticket, actor)
        ctx.flash(f"You claimed ticket #{ticket_id}.")
    elif action == "close":
        await desk.close(actor, actor.guild.id, ticket_id, reason)
        ctx.flash(f"Ticket #{ticket_id} is closed.")
    else:
        ticket, _posted = await desk.archive(actor, ticket_id)
        await desk.remove_channel(ticket)
        ctx.flash(f"Ticket #{ticket_id} is archived; the transcript is in the log channel.")


# --- statistics --------------------------------------------------------------------------------

def _period(raw: str) -> str:
    if raw not in SCOPES:
        raise UserError(BAD_PERIOD)
    return raw


async def statistics(ctx: PageContext) -> web.StreamResponse:
    """``/ticket stats`` on a page: the latest snapshot of a period stored in ``ticket_metrics``
    and the ones before it; "Count again" takes a new one, as the command does (same numbers,
    same stored row, ``triggered_by`` the signed-in person)."""
    assert ctx.guild_id is not None
    if ctx.request.method == "POST":
        period = _period((await ctx.form()).get("period", ""))
        await take_snapshot(ctx.db, guild_id=ctx.guild_id, scope=period,
                            timezone=await ctx.settings.get(ctx.guild_id, "core", "timezone"),
                            triggered_by=ctx.user.id)
        ctx.flash(f"Counted again: {PERIODS[period].lower()}.")
        ctx.redirect(ctx.url("stats") + f"?period={period}")
    period = _period(ctx.query.get("period", "7d"))
    async with ctx.db.acquire() as conn:
        snapshots = await store.recent_metrics(conn, ctx.guild_id, period, SNAPSHOTS_SHOWN)
    latest = snapshots[0] if snapshots else None
    counts = [(LABELS[Status(s)], n) for s, n in (latest["counts"] if latest else {}).items() if s in set(map(str, Status))]
    daily = [(d["day"], d["tickets"]) for d in (latest["snapshot"].get("daily", []) if latest else [])]
    return await ctx.render("tickets/stats.html", {
        "period": period, "periods": PERIODS, "latest": latest, "snapshots": snapshots, "counts": counts,
        "daily": daily,
        "duration": duration, "clock": await _clock(ctx),
    })

