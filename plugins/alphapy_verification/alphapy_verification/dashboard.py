"""The verification plugin's dashboard page: the review queue and the statistics, for its staff.

Staff (Manage Server, ``core.staff_role`` or ``verification.staff_role``, the people who see
the private channels) see what ``/verification pending`` and ``/verification stats`` show,
with the model's answer and reason beside each waiting verification, and Approve or Reject
(with a reason the member reads) through the same steps as the buttons in the private
channel: the same refusals, the same messages in Discord. Those steps give a role and write
to the member, so they need the bot: ``alphapy dashboard`` alone shows the queue and says
to decide in Discord.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import discord
from aiohttp import web

from alphapy import DashboardPages, PageContext, UserError
from alphapy_verification import store
from alphapy_verification.assess import CAUSES
from alphapy_verification.cog import STATUS_LABELS
from alphapy_verification.flow import ROLE_NOT_GIVEN, Verifications, duration

QUEUE_SHOWN = 50
PERIODS = (("7 days", 7), ("30 days", 30), ("all time", None))
NO_SUCH = "That verification does not exist in this server."
NO_BOT = ("Deciding from the dashboard needs the bot running beside it; "
          "use Approve or Reject in the verification's channel.")
REASON_LENGTH = (3, 500)
"""As the Reject form in Discord asks."""
BAD_REASON = "Give a reason of 3 to 500 characters; the member reads it."


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.server_page("", review_page, title="Verification", access="staff")
    pages.server_page("stats", stats_page, title="Verification statistics", access="staff")
    pages.server_page("{ticket_id}/approve", approve, access="staff", methods=("POST",))
    pages.server_page("{ticket_id}/reject", reject, access="staff", methods=("POST",))


@dataclass(frozen=True)
class Waiting:
    """One verification waiting for staff, as the page shows it."""

    id: int
    user_id: int
    member: str
    channel_url: str
    status: str
    why: str
    opened: str
    model: str | None
    reason: str | None
    reused: bool


@dataclass(frozen=True)
class Period:
    """The statistics of one period, as ``/verification stats`` gives them."""

    label: str
    total: int
    counts: list[tuple[str, int]]
    auto: str
    median: str


def _yes(value: bool | None) -> str:
    return "yes" if value else "no"


def waiting_of(row: Any, guild_id: int, names: dict[int, str]) -> Waiting:
    model = (f"can verify: {_yes(row['ai_can_verify'])} · asks for review: {_yes(row['ai_needs_manual_review'])}"
             if row["ai_can_verify"] is not None else None)
    return Waiting(id=row["id"], user_id=row["user_id"], member=names.get(row["user_id"], f"member {row['user_id']}"),
                   channel_url=f"https://discord.com/channels/{guild_id}/{row['channel_id']}",
                   status=STATUS_LABELS[row["status"]], why=CAUSES.get(row["review_cause"], "Staff decide."),
                   opened=f"{row['created_at']:%Y-%m-%d %H:%M} UTC", model=model, reason=row["ai_reason"],
                   reused=row["duplicate_of_user"] is not None)


def period_of(label: str, figures: store.Stats) -> Period:
    share = figures.auto_share
    return Period(
        label=label, total=sum(figures.counts.values()),
        counts=[(name, figures.counts.get(status, 0)) for status, name in STATUS_LABELS.items()],
        auto=(f"{figures.auto_verified} of {figures.verified} ({share:.0%})" if share is not None
              else "none verified yet"),
        median=duration(figures.median_seconds) if figures.median_seconds is not None else "—")


async def review_page(ctx: PageContext) -> web.StreamResponse:
    """The queue, oldest first; the statistics are a page of their own (they read every verification)."""
    assert ctx.guild_id is not None
    async with ctx.db.acquire() as conn:
        _, total = await store.waiting_for_staff(conn, ctx.guild_id, 0)
        queue = await store.review_queue(conn, ctx.guild_id, QUEUE_SHOWN)
    names = _names(ctx, [row["user_id"] for row in queue])
    return await ctx.render("verification/review.html", {
        "queue": [waiting_of(row, ctx.guild_id, names) for row in queue], "total": total,
    })


async def stats_page(ctx: PageContext) -> web.StreamResponse:
    """``/verification stats`` for 7 days, 30 days and all time, side by side."""
    assert ctx.guild_id is not None
    now = datetime.now(UTC)
    async with ctx.db.acquire() as conn:
        periods = [period_of(label, await store.stats(conn, ctx.guild_id,
                                                      now - timedelta(days=days) if days else None))
                   for label, days in PERIODS]
    return await ctx.render("verification/stats.html", {"periods": periods})


def running_flow(ctx: PageContext) -> Verifications | None:
    """The bot's verification flow in this process, or None (``alphapy dashboard`` alone).

    Giving a role and writing to the member need the bot, so the page decides through it."""
    from alphapy_verification.cog import VerificationCog

    cog = VerificationCog.find(ctx.bot)
    return cog.flow if cog is not None else None


def _names(ctx: PageContext, user_ids: list[int]) -> dict[int, str]:
    """Members' names from the bot's cache when it runs beside the dashboard (else ids are shown)."""
    running = running_flow(ctx)
    guild = running.bot.get_guild(ctx.guild_id) if running is not None and ctx.guild_id is not None else None
    if guild is None:
        return {}
    found = {user_id: guild.get_member(user_id) for user_id in user_ids}
    return {user_id: f"{member.display_name} ({user_id})" for user_id, member in found.items() if member is not None}


def _ticket_id(ctx: PageContext) -> int:
    raw = ctx.request.match_info.get("ticket_id", "")
    if not raw.isdigit() or len(raw) > 9:  # the buttons' ids are at most 9 digits too
        raise UserError(NO_SUCH)
    return int(raw)


def _flow(ctx: PageContext) -> Verifications:
    running = running_flow(ctx)
    if running is None:
        raise UserError(NO_BOT)
    return running


async def approve(ctx: PageContext) -> web.StreamResponse:
    from alphapy_verification.views import decided_embed

    assert ctx.guild_id is not None
    flow, ticket_id = _flow(ctx), _ticket_id(ctx)
    ticket = await flow.decidable(ctx.guild_id, ticket_id, ctx.user.id)
    channel = flow.ticket_channel(ticket)
    row, granted = await flow.approve_as(ctx.guild_id, ticket_id, ctx.user.id, channel)
    if not granted:
        raise UserError(ROLE_NOT_GIVEN)
    if row["review_message_id"]:
        try:  # as the button edits its own message
            await channel.get_partial_message(row["review_message_id"]).edit(
                embed=decided_embed(row, "Approved", ctx.user.id), view=None)
        except discord.HTTPException:  # a deleted review message changes nothing decided
            pass
    ctx.flash(f"Approved verification #{ticket_id}: member {row['user_id']} has the verified role.")
    ctx.redirect(ctx.url())


async def reject(ctx: PageContext) -> web.StreamResponse:
    assert ctx.guild_id is not None
    reason = (await ctx.form()).get("reason", "").strip()
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise UserError(BAD_REASON)
    flow, ticket_id = _flow(ctx), _ticket_id(ctx)
    await flow.decidable(ctx.guild_id, ticket_id, ctx.user.id)
    row = await flow.resolve_reject(ctx.guild_id, ticket_id, ctx.user.id, reason)
    await flow.announce_reject(flow.ticket_channel(row), row, ctx.user.id, ctx.guild_name or "this server")
    ctx.flash(f"Rejected verification #{ticket_id}.")
    ctx.redirect(ctx.url())
