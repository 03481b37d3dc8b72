"""A person's data: export and erase, core and plugins, through the CLI too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from typing import Any

import pytest

from alphapy import hookimpl
from alphapy.db import Database
from alphapy.plugins import PluginManager
from alphapy.privacy import export_user, forget_user

USER = 4242
OTHER = 777


def notes_plugin(store: dict[int, list[str]]) -> types.ModuleType:
    module = types.ModuleType("notes")

    async def user_data(user_id: int, db: Any) -> dict[str, Any] | None:
        assert await db.fetchval("SELECT 1") == 1  # the hook gets a working database
        return {"notes": store[user_id]} if store.get(user_id) else None

    async def forget_user(user_id: int, guild_id: int | None) -> int:
        return len(store.pop(user_id, []))

    module.user_data = hookimpl(user_data)  # type: ignore[attr-defined]
    module.forget_user = hookimpl(forget_user)  # type: ignore[attr-defined]
    return module


async def seed(db: Database) -> None:
    await db.execute("""INSERT INTO audit_logs (guild_id, user_id, command_name, command_type, success)
                        VALUES (1, $1, 'ping', 'slash', true), (2, $1, 'hello', 'text', false),
                               (1, $2, 'ping', 'slash', true)""", USER, OTHER)
    await db.execute("""INSERT INTO settings_history (guild_id, scope, key, new_value, changed_by, change_type)
                        VALUES (1, 'core', 'timezone', '"UTC"', $1, 'created')""", USER)
    await db.execute("""INSERT INTO bot_settings (guild_id, scope, key, value, updated_by)
                        VALUES (1, 'core', 'timezone', '"UTC"', $1)""", USER)


async def test_export_and_forget(db: Database) -> None:
    await seed(db)
    store = {USER: ["likes raids"], OTHER: ["other person"]}
    plugins = PluginManager()
    plugins.register(notes_plugin(store), "notes")

    data = await export_user(db, plugins, USER)
    assert [u["command_name"] for u in data["core"]["command_usage"]] == ["ping", "hello"]
    assert data["core"]["settings_changes"][0]["key"] == "timezone"
    assert data["notes"] == {"notes": ["likes raids"]}
    assert "other person" not in json.dumps(data, default=str)

    removed = await forget_user(db, plugins, USER, guild_id=1)
    assert removed == {"core": 3, "notes": 1}  # guild 1's usage row, the history id, the settings id
    assert await db.fetchval("SELECT count(*) FROM audit_logs WHERE user_id = $1", USER) == 1  # guild 2 kept
    removed = await forget_user(db, plugins, USER, guild_id=None)
    assert removed["core"] == 1
    assert await db.fetchval("SELECT count(*) FROM audit_logs WHERE user_id = $1", USER) == 0
    assert await db.fetchval("SELECT count(*) FROM audit_logs WHERE user_id = $1", OTHER) == 1
    assert await db.fetchval("SELECT count(*) FROM settings_history WHERE changed_by IS NULL") == 1
    assert store == {OTHER: ["other person"]}


def test_cli(migrated_database_url: str, tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "ALPHAPY_PLUGINS": ""}

    def alphapy(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "alphapy", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    exported = alphapy("user-data", str(USER))
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout) == {"user_id": USER, "core": {"command_usage": [], "settings_changes": []}}
    refused = alphapy("forget-user", str(USER))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = alphapy("forget-user", str(USER), "--yes")
    assert done.returncode == 0 and done.stdout.endswith(f"user {USER} forgotten\n")


@pytest.mark.parametrize("bad", ["abc", "-"])
def test_cli_refuses_a_malformed_id(bad: str, tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "alphapy", "user-data", bad], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "invalid int value" in done.stderr
