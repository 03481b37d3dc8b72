"""A person's data: export it (access request) and erase it (right to be forgotten).

The core holds command-usage rows (``audit_logs``) and who changed a setting
(``settings_history.changed_by``, ``bot_settings.updated_by``); each plugin answers for
its own tables through the ``user_data`` and ``forget_user`` hooks. Erasing the core's
part deletes the person's usage rows and blanks their id in the settings audit trail
(the changes themselves stay: a guild's configuration history is the guild's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alphapy.db import Database
    from alphapy.plugins import PluginManager

_USAGE = """
SELECT guild_id, command_name, command_type, success, created_at
FROM audit_logs WHERE user_id = $1 ORDER BY created_at
"""
_SETTINGS_CHANGES = """
SELECT guild_id, scope, key, change_type, changed_at FROM settings_history WHERE changed_by = $1 ORDER BY id
"""
_FORGET_USAGE = "DELETE FROM audit_logs WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2)"
_FORGET_HISTORY = """
UPDATE settings_history SET changed_by = NULL WHERE changed_by = $1 AND ($2::bigint IS NULL OR guild_id = $2)
"""
_FORGET_SETTINGS = """
UPDATE bot_settings SET updated_by = NULL WHERE updated_by = $1 AND ($2::bigint IS NULL OR guild_id = $2)
"""


def _count(status: str) -> int:
    return int(status.split()[-1])


async def export_user(db: Database, plugins: PluginManager, user_id: int) -> dict[str, Any]:
    """Everything held about ``user_id``: the core's part and each plugin's."""
    async with db.acquire() as conn:
        usage = [dict(r) for r in await conn.fetch(_USAGE, user_id)]
        changes = [dict(r) for r in await conn.fetch(_SETTINGS_CHANGES, user_id)]
    data: dict[str, Any] = {"user_id": user_id, "core": {"command_usage": usage, "settings_changes": changes}}
    for result in await plugins.call_async("user_data", user_id=user_id, db=db):
        if result.error is not None:
            data[result.plugin] = {"error": f"{type(result.error).__name__}: {result.error}"}
        elif result.value is not None:
            data[result.plugin] = result.value
    return data


async def forget_user(db: Database, plugins: PluginManager, user_id: int, guild_id: int | None) -> dict[str, Any]:
    """Erase ``user_id`` everywhere (or in one guild); returns what each part removed."""
    async with db.transaction() as conn:
        removed: dict[str, int | str] = {
            "core": _count(await conn.execute(_FORGET_USAGE, user_id, guild_id))
            + _count(await conn.execute(_FORGET_HISTORY, user_id, guild_id))
            + _count(await conn.execute(_FORGET_SETTINGS, user_id, guild_id)),
        }
    for result in await plugins.call_async("forget_user", user_id=user_id, guild_id=guild_id, db=db,
                                           concurrent=False, timeout=60):
        removed[result.plugin] = (f"error: {type(result.error).__name__}: {result.error}"
                                  if result.error is not None else (result.value or 0))
    return removed
