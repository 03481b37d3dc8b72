"""Hook implementations of the FAQ plugin."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alphapy import hookimpl

if TYPE_CHECKING:
    import argparse
    from importlib.abc import Traversable

    from alphapy import AlphapyBot, Database, PluginCog, RegisterSetting, SubParsers, Tour


@hookimpl
def register_migrations() -> Traversable:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: RegisterSetting) -> None:
    register("language", "choice", default="english", choices=["english", "dutch", "simple"],
             help="how searches understand words: english or dutch (stemmed: 'resetting' finds 'reset'), "
                  "or simple (words as typed)")
    register("proposals_channel", "channel",
             help="where staff get FAQ proposals drawn from closed tickets (unset: no proposals)")
    register("proposal_threshold", "int", default=3, min=2, max=50,
             help="how many closed tickets on one topic make a proposal")
    register("staff_role", "role", help="who may add, edit and remove entries and see statistics "
                                        "(besides Manage Server and core.staff_role)")
    register("results", "int", default=5, min=1, max=10, help="how many results a search shows")


@hookimpl
def register_cogs(bot: AlphapyBot) -> PluginCog:
    from alphapy_faq.cog import FaqCog

    return FaqCog(bot)


@hookimpl(optionalhook=True)
async def ticket_summarized(ticket: dict[str, Any], summary: dict[str, Any], bot: AlphapyBot) -> None:
    """Count the summary towards its topic; propose an entry when a topic keeps coming back.

    A hook the tickets plugin declares: optional, so FAQ loads where tickets is not installed.
    """
    if bot is None:
        return
    from alphapy_faq.proposals import on_ticket_summarized

    await on_ticket_summarized(bot, ticket, summary)


@hookimpl
async def user_data(user_id: int, db: Database) -> dict[str, Any] | None:
    from alphapy_faq import store

    async with db.acquire() as conn:
        searches = store.rows(await store.user_search_logs(conn, user_id))
        summaries = store.rows(await store.user_summaries(conn, user_id))
        written = store.rows(await store.user_entries(conn, user_id))
    if not (searches or summaries or written):
        return None
    for row in [*searches, *summaries, *written]:
        for key, value in row.items():
            if hasattr(value, "isoformat"):
                row[key] = value.isoformat()
    return {"searches": searches, "ticket_summaries": summaries, "entries_written": written}


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Database) -> int:
    from alphapy_faq import store

    async with db.transaction() as conn:
        return await store.forget_user(conn, user_id, guild_id)


@hookimpl
def register_cli(commands: SubParsers[argparse.ArgumentParser]) -> None:
    from alphapy_faq.cli import add_parser

    add_parser(commands)


@hookimpl
def register_demo(tour: Tour) -> None:
    from alphapy_faq.demo import chapter

    tour.chapter("FAQ: searching, writing entries, statistics and proposals from tickets", chapter)


@hookimpl
def register_dashboard(pages: Any) -> None:
    from alphapy_faq.dashboard import register  # aiohttp code stays out of `alphapy --help`

    register(pages)
