"""Every SQL statement of the settings service (``bot_settings``, ``settings_history``).

A change and its history row are written in one transaction, under a transaction-level
advisory lock on the setting, so that concurrent writers of the same setting (two hosts,
two shard processes) record a correct ``old_value`` and ``change_type`` each. The
``NOTIFY`` goes out in the same transaction: PostgreSQL delivers it on commit only, so
no process drops its cache for a change that was rolled back. All of it is one call of a
server-side function (migration ``core_0006_settings_write``): one round trip per change
instead of four, the whole cost of a write on a busy bot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncpg

NOTIFY_CHANNEL = "alphapy_settings"

# One statement, one round trip: the functions (migration core_0006_settings_write) take
# the lock, change the value, write the history row and NOTIFY in the statement's own
# transaction.
_WRITE = """
SELECT history_id AS id, previous AS old_value, kind AS change_type, at AS changed_at
FROM alphapy_settings_write($1, $2, $3, $4, $5, $6, $7, $8)
"""

# Several writes as one set (migration core_0007_settings_write_batch): three statements
# and one NOTIFY per batch, whatever its size; the rows come back in the order given.
_WRITE_MANY = """
SELECT history_id AS id, previous AS old_value, kind AS change_type, at AS changed_at
FROM alphapy_settings_write_batch($1, $2, $3, $4, $5, $6, $7)
"""

_DELETE = """
SELECT history_id AS id, previous AS old_value, kind AS change_type, at AS changed_at
FROM alphapy_settings_delete($1, $2, $3, $4, $5, $6)
"""

_LOAD_GUILD = "SELECT scope, key, value FROM bot_settings WHERE guild_id = $1"

_HISTORY = """
SELECT id, guild_id, scope, key, old_value, new_value, value_type, changed_by, changed_at, change_type
FROM settings_history
WHERE guild_id = $1
  AND ($2::text IS NULL OR scope = $2)
  AND ($3::text IS NULL OR key = $3)
  AND ($4::int IS NULL OR id < $4)
ORDER BY id DESC
LIMIT $5
"""

_HISTORY_ENTRY = """
SELECT id, guild_id, scope, key, old_value, new_value, value_type, changed_by, changed_at, change_type
FROM settings_history WHERE id = $1 AND guild_id = $2
"""

_GUILDS_WITH = "SELECT guild_id, value FROM bot_settings WHERE scope = $1 AND key = $2"


@dataclass(frozen=True)
class HistoryEntry:
    """One row of ``settings_history``."""

    id: int
    guild_id: int
    scope: str
    key: str
    old_value: Any
    new_value: Any
    value_type: str | None
    changed_by: int | None
    changed_at: datetime
    change_type: str

    @classmethod
    def from_record(cls, record: Any) -> HistoryEntry:
        return cls(**dict(record))


async def load_guild(conn: asyncpg.Connection, guild_id: int) -> dict[tuple[str, str], Any]:
    """Every stored value of one guild (defaults are not stored)."""
    rows = await conn.fetch(_LOAD_GUILD, guild_id)
    return {(row["scope"], row["key"]): row["value"] for row in rows}


async def write(
    conn: asyncpg.Connection,
    guild_id: int,
    scope: str,
    key: str,
    value: Any,
    value_type: str,
    changed_by: int | None,
    change_type: str | None = None,
) -> HistoryEntry:
    """Store a value and its history row; ``change_type`` None means created/updated."""
    row = await conn.fetchrow(
        _WRITE, guild_id, scope, key, value, value_type, changed_by, change_type, NOTIFY_CHANNEL
    )
    assert row is not None
    return HistoryEntry(row["id"], guild_id, scope, key, row["old_value"], value, value_type,
                        changed_by, row["changed_at"], row["change_type"])


@dataclass(frozen=True)
class NewValue:
    """One write of :func:`write_many`: a value for one guild's setting, and who set it."""

    guild_id: int
    scope: str
    key: str
    value: Any
    value_type: str
    changed_by: int | None


async def write_many(conn: asyncpg.Connection, writes: list[NewValue]) -> list[HistoryEntry]:
    """Store several values in one statement and one transaction, in the order given, each
    with the history row :func:`write` would have written; one entry per write. One
    ``NOTIFY`` names them all (see :func:`changed_guilds`)."""
    rows = await conn.fetch(
        _WRITE_MANY,
        [w.guild_id for w in writes], [w.scope for w in writes], [w.key for w in writes],
        [w.value for w in writes], [w.value_type for w in writes], [w.changed_by for w in writes],
        NOTIFY_CHANNEL,
    )
    if len(rows) != len(writes):
        raise RuntimeError(f"{len(writes)} settings written, {len(rows)} history rows returned")
    return [HistoryEntry(row["id"], w.guild_id, w.scope, w.key, row["old_value"], w.value, w.value_type,
                         w.changed_by, row["changed_at"], row["change_type"]) for w, row in zip(writes, rows, strict=True)]


def changed_guilds(payload: str) -> set[int] | None:
    """The guilds a ``NOTIFY`` on :data:`NOTIFY_CHANNEL` says changed; None: forget them all.

    A single change sends ``guild:scope:key``; a batch sends one such line per setting it
    changed, after a first line ``*`` when they span several guilds (so that a process of
    an older version, which reads only the first guild, forgets every guild instead).
    Anything unreadable means "forget everything": a stale cache is the worse mistake.
    """
    guilds: set[int] = set()
    for line in payload.split("\n"):
        if line == "*":
            continue
        guild, _, _rest = line.partition(":")
        try:
            guilds.add(int(guild))
        except ValueError:
            return None
    return guilds or None


async def delete(
    conn: asyncpg.Connection,
    guild_id: int,
    scope: str,
    key: str,
    changed_by: int | None,
    change_type: str = "deleted",
) -> HistoryEntry | None:
    """Remove a stored value (back to the default); None when nothing was stored."""
    row = await conn.fetchrow(_DELETE, guild_id, scope, key, changed_by, change_type, NOTIFY_CHANNEL)
    if row is None:
        return None
    return HistoryEntry(row["id"], guild_id, scope, key, row["old_value"], None, None,
                        changed_by, row["changed_at"], row["change_type"])


async def history(
    conn: asyncpg.Connection,
    guild_id: int,
    scope: str | None,
    key: str | None,
    before_id: int | None,
    limit: int,
) -> list[HistoryEntry]:
    """Newest first; page with ``before_id`` = the last id of the previous page."""
    rows = await conn.fetch(_HISTORY, guild_id, scope, key, before_id, limit)
    return [HistoryEntry.from_record(row) for row in rows]


async def history_entry(conn: asyncpg.Connection, guild_id: int, history_id: int) -> HistoryEntry | None:
    """One history row, only if it belongs to ``guild_id``."""
    row = await conn.fetchrow(_HISTORY_ENTRY, history_id, guild_id)
    return HistoryEntry.from_record(row) if row else None


async def guilds_with(conn: asyncpg.Connection, scope: str, key: str) -> dict[int, Any]:
    """Guilds that stored a value for one setting, with that value."""
    rows = await conn.fetch(_GUILDS_WITH, scope, key)
    return {row["guild_id"]: row["value"] for row in rows}
