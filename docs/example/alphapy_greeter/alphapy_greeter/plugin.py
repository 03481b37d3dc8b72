"""Hook implementations of the greeter plugin: what it contributes, nothing else."""

from importlib.resources import files
from typing import Any

from alphapy import hookimpl


@hookimpl
def register_migrations() -> Any:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: Any) -> None:
    register("channel", "channel", help="where new members are greeted (not set: nowhere)")
    register("text", "str", default="Welcome, {member}!", max_length=500,
             help="the greeting; {member} becomes a mention of the new member")


@hookimpl
def register_cogs(bot: Any) -> Any:
    from alphapy_greeter.cog import GreeterCog  # discord.py code is imported lazily

    return GreeterCog(bot)


@hookimpl
def register_dashboard(pages: Any) -> None:
    from alphapy_greeter.dashboard import register  # aiohttp code is imported lazily too

    register(pages)


@hookimpl
async def user_data(user_id: int, db: Any) -> dict[str, Any] | None:
    from alphapy_greeter import store

    async with db.acquire() as conn:
        welcomes = await store.welcomes_of(conn, user_id)
    return {"welcomed": [w.isoformat() for w in welcomes]} if welcomes else None


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Any) -> int:
    from alphapy_greeter import store

    async with db.acquire() as conn:
        return await store.forget(conn, user_id, guild_id)
