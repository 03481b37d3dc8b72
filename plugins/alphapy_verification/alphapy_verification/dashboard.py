"""The verification plugin's dashboard page: the review queue and the statistics, for its staff.

Staff (Manage Server, ``core.staff_role`` or ``verification.staff_role``, the people who see
the private channels) see what ``/verification pending`` and ``/verification stats`` show,
with the model's answer and reason beside each waiting verification. Approve and Reject stay
on the buttons in the private channel, linked from each row: they give a role and write to
the member in Discord, which a plugin page cannot do without the bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

from aiohttp import web

from alphapy import DashboardPages, PageContext
from alphapy_verification import store
from alphapy_verification.assess import CAUSES
from alphapy_verification.cog import STATUS_LABELS
from alphapy_verification.flow import duration

QUEUE_SHOWN = 50
PERIODS = (("7 days", 7), ("30 days", 30), ("all time", None))


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.server_page("", review_page, title="Verification", access="staff")


@dataclass(frozen=True)
class Waiting:
    """One verification waiting for staff, as the page shows it."""

    id: int
    user_id: int
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


def waiting_of(row: Any, guild_id: int) -> Waiting:
    model = (f"can verify: {_yes(row['ai_can_verify'])} · asks for review: {_yes(row['ai_needs_manual_review'])}"
             if row["ai_can_verify"] is not None else None)
    return Waiting(id=row["id"], user_id=row["user_id"],
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
    assert ctx.guild_id is not None
    now = datetime.now(UTC)
    async with ctx.db.acquire() as conn:
        _, total = await store.waiting_for_staff(conn, ctx.guild_id, 0)
        queue = await store.review_queue(conn, ctx.guild_id, QUEUE_SHOWN)
        periods = [period_of(label, await store.stats(conn, ctx.guild_id,
                                                      now - timedelta(days=days) if days else None))
                   for label, days in PERIODS]
    return await ctx.render("verification/review.html", {
        "queue": [waiting_of(row, ctx.guild_id) for row in queue], "total": total, "periods": periods,
    })
