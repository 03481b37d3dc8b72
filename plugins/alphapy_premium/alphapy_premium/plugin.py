"""Hook implementations of the premium plugin.

The core asks ``premium_status`` for every premium check of every plugin; this module
answers it through the process's :class:`~alphapy_premium.service.PremiumService`, made in
``startup`` and closed in ``shutdown``. Heavy imports stay inside the hooks:
``alphapy --help`` imports this module for ``register_cli``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib.resources import files
from typing import Any

from alphapy import hookimpl

EXPIRY_TASK = "premium.expire"
PURGE_TASK = "premium.purge_webhook_events"


@hookimpl
def register_migrations() -> Any:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: Any) -> None:
    register("transfer_cooldown_days", "int", default=7, min=0, max=365,
             help="days a member waits between two /premium_transfer moves (the stricter of the two servers counts)")


@hookimpl
def register_cogs(bot: Any) -> Any:
    from alphapy_premium.cog import PremiumCog

    return PremiumCog(bot)


@hookimpl
async def startup(bot: Any) -> None:
    from alphapy_premium.config import load_premium_config
    from alphapy_premium.service import PremiumService

    service = PremiumService(bot.db, load_premium_config(), bot=bot).attach()
    await service.follow_changes(bot.settings)
    bot.add_listener(_entitlement_listener(service), "on_entitlement_create")
    bot.add_listener(_entitlement_listener(service), "on_entitlement_update")
    bot.add_listener(_entitlement_listener(service), "on_entitlement_delete")
    bot.scheduler.every(EXPIRY_TASK, service.config.expiry_interval_seconds, service.expire_due, run_at_start=True)
    bot.scheduler.every(PURGE_TASK, 6 * 3600, service.purge_events)


def _entitlement_listener(service: Any) -> Any:
    async def changed(entitlement: Any) -> None:
        await service.announce_entitlement_change(entitlement.user_id, entitlement.guild_id)

    return changed


@hookimpl
async def shutdown(bot: Any) -> None:
    from alphapy_premium.service import service_for

    service = service_for(bot.db)
    if service is not None:
        await service.close()


@functools.cache
def _service_lookup() -> Callable[[Any], Any]:
    """``service_for``, imported once on first use: a ``from ... import`` inside the hook
    would cost about as much as a cached answer, on every premium check."""
    from alphapy_premium.service import service_for

    return service_for


@hookimpl
async def premium_status(user_id: int, guild_id: int, db: Any) -> Any:
    service = _service_lookup()(db)
    if service is None:
        return None  # not started (yet): no opinion, so nobody has premium
    return await service.status(user_id, guild_id)


@hookimpl
async def health(bot: Any) -> dict[str, Any] | None:
    from alphapy_premium.service import service_for

    service = service_for(bot.db) if bot is not None else None
    if service is None:
        return {"status": "down", "error": "the premium service did not start (see the log)"}
    return service.health()


@hookimpl
def register_routes(app: Any, db: Any) -> None:
    from alphapy_premium import webhook
    from alphapy_premium.service import service_for

    def live() -> tuple[Any, Any]:
        service = service_for(db)
        return (service.config if service is not None else None), service

    webhook.add_route(app, db, live)


@hookimpl
def register_cli(commands: Any) -> None:
    from alphapy_premium.cli import add_parser

    add_parser(commands)


@hookimpl
def register_demo(tour: Any) -> None:
    from alphapy_premium.demo import chapter

    tour.chapter("Premium: a subscription, its status and a move to another server", chapter)


@hookimpl
async def user_data(user_id: int, db: Any) -> dict[str, Any] | None:
    from alphapy_premium import store
    from alphapy_premium.model import Subscription

    rows = await store.of_user(db, user_id, limit=10_000)
    if not rows:
        return None
    return {"premium_subs": [Subscription.from_row(r).export() for r in rows]}


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Any) -> int:
    from alphapy_premium import store
    from alphapy_premium.service import service_for

    removed = await store.delete_user(db, user_id, guild_id)
    service = service_for(db)
    if service is not None:
        service.invalidate(user_id)
    return removed
