"""The premium plugin's dashboard pages: "Your premium" for every member, "Premium" for hosts.

A member sees their subscription and moves it to another server they share with the bot:
the same rules and sentences as ``/premium_transfer`` (:func:`~alphapy_premium.moves.plan_move`),
a confirmation step, then :meth:`PremiumService.transfer`, which checks everything again
under a row lock and logs ``premium.transferred`` as the slash command's move does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from importlib.resources import files

from aiohttp import web

from alphapy import DashboardPages, PageContext, UserError
from alphapy_premium import store
from alphapy_premium.config import PremiumConfigError, load_premium_config
from alphapy_premium.ledger import Refusal
from alphapy_premium.model import Subscription, best_of
from alphapy_premium.moves import UNAVAILABLE, MovePlan, plan_move, wall_clock
from alphapy_premium.plugin import _running_service
from alphapy_premium.service import PremiumService

NOT_SHARED = "You can only move your premium to a server you are in and the bot is in."
GONE = "That subscription does not exist (any more)."
SWITCHED_OFF = "The premium plugin is switched off in {server}, so premium cannot move there."
PLUGIN = "premium"
SUPPORTERS_COUNTED = 500
"""A page counts this many of each status at most (and says "or more" beyond)."""


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.user_page("", your_premium, title="Your premium")
    pages.user_page("move", ask_to_move, methods=["POST"])
    pages.user_page("confirm", confirm_move, methods=["POST"])
    pages.server_page("", server_premium, title="Premium", access="host")


@asynccontextmanager
async def _service(ctx: PageContext) -> AsyncIterator[PremiumService]:
    """The bot's premium service in this process; else (``alphapy dashboard`` alone, no bot
    started it) one for this request, closed after it. Its moves reach the bot's caches all
    the same: the database announces every change to ``premium_subs``."""
    running = _running_service(ctx.bot)
    if running is not None:
        yield running
        return
    try:
        config = load_premium_config()
    except PremiumConfigError:
        raise UserError(UNAVAILABLE) from None
    service = PremiumService(ctx.db, config)
    try:
        yield service
    finally:
        await service.close()


def _server_name(ctx: PageContext, guild_id: int) -> str:
    guild = ctx.guild_named(guild_id)
    return guild.name if guild is not None else f"another server (id {guild_id})"


async def _target(ctx: PageContext, form: dict[str, str]) -> int:
    """The server chosen in "Move to": one the person shares with the bot, where premium is on
    (where it is off, ``/premium_transfer`` cannot be run either)."""
    raw = form.get("to_guild", "")
    if not raw.isdigit() or ctx.guild_named(int(raw)) is None:
        raise UserError(NOT_SHARED)
    if not await ctx.settings.is_enabled(int(raw), PLUGIN):
        raise UserError(SWITCHED_OFF.format(server=_server_name(ctx, int(raw))))
    return int(raw)


async def _plan(ctx: PageContext, to_guild_id: int) -> MovePlan:
    async def when(guild_id: int, moment: datetime) -> str:
        return await wall_clock(ctx.settings, guild_id, moment)

    return await plan_move(ctx.db, ctx.settings, ctx.user.id, to_guild_id, when)


async def your_premium(ctx: PageContext) -> web.StreamResponse:
    async with _service(ctx) as service:
        grace = service.grace
    now = datetime.now(timezone.utc)
    rows = [Subscription.from_row(r) for r in await store.of_user(ctx.db, ctx.user.id)]
    current = best_of([s for s in rows if s.grants_premium(now, grace)], now, grace)
    until = (await wall_clock(ctx.settings, current.guild_id, current.expires_at)
             if current is not None and current.expires_at is not None else None)
    targets = [g for g in ctx.guilds if (current is None or g.id != current.guild_id)
               and await ctx.settings.is_enabled(g.id, PLUGIN)]
    return await ctx.render("premium/yours.html", {
        "sub": current, "until": until, "where": _server_name(ctx, current.guild_id) if current else None,
        "targets": targets,
    })


async def ask_to_move(ctx: PageContext) -> web.StreamResponse:
    to_guild_id = await _target(ctx, await ctx.form())
    plan = await _plan(ctx, to_guild_id)
    return await ctx.render("premium/confirm.html", {
        "plan": plan, "source": _server_name(ctx, plan.subscription.guild_id),
        "target": _server_name(ctx, to_guild_id),
    })


async def confirm_move(ctx: PageContext) -> web.StreamResponse:
    """Every rule again (the confirmation page can be old), then the move under a row lock."""
    form = await ctx.form()
    to_guild_id = await _target(ctx, form)
    plan = await _plan(ctx, to_guild_id)
    if str(plan.subscription.id) != form.get("subscription", ""):
        raise UserError(GONE)
    try:
        async with _service(ctx) as service:
            done = await service.transfer(sub_id=plan.subscription.id or 0, user_id=ctx.user.id,
                                          guild_id=to_guild_id, cooldown=plan.cooldown)
    except Refusal as refusal:
        raise UserError(str(refusal)) from None
    ctx.flash(f"Your {done.subscription.tier} premium now applies to {_server_name(ctx, to_guild_id)}. Premium "
              f"features in {_server_name(ctx, done.from_guild_id)} are off from now on; nothing there was deleted.")
    ctx.redirect(ctx.url())


async def server_premium(ctx: PageContext) -> web.StreamResponse:
    """The server's premium at a glance: whose subscriptions apply here (counted, not named),
    the host's own status, the cooldown, and what premium unlocks."""
    assert ctx.guild_id is not None
    async with _service(ctx) as service:
        grace, mine = service.grace, await service.status(ctx.user.id, ctx.guild_id)
    now = datetime.now(timezone.utc)
    batches = [await store.search(ctx.db, guild_id=ctx.guild_id, status=status, limit=SUPPORTERS_COUNTED)
               for status in ("active", "cancelled")]
    running = [sub for sub in (Subscription.from_row(r) for batch in batches for r in batch)
               if sub.grants_premium(now, grace)]
    tiers: dict[str, int] = {}
    for sub in running:
        tiers[sub.tier] = tiers.get(sub.tier, 0) + 1
    unlocks = [spec for spec in ctx.settings.registry.specs() if spec.premium]
    features: dict[str, list[str]] = {}
    for feature in await ctx.premium_features():
        features.setdefault(feature.plugin, []).append(feature.sentence)
    return await ctx.render("premium/server.html", {
        "running": len(running), "more": any(len(batch) == SUPPORTERS_COUNTED for batch in batches), "tiers": sorted(tiers.items()), "cancelled": sum(s.status == "cancelled" for s in running),
        "mine": mine,
        "cooldown": timedelta(days=await ctx.setting("transfer_cooldown_days")).days, "unlocks": unlocks,
        "features": features,
    })

