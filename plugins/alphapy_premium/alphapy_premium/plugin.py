"""Hook implementations of the premium plugin.

The core asks ``premium_status`` for every premium check of every plugin; this module
answers it through the process's :class:`~alphapy_premium.service.PremiumService`, made in
``startup`` and closed in ``shutdown``. Heavy imports stay inside the hooks:
``alphapy --help`` imports this module for ``register_cli``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from importlib.abc import Traversable
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alphapy import hookimpl

if TYPE_CHECKING:
    import argparse

    import discord
    from aiohttp import web

    from alphapy import AlphapyBot, DashboardPages, Database, PremiumStatus, RegisterSetting, SubParsers, Tour
    from alphapy_premium.cog import PremiumCog
    from alphapy_premium.config import PremiumConfig
    from alphapy_premium.service import PremiumService

EXPIRY_TASK = "premium.expire"
PURGE_TASK = "premium.purge_webhook_events"


@hookimpl
def register_migrations() -> Traversable:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: RegisterSetting) -> None:
    register("transfer_cooldown_days", "int", default=7, min=0, max=365,
             help="days a member waits between two /premium_transfer moves (the stricter of the two servers counts)")


@hookimpl
def register_cogs(bot: AlphapyBot) -> PremiumCog:
    from alphapy_premium.cog import PremiumCog

    return PremiumCog(bot)


@hookimpl
async def startup(bot: AlphapyBot) -> None:
    from alphapy_premium.cog import PremiumCog
    from alphapy_premium.config import load_premium_config
    from alphapy_premium.service import PremiumService

    cog = PremiumCog.of(bot)
    service = PremiumService(bot.db, load_premium_config(), bot=bot)
    cog.running_service = service
    await service.follow_changes(bot.settings)
    bot.add_listener(_entitlement_listener(service), "on_entitlement_create")
    bot.add_listener(_entitlement_listener(service), "on_entitlement_update")
    bot.add_listener(_entitlement_listener(service), "on_entitlement_delete")
    bot.scheduler.every(EXPIRY_TASK, service.config.expiry_interval_seconds, service.expire_due, run_at_start=True)
    bot.scheduler.every(PURGE_TASK, 6 * 3600, service.purge_events)


@functools.cache
def _premium_cog() -> type[PremiumCog]:
    """The cog class, imported once on first use: an import inside ``premium_status`` would
    cost about as much as a cached answer, on every premium check."""
    from alphapy_premium.cog import PremiumCog

    return PremiumCog


def _running_service(bot: discord.Client | None) -> PremiumService | None:
    """The process's premium service, which the premium cog owns; None before ``startup``
    made it, after ``shutdown``, or without a bot (the command line)."""
    cog = _premium_cog().find(bot)
    return cog.running_service if cog is not None else None


def _entitlement_listener(service: PremiumService) -> Callable[[discord.Entitlement], Coroutine[Any, Any, None]]:
    async def changed(entitlement: discord.Entitlement) -> None:
        await service.announce_entitlement_change(entitlement.user_id, entitlement.guild_id)

    return changed


@hookimpl
async def shutdown(bot: AlphapyBot) -> None:
    from alphapy_premium.cog import PremiumCog

    cog = PremiumCog.find(bot)
    if cog is not None and cog.running_service is not None:
        service, cog.running_service = cog.running_service, None
        await service.close()


@hookimpl
async def premium_status(user_id: int, guild_id: int, bot: AlphapyBot | None) -> PremiumStatus | None:
    service = _running_service(bot)
    if service is None:
        return None  # not started (yet): no opinion, so nobody has premium
    return await service.status(user_id, guild_id)


@hookimpl
async def health(bot: AlphapyBot | None) -> dict[str, Any] | None:
    service = _running_service(bot)
    if service is None:
        return {"status": "down", "error": "the premium service did not start (see the log)"}
    return service.health()


@hookimpl
def register_routes(app: web.Application, db: Database) -> None:
    from alphapy import bot_of
    from alphapy_premium import webhook

    def live(request: web.Request) -> tuple[PremiumConfig | None, PremiumService | None]:
        service = _running_service(bot_of(request))
        return (service.config if service is not None else None), service

    webhook.add_route(app, db, live)


@hookimpl
def register_dashboard(pages: DashboardPages) -> None:
    from alphapy_premium.dashboard import register

    register(pages)


@hookimpl
def register_cli(commands: SubParsers[argparse.ArgumentParser]) -> None:
    from alphapy_premium.cli import add_parser

    add_parser(commands)


@hookimpl
def register_demo(tour: Tour) -> None:
    from alphapy_premium.demo import chapter

    tour.chapter("Premium: a subscription, its status and a move to another server", chapter)


@hookimpl
async def user_data(user_id: int, db: Database) -> dict[str, Any] | None:
    from alphapy_premium import store
    from alphapy_premium.model import Subscription

    rows = await store.of_user(db, user_id, limit=10_000)
    if not rows:
        return None
    return {"premium_subs": [Subscription.from_row(r).export() for r in rows]}


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Database, bot: AlphapyBot | None) -> int:
    from alphapy_premium import store

    removed = await store.delete_user(db, user_id, guild_id)
    service = _running_service(bot)
    if service is not None:
        service.invalidate(user_id)
    return removed
