"""``alphapy backup`` / ``alphapy restore``: real pg_dump archives on a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.types.json import Jsonb

from alphapy.db import backup as backup_module
from alphapy.db.backup import BackupError, Tool, backup, libpq_arguments, restore, select_tool
from alphapy.testing.database import TestDatabaseServer
from tests.schema_queries import CORE_MIGRATIONS

WHEN = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=timezone.utc)
UNICODE = "Café ☕ – 日本語 🎉 \"quoted\" \\ back\nslash"
SETTINGS: list[tuple[Any, ...]] = [
    (1, "core", "prefix", Jsonb("!"), "str"),
    (1, "core", "complex", Jsonb({"channels": [1, 2, 3], "nested": {"ok": True, "name": UNICODE},
                                  "none": None, "float": 1.5, "big": 2**62}), "json"),
    (2**63 - 1, "reminders", "ünïcödé-kéy", Jsonb([UNICODE, {"emoji": "🙂"}]), "list"),
    (3, "core", "json-null", Jsonb(None), None),
]


@pytest.fixture
def new_database(alphapy_test_server: TestDatabaseServer) -> Iterator[Callable[[], str]]:
    """Makes further fresh, empty databases, dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(alphapy_test_server.create_database())
        return made[-1]

    yield make
    for url in made:
        alphapy_test_server.drop_database(url)


def fill(url: str) -> None:
    """Rows in the core tables: JSONB, unicode, NULL vs JSON null, extreme ids, timestamps."""
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO bot_settings (guild_id, scope, key, value, value_type, updated_by, updated_at) "
                "VALUES (%s, %s, %s, %s, %s, 42, %s)",
                [(*row, WHEN + timedelta(seconds=i)) for i, row in enumerate(SETTINGS)],
            )
            cur.executemany(
                "INSERT INTO settings_history (guild_id, scope, key, old_value, new_value, value_type, "
                "changed_by, changed_at, change_type) VALUES (%s, %s, %s, %s, %s, %s, 7, %s, %s)",
                [
                    (1, "core", "prefix", None, Jsonb("?"), "str", WHEN, "created"),
                    (1, "core", "prefix", Jsonb("?"), Jsonb("!"), "str", WHEN, "updated"),
                    (3, "core", "json-null", Jsonb(None), Jsonb({"k": UNICODE}), None, None, "rollback"),
                ],
            )
            cur.executemany(
                "INSERT INTO audit_logs (guild_id, user_id, command_name, command_type, success, "
                "error_message, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    (1, 10, "remind", "slash", True, None, WHEN),
                    (2**63 - 1, 11, "ping", "text", False, UNICODE, WHEN),
                    (1, 12, "faq", "slash", None, None, None),
                ],
            )
            cur.executemany(
                "INSERT INTO health_check_history (service, version, uptime_seconds, db_status, "
                "guild_count, gpt_status, checked_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [("alphapy", "1.0.0", 5, "ok", 3, None, WHEN), ("alphapy", "1.0.0", 65, "dégradé ⚠", None, "ok", WHEN)],
            )


def contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in ``public``, in a stable order."""
    with psycopg.connect(url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()]
        result = {}
        for table in tables:
            width = len(conn.execute(f'SELECT * FROM "{table}" LIMIT 0').description or [])
            order = ", ".join(str(i) for i in range(1, width + 1))
            result[table] = conn.execute(f'SELECT * FROM "{table}" ORDER BY {order}').fetchall()
    return result


def public_tables(url: str) -> list[str]:
    return sorted(contents(url))


def one_line(message: str) -> str:
    assert "\n" not in message and message.strip() == message and message
    return message


# --- round trips --------------------------------------------------------------------

def test_round_trip_restores_every_row(migrated_database_url: str, database_url: str, tmp_path: Path) -> None:
    fill(migrated_database_url)
    archive = tmp_path / "alphapy.dump"

    made = backup(migrated_database_url, archive)
    assert made.path == archive and made.size == archive.stat().st_size > 0
    assert made.tables == len(public_tables(migrated_database_url)) and not made.skipped_analytics
    assert archive.read_bytes()[:5] == b"PGDMP"  # custom format
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    assert os.listdir(tmp_path) == ["alphapy.dump"]  # no temporary file left behind
    assert "analytics included" in made.summary()

    restored = restore(database_url, archive)
    assert restored.tables == made.tables and not restored.replaced

    source, target = contents(migrated_database_url), contents(database_url)
    assert set(target) >= {"bot_settings", "settings_history", "audit_logs", "health_check_history",
                           "_yoyo_migration"}
    assert target == source
    assert len(target["bot_settings"]) == 4 and len(target["audit_logs"]) == 3
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT value->'nested'->>'name' FROM bot_settings WHERE key = 'complex'"
                            ).fetchone() == (UNICODE,)
        assert conn.execute("SELECT value IS NOT NULL AND value = 'null'::jsonb FROM bot_settings "
                            "WHERE key = 'json-null'").fetchone() == (True,)
        # sequences were restored too: new rows do not collide with restored ones
        new_id = conn.execute("INSERT INTO audit_logs (guild_id, user_id, command_name, command_type) "
                              "VALUES (1, 1, 'x', 'slash') RETURNING id").fetchone()
        assert new_id == (4,)


def test_skip_analytics_keeps_the_tables_but_not_their_rows(
    migrated_database_url: str, database_url: str, tmp_path: Path
) -> None:
    fill(migrated_database_url)
    archive = tmp_path / "light.dump"
    made = backup(migrated_database_url, archive, skip_analytics=True)
    assert made.skipped_analytics and made.tables == len(public_tables(migrated_database_url))
    assert ("analytics rows skipped (audit_logs, health_check_history, dashboard_usage_hours, "
            "dashboard_usage_rollups)") in made.summary()

    restore(database_url, archive)
    source, target = contents(migrated_database_url), contents(database_url)
    assert target["audit_logs"] == [] and target["health_check_history"] == []
    for table in ("bot_settings", "settings_history", "_yoyo_migration"):
        assert target[table] == source[table] and target[table]
    with psycopg.connect(database_url) as conn:  # the empty tables are whole: columns, checks, indexes
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'audit_logs'").fetchone() == (3,)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO audit_logs (guild_id, user_id, command_name, command_type) "
                         "VALUES (1, 1, 'x', 'voice')")


# --- restoring into a database that has contents -------------------------------------

def test_restore_refuses_a_non_empty_database_and_force_replaces_it(
    migrated_database_url: str, alphapy_test_server: TestDatabaseServer, plugin_manager: Any, tmp_path: Path
) -> None:
    fill(migrated_database_url)
    archive = tmp_path / "alphapy.dump"
    backup(migrated_database_url, archive)

    target = alphapy_test_server.migrated_database(plugin_manager.migration_sources())
    try:
        with psycopg.connect(target) as conn:
            conn.execute("INSERT INTO bot_settings (guild_id, scope, key, value) VALUES (9, 'core', 'other', '1')")
        before = contents(target)

        with pytest.raises(BackupError) as refused:
            restore(target, archive)
        message = one_line(str(refused.value))
        assert "is not empty" in message and "--force" in message
        assert f"{len(CORE_MIGRATIONS)} applied migrations" in message
        tables = len(public_tables(target))
        assert f"{tables} tables in public: audit_logs, bot_settings, dashboard_usage_hours, ...;" in message
        assert contents(target) == before  # untouched

        replaced = restore(target, archive, force=True)
        assert replaced.replaced
        assert contents(target) == contents(migrated_database_url)
    finally:
        alphapy_test_server.drop_database(target)


def test_a_single_user_table_makes_a_database_non_empty(
    migrated_database_url: str, database_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "alphapy.dump"
    backup(migrated_database_url, archive)
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TABLE notes (id INT)")
    with pytest.raises(BackupError, match=r"not empty \(1 table in public: notes\)"):
        restore(database_url, archive)
    assert public_tables(database_url) == ["notes"]


# --- bad files and failures -----------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.dump", None, "backup file not found: "),
        ("garbage.dump", b"\x00\x01 definitely not an archive" * 50, "is not a pg_dump archive"),
        ("empty.dump", b"", "is not a pg_dump archive"),
        ("plain.sql", b"--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n", "is a plain SQL dump"),
        ("folder", "dir", "is not a file"),
    ],
)
def test_a_missing_or_invalid_file_is_one_clear_line_and_changes_nothing(
    database_url: str, tmp_path: Path, name: str, content: bytes | str | None, expected: str
) -> None:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(BackupError) as caught:
        restore(database_url, path)
    assert expected in one_line(str(caught.value))
    assert public_tables(database_url) == []


def test_a_truncated_archive_is_rolled_back(
    migrated_database_url: str, database_url: str, tmp_path: Path
) -> None:
    fill(migrated_database_url)
    archive = tmp_path / "alphapy.dump"
    backup(migrated_database_url, archive)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) - 300])  # header and table of contents intact, data cut

    with pytest.raises(BackupError) as caught:
        restore(database_url, archive)
    message = one_line(str(caught.value))
    assert "failed, nothing was changed" in message
    assert public_tables(database_url) == []  # the tables created before the failure were rolled back


def test_a_failed_backup_keeps_the_previous_archive_and_leaves_no_partial_file(
    migrated_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "alphapy.dump"
    target.write_bytes(b"yesterday's good archive")
    record = tmp_path / "record.txt"
    fake = _fake_tool(tmp_path / "bin", "pg_dump", "16.2", body=(
        f'printf "%s\\n" "$@" > {record}\n'
        f'echo "PGPASSWORD=$PGPASSWORD" >> {record}\n'
        'for arg in "$@"; do case "$arg" in --file=*) printf "PGDMP half" > "${arg#--file=}";; esac; done\n'
        'echo "pg_dump: error: query failed: server closed the connection unexpectedly" >&2\n'
        'echo "pg_dump: detail: Query was: COPY ..." >&2\n'
        "exit 1\n"
    ))
    real_select = backup_module.select_tool
    monkeypatch.setattr(backup_module, "select_tool",
                        lambda name, version: fake if name == "pg_dump" else real_select(name, version))

    # The embedded test server trusts its socket, so a made-up password is accepted; a
    # TEST_DATABASE_URL server keeps its own.
    parts = urlsplit(migrated_database_url)
    password = parts.password or "hunter2"
    url = urlunsplit(parts._replace(netloc=f"{parts.username}:{password}@{parts.netloc.rpartition('@')[2]}"))

    with pytest.raises(BackupError) as caught:
        backup(url, target)
    message = one_line(str(caught.value))
    assert message.endswith("failed: query failed: server closed the connection unexpectedly")
    assert password not in message
    assert target.read_bytes() == b"yesterday's good archive"
    assert os.listdir(folder) == ["alphapy.dump"]

    recorded = record.read_text().splitlines()
    assert recorded[-1] == f"PGPASSWORD={password}"  # the password travels in the environment
    assert not any(password in arg for arg in recorded[:-1])  # and never on the command line
    assert "--format=custom" in recorded and "--no-password" in recorded


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(BackupError) as caught:
        backup("postgresql://alphapy:topsecret@127.0.0.1:1/alphapy", tmp_path / "x.dump")
    message = one_line(str(caught.value))
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:1/alphapy: ")
    assert "topsecret" not in message
    assert os.listdir(tmp_path) == []
    with pytest.raises(BackupError, match="does not exist"):
        backup("postgresql://127.0.0.1:1/alphapy", tmp_path / "no" / "such" / "x.dump")


# --- which pg_dump --------------------------------------------------------------------

def _fake_tool(folder: Path, name: str, version: str, body: str = "") -> Tool:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = "--version" ]; then echo "{name} (PostgreSQL) {version}"; exit 0; fi\n' + body
    )
    path.chmod(0o755)
    return Tool(name=name, path=str(path), version=tuple(int(p) for p in version.split(".")), bundled=False)


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Fake a bundled pg_dump and a PATH that holds only the given pg_dump versions."""
    backup_module._tool_version.cache_clear()

    def arrange(bundled: str, on_path: str | None) -> None:
        bundled_tool = _fake_tool(tmp_path / "bundled", "pg_dump", bundled)
        monkeypatch.setattr(backup_module, "_bundled", lambda name: bundled_tool.path)
        path_dir = tmp_path / "path"
        path_dir.mkdir(exist_ok=True)
        if on_path:
            _fake_tool(path_dir, "pg_dump", on_path)
        monkeypatch.setenv("PATH", str(path_dir))

    return arrange


def test_the_bundled_tools_are_preferred_when_new_enough(tools: Callable[..., None]) -> None:
    tools(bundled="16.2", on_path="17.1")
    chosen = select_tool("pg_dump", (16, 4))
    assert chosen.bundled and chosen.version == (16, 2)


def test_a_newer_server_uses_a_new_enough_pg_dump_from_path(tools: Callable[..., None]) -> None:
    tools(bundled="16.2", on_path="17.1")
    chosen = select_tool("pg_dump", (17, 0))
    assert not chosen.bundled and chosen.version == (17, 1)


@pytest.mark.parametrize(("on_path", "mentions"), [("15.18", "pg_dump 15 on PATH"), (None, "no pg_dump on PATH")])
def test_no_new_enough_pg_dump_is_a_clear_error_naming_the_versions(
    tools: Callable[..., None], on_path: str | None, mentions: str
) -> None:
    tools(bundled="16.2", on_path=on_path)
    with pytest.raises(BackupError) as caught:
        select_tool("pg_dump", (17, 2))
    message = one_line(str(caught.value))
    assert "the server runs PostgreSQL 17 but pg_dump must be version 17 or newer" in message
    assert "pg_dump 16 bundled" in message and mentions in message


def test_an_archive_too_new_for_the_bundled_pg_restore_uses_a_newer_one_from_path(
    migrated_database_url: str, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "alphapy.dump"
    backup(migrated_database_url, archive)
    real = backup_module._bundled("pg_restore")
    assert real is not None
    backup_module._tool_version.cache_clear()
    old = _fake_tool(tmp_path / "bundled", "pg_restore", "16.2", body=(
        'echo "pg_restore: error: unsupported version (1.99) in file header" >&2\nexit 1\n'))
    record = tmp_path / "used"
    _fake_tool(tmp_path / "path", "pg_restore", "99.0", body=f'echo newer > {record}\nexec {real} "$@"\n')
    monkeypatch.setattr(backup_module, "_bundled", lambda name: old.path)
    monkeypatch.setenv("PATH", str(tmp_path / "path"))

    restored = restore(database_url, archive)
    assert restored.tables == len(public_tables(database_url)) and record.read_text() == "newer\n"

    monkeypatch.setenv("PATH", "")  # only the old one: a clear line naming it
    with pytest.raises(BackupError) as caught:
        restore(database_url, archive)
    assert "was written by a newer pg_dump than pg_restore 16 bundled can read" in one_line(str(caught.value))


def test_the_file_is_checked_before_the_database(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(b"not an archive at all")
    with pytest.raises(BackupError, match="is not a pg_dump archive"):
        restore("postgresql://127.0.0.1:1/alphapy", garbage)


def test_the_real_bundled_tools_match_the_test_server(database_url: str) -> None:
    backup_module._tool_version.cache_clear()
    with psycopg.connect(database_url) as conn:
        server = backup_module.server_version_tuple(int(conn.execute("SHOW server_version_num").fetchone()[0]))
    chosen = select_tool("pg_dump", server)
    assert chosen.major >= server[:1]
    assert backup_module.server_version_tuple(160002) == (16, 2)
    assert backup_module.server_version_tuple(90624) == (9, 6, 24)


def test_connection_arguments_keep_the_password_off_the_command_line() -> None:
    dbname, env = libpq_arguments("postgresql://bot:s%40cret%3Aword@127.0.0.1:5433/alpha%20py?sslmode=disable")
    assert env["PGPASSWORD"] == "s@cret:word"
    assert "cret" not in dbname and "password" not in dbname
    assert "host=127.0.0.1" in dbname and "port=5433" in dbname and "dbname='alpha py'" in dbname
    assert "sslmode=disable" in dbname and "user=bot" in dbname

    dbname, env = libpq_arguments("postgresql://bot@/alphapy?host=/run/pg%20data&password=p")
    assert "host='/run/pg data'" in dbname and "password" not in dbname and env["PGPASSWORD"] == "p"


# --- the command line -----------------------------------------------------------------

def _cli(*args: str, url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPHAPY_", "PG")) and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, ALPHAPY_PLUGINS="", ALPHAPY_DATA_DIR=str(cwd / "state"))
    return subprocess.run([sys.executable, "-m", "alphapy", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_cli_backup_and_restore_end_to_end(
    migrated_database_url: str, database_url: str, tmp_path: Path
) -> None:
    fill(migrated_database_url)

    made = _cli("backup", "nightly.dump", "--skip-analytics", url=migrated_database_url, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("backed up alphapy_test_") and made.stdout.count("\n") == 1
    tables = len(public_tables(migrated_database_url))
    assert " nightly.dump: " in made.stdout and f", {tables} tables, analytics rows skipped" in made.stdout
    assert sorted(os.listdir(tmp_path)) == ["nightly.dump"]  # and the embedded server never started

    restored = _cli("restore", "nightly.dump", url=database_url, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.startswith(f"restored {tables} tables from nightly.dump into alphapy_test_")
    source, target = contents(migrated_database_url), contents(database_url)
    assert target["bot_settings"] == source["bot_settings"] and target["audit_logs"] == []

    again = _cli("restore", "nightly.dump", url=database_url, cwd=tmp_path)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr.startswith("alphapy: database alphapy_test_") and again.stderr.count("\n") == 1
    assert "use --force" in again.stderr

    forced = _cli("restore", "nightly.dump", "--force", url=database_url, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "(replaced its previous contents)" in forced.stdout

    missing = _cli("restore", "nope.dump", url=database_url, cwd=tmp_path)
    assert missing.returncode == 1
    assert missing.stderr == "alphapy: backup file not found: nope.dump\n"
    assert contents(database_url) == target


def test_cli_without_database_url_backs_up_the_embedded_server_and_releases_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALPHAPY_", "PG")) and k != "DATABASE_URL"}
    env.update(ALPHAPY_PLUGINS="", ALPHAPY_DATA_DIR=str(tmp_path / "state"))
    made = subprocess.run([sys.executable, "-m", "alphapy", "backup", "embedded.dump"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("backed up alphapy to embedded.dump: ")
    assert (tmp_path / "embedded.dump").read_bytes()[:5] == b"PGDMP"
    assert not (tmp_path / "state" / "pgdata" / "postmaster.pid").exists()  # stopped on exit
