"""Hook implementations of the onboarding plugin."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alphapy import hookimpl

if TYPE_CHECKING:
    from importlib.abc import Traversable

    from alphapy import AlphapyBot, DashboardPages, Database, PluginCog, RegisterSetting, Tour

PROGRESS_KEEP_DAYS = 180  # a run nobody touched for this long is dropped


@hookimpl
def register_migrations() -> Traversable:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: RegisterSetting) -> None:
    register("channel", "channel", help="the welcome channel where the bot keeps the Start panel")
    register("log_channel", "channel", help="where the bot tells staff about roles it cannot give")
    register("completed_role", "role", purpose="grant", help="the role a member gets on finishing onboarding")
    register("dm_on_join", "bool", default=False,
             help="also send new members a Start button by direct message (after membership screening)")
    register("panel_text", "str", max_length=1000,
             default="Press **Start** to read the rules and introduce yourself. It takes a minute.",
             help="the text of the Start panel and the join DM")


@hookimpl
def register_cogs(bot: AlphapyBot) -> PluginCog:
    from alphapy_onboarding.cog import OnboardingCog

    return OnboardingCog(bot)


@hookimpl
async def startup(bot: AlphapyBot) -> None:
    from alphapy_onboarding import store

    async def purge_stale_progress() -> None:
        async with bot.db.acquire() as conn:
            await store.purge_stale_progress(conn, PROGRESS_KEEP_DAYS)

    bot.scheduler.every("onboarding.purge_stale_progress", 24 * 3600, purge_stale_progress)


@hookimpl
def register_dashboard(pages: DashboardPages) -> None:
    from alphapy_onboarding.dashboard import register  # aiohttp code stays out of `alphapy --help`

    register(pages)


@hookimpl
def register_demo(tour: Tour) -> None:
    from alphapy_onboarding.demo import chapter

    tour.chapter("Onboarding: rules, questions and roles for a newcomer", chapter)


@hookimpl
async def user_data(user_id: int, db: Database) -> dict[str, Any] | None:
    """Everything stored on the person: finished answers and runs in flight, per server."""
    from alphapy_onboarding import store

    async with db.acquire() as conn:
        finished, running = await store.user_rows(conn, user_id)
    if not finished and not running:
        return None
    return {
        "responses": [{"guild_id": r["guild_id"], "answers": r["responses"],
                       "completed_at": r["timestamp"].isoformat() + "Z" if r["timestamp"] else None}
                      for r in finished],
        "in_progress": [{"guild_id": r["guild_id"], "answers": r["answers"],
                         "rules_accepted_at": r["rules_accepted_at"].isoformat() if r["rules_accepted_at"] else None,
                         "started_at": r["started_at"].isoformat(), "updated_at": r["updated_at"].isoformat()}
                        for r in running],
    }


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Database) -> int:
    from alphapy_onboarding import store

    async with db.acquire() as conn:
        return await store.forget(conn, user_id, guild_id)
