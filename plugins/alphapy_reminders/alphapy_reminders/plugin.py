"""Hook implementations of the reminders plugin: what it contributes to the core.

Kept light on purpose: ``alphapy --help`` imports this module for ``register_cli``, so
discord.py, the cog and dateparser are imported inside the hooks that need them.
"""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alphapy import hookimpl

if TYPE_CHECKING:
    import argparse
    from importlib.abc import Traversable

    from alphapy import AlphapyBot, Database, PluginCog, RegisterSetting, SubParsers, Tour

PLUGIN = "reminders"


@hookimpl
def register_migrations() -> Traversable:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: RegisterSetting) -> None:
    register("watch_channels", "channels", default=[],
             help="channels whose announcements (embeds) become one-off event reminders")
    register("event_channel", "channel",
             help="where event reminders are posted (default: the announcement's own channel)")
    register("event_role", "role", purpose="ping", help="a role mentioned in event reminders (default: nobody)")
    register("lead_minutes", "int", default=60, min=0, max=10080,
             help="how many minutes before an announced event its reminder is posted")
    register("grace_minutes", "int", default=10, min=0, max=1440,
             help="a reminder missed (bot offline) by less than this is still sent, marked late")
    register("max_per_guild", "int", default=50, min=1, max=10000, help="how many reminders this server may keep")
    register("premium_max_per_guild", "int", default=500, min=1, max=100000,
             help="the limit when the member adding a reminder has premium")
    register("log_channel", "channel",
             help="where the bot reports a stopped reminder when it cannot tell its creator privately")
    register("staff_role", "role", help="who may manage reminders, besides Manage Server and core.staff_role")


@hookimpl
def premium_features() -> list[str]:
    """The two things ``has_premium`` gates in this plugin (``cog.py``, ``delivery.py``)."""
    return [
        "Images on reminders: a member with premium may add an image (a file of up to 8 MB, or a link) "
        "to a reminder, posted with it each time while its creator has premium.",
        "A higher reminder limit: a member with premium may add reminders until the server holds 500 "
        "instead of 50 (settings reminders.premium_max_per_guild and reminders.max_per_guild).",
    ]


@hookimpl
def register_cogs(bot: AlphapyBot) -> PluginCog:
    from alphapy_reminders.cog import RemindersCog

    return RemindersCog(bot)


@hookimpl
async def startup(bot: AlphapyBot) -> None:
    """Deliver due reminders, and forget events that ended a day ago, every hour."""
    from datetime import UTC, datetime, timedelta

    from alphapy_reminders import store
    from alphapy_reminders.cog import RemindersCog

    bot.scheduler.add_due_work(RemindersCog.of(bot).delivery.due_work())

    async def purge_past_events() -> None:
        async with bot.db.acquire() as conn:
            await store.purge_past_events(conn, datetime.now(UTC) - timedelta(days=1))

    bot.scheduler.every("reminders.purge_past_events", 3600, purge_past_events)


@hookimpl
async def health(bot: AlphapyBot) -> dict[str, Any]:
    """Overdue reminders (scheduled more than five minutes ago and unsent) degrade health."""
    from dataclasses import asdict
    from datetime import UTC, datetime, timedelta

    from alphapy_reminders import store
    from alphapy_reminders.cog import RemindersCog

    async with bot.db.acquire() as conn:
        counts = await store.health_counts(conn, datetime.now(UTC) - timedelta(minutes=5))
    cog = RemindersCog.find(bot)
    return {
        "status": "degraded" if counts["overdue"] else "ok",
        **dict(counts),
        "delivered_here": cog.delivery.health() if cog is not None else None,
        "announcements_here": asdict(cog.announcements) if cog is not None else None,
    }


@hookimpl
async def user_data(user_id: int, db: Database) -> dict[str, Any] | None:
    from alphapy_reminders import store

    async with db.acquire() as conn:
        rows = await store.created_by(conn, user_id)
    if not rows:
        return None
    return {"reminders_created": [
        {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in dict(row).items()}
        for row in rows
    ]}


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Database) -> int:
    from alphapy_reminders import store

    async with db.acquire() as conn:
        return await store.forget_creator(conn, user_id, guild_id)


@hookimpl
def register_cli(commands: SubParsers[argparse.ArgumentParser]) -> None:
    from alphapy_reminders.cli import add_parser

    add_parser(commands)


@hookimpl
def register_demo(tour: Tour) -> None:
    from alphapy_reminders.demo import chapter

    tour.chapter("Reminders: a weekly reminder and an announced event", chapter)


@hookimpl
def register_dashboard(pages: Any) -> None:
    from alphapy_reminders.dashboard import register  # aiohttp code stays out of `alphapy --help`

    register(pages)
