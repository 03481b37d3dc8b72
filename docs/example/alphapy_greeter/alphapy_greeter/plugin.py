"""Hook implementations of the greeter plugin: what it contributes, nothing else."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alphapy import hookimpl

if TYPE_CHECKING:
    from importlib.abc import Traversable

    from alphapy import AlphapyBot, DashboardPages, Database, PluginCog, RegisterSetting


@hookimpl
def register_migrations() -> Traversable:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: RegisterSetting) -> None:
    register("channel", "channel", help="where new members are greeted (not set: nowhere)")
    register("text", "str", default="Welcome, {member}!", max_length=500,
             help="the greeting; {member} becomes a mention of the new member")


@hookimpl
def register_cogs(bot: AlphapyBot) -> PluginCog:
    from alphapy_greeter.cog import GreeterCog  # discord.py code is imported lazily

    return GreeterCog(bot)


@hookimpl
def register_dashboard(pages: DashboardPages) -> None:
    from alphapy_greeter.dashboard import register  # aiohttp code is imported lazily too

    register(pages)


@hookimpl
async def user_data(user_id: int, db: Database) -> dict[str, Any] | None:
    from alphapy_greeter import store

    async with db.acquire() as conn:
        welcomes = await store.welcomes_of(conn, user_id)
    return {"welcomed": [w.isoformat() for w in welcomes]} if welcomes else None


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Database) -> int:
    from alphapy_greeter import store

    async with db.acquire() as conn:
        return await store.forget(conn, user_id, guild_id)
