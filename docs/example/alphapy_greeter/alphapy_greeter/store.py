"""Every SQL statement of the greeter plugin; each query of guild data filters by guild_id."""

from __future__ import annotations

from datetime import datetime
from typing import Any


async def record_welcome(conn: Any, guild_id: int, user_id: int) -> None:
    await conn.execute("INSERT INTO greeter_welcomes (guild_id, user_id) VALUES ($1, $2)", guild_id, user_id)


async def welcome_count(conn: Any, guild_id: int) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM greeter_welcomes WHERE guild_id = $1", guild_id))


async def welcomes_of(conn: Any, user_id: int) -> list[datetime]:
    rows = await conn.fetch("SELECT welcomed_at FROM greeter_welcomes WHERE user_id = $1 ORDER BY id", user_id)
    return [row["welcomed_at"] for row in rows]


async def forget(conn: Any, user_id: int, guild_id: int | None) -> int:
    status = await conn.execute(
        "DELETE FROM greeter_welcomes WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2)",
        user_id, guild_id)
    return int(status.split()[-1])
