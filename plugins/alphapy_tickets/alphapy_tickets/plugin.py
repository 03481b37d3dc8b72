"""Hook implementations of the tickets plugin (kept light: ``alphapy --help`` imports this)."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alphapy import hookimpl
from alphapy_tickets import hookspecs

if TYPE_CHECKING:
    import argparse
    from importlib.abc import Traversable

    from alphapy import AlphapyBot, Database, PluginCog, RegisterSetting, SubParsers, Tour

alphapy_hookspecs = hookspecs
"""The hooks tickets fires for other plugins (``ticket_summarized``); the core declares them at load."""


@hookimpl
def register_migrations() -> Traversable:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: RegisterSetting) -> None:
    register("category", "channel", help="the category ticket channels are created in (none: at the top)")
    register("overflow_category", "channel", help="where ticket channels go when the category is full (50)")
    register("staff_role", "role", purpose="ping",
             help="who handles tickets: sees every ticket channel and may claim, close, archive")
    register("escalation_role", "role", purpose="ping", help="who a ticket is escalated to (pinged and given access)")
    register("log_channel", "channel", help="where the HTML transcript of an archived ticket is posted")
    register("ai_summaries", "bool", default=False,
             help="send a closed ticket's conversation (redacted) to the AI for a summary")
    register("max_open_per_user", "int", default=1, min=1, max=10, help="open tickets a member may have at once")
    register("cooldown_minutes", "int", default=5, min=0, max=1440, help="minutes between two openings by a member")
    register("autoclose_hours", "int", default=0, min=0, max=720,
             help="close a ticket that waits this long for the member's answer (0: never)")


@hookimpl
def register_cogs(bot: AlphapyBot) -> PluginCog:
    from alphapy_tickets.cog import TicketsCog

    return TicketsCog(bot)


@hookimpl
async def startup(bot: AlphapyBot) -> None:
    from alphapy import DueWork
    from alphapy_tickets import store
    from alphapy_tickets.cog import TicketsCog

    desk = TicketsCog.of(bot).desk
    bot.scheduler.add_due_work(DueWork(
        name="tickets.autoclose", claim=store.claim_autoclose, next_due=store.next_autoclose,
        handle=desk.autoclose, channel=store.AUTOCLOSE_CHANNEL, batch_size=50, poll_interval=300.0))

    async def purge_unopened() -> None:
        await store.purge_unopened(bot.db)

    bot.scheduler.every("tickets.purge_unopened", 3600, purge_unopened)


@hookimpl
async def shutdown(bot: AlphapyBot) -> None:
    from alphapy_tickets.cog import TicketsCog

    cog = TicketsCog.find(bot)
    if cog is not None:
        await cog.desk.drain()


@hookimpl
async def user_data(user_id: int, db: Database) -> dict[str, Any] | None:
    from alphapy_tickets import store

    async with db.acquire() as conn:
        return await store.user_data(conn, user_id)


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Database) -> int | None:
    from alphapy_tickets import store

    async with db.acquire() as conn:
        return await store.forget_user(conn, user_id, guild_id)


@hookimpl
def register_cli(commands: SubParsers[argparse.ArgumentParser]) -> None:
    from alphapy_tickets.cli import add_parser

    add_parser(commands)


@hookimpl
def register_demo(tour: Tour) -> None:
    from alphapy_tickets.demo import chapter

    tour.chapter("Tickets: a member asks for help, staff claim, close and archive", chapter)


@hookimpl
def register_dashboard(pages: Any) -> None:
    from alphapy_tickets.dashboard import register  # aiohttp code stays out of `alphapy --help`

    register(pages)
