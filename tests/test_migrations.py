"""The migration runner: several sources, owner prefixes, locking, rollback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from alphapy.db.migrate import MigrationError, MigrationRunner, MigrationSource, core_source
from tests.conftest import TEST_PLUGINS
from tests.schema_queries import CORE_MIGRATIONS, public_tables


def source(name: str) -> MigrationSource:
    return MigrationSource(name, TEST_PLUGINS / f"alphapy_{name}" / f"alphapy_{name}" / "migrations")


def all_sources() -> list[MigrationSource]:
    return [core_source(), source("hello"), source("dependent")]


def apply_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT migration_id, count(*) FROM _yoyo_log WHERE operation = 'apply' GROUP BY 1"
        ).fetchall()
    return dict(rows)


def test_sources_with_a_cross_source_dependency(database_url: str) -> None:
    runner = MigrationRunner(database_url, reversed(all_sources()))  # order of sources must not matter
    applied = runner.apply()
    assert applied == ["core_0001_init", "hello_0001_init", "dependent_0001_replies", *CORE_MIGRATIONS[1:]]
    assert {"bot_settings", "hello_greetings", "dependent_replies"} <= public_tables(database_url)
    states = {s.id: s for s in runner.status()}
    assert states["dependent_0001_replies"].owner == "dependent"
    assert states["dependent_0001_replies"].depends == ("hello_0001_init",)
    assert all(s.applied for s in states.values())
    assert runner.apply() == []


def test_unprefixed_migration_id_is_refused(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_init.sql").write_text("CREATE TABLE things (id INT);")
    runner = MigrationRunner(database_url, [core_source(), MigrationSource("things", folder)])
    with pytest.raises(MigrationError, match=r"'0001_init' of 'things' .* must be named things_<number>_<name>"):
        runner.apply()
    assert "things" not in public_tables(database_url)
    assert "bot_settings" not in public_tables(database_url)  # refused before anything ran


def test_another_owners_prefix_is_refused(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "core_0002_sneaky.sql").write_text("CREATE TABLE sneaky (id INT);")
    with pytest.raises(MigrationError, match="must be named things_"):
        MigrationRunner(database_url, [core_source(), MigrationSource("things", folder)]).apply()


def test_missing_source_folder_is_refused(database_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(MigrationError, match=f"migration folder of 'ghost' does not exist: {missing}"):
        MigrationRunner(database_url, [core_source(), MigrationSource("ghost", missing)]).apply()


def test_unknown_dependency_is_a_clear_error(database_url: str) -> None:
    with pytest.raises(MigrationError, match="dependent_0001_replies"):
        MigrationRunner(database_url, [core_source(), source("dependent")]).apply()


def test_two_concurrent_runs_apply_each_migration_once(database_url: str, install_test_plugins) -> None:
    pythonpath = install_test_plugins("hello", "dependent")
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": pythonpath,
           "ALPHAPY_PLUGINS": "hello,dependent", "LOG_FORMAT": "json"}
    command = [sys.executable, "-m", "alphapy.cli", "migrate"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    stdout = sorted(out for out, _ in outputs)
    assert stdout[0].startswith(f"applied {len(CORE_MIGRATIONS) + 2} migration(s)")
    assert stdout[1] == "database is up to date\n"
    assert apply_counts(database_url) == dict.fromkeys([*CORE_MIGRATIONS, "hello_0001_init", "dependent_0001_replies"], 1)


def test_stale_lock_row_is_cleared(database_url: str) -> None:
    runner = MigrationRunner(database_url, [core_source()])
    runner.apply()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO yoyo_lock (locked, ctime, pid) VALUES (1, now(), 999999)")
    runner = MigrationRunner(database_url, [core_source(), source("hello")])
    assert runner.apply() == ["hello_0001_init"]  # yoyo alone would wait, then give up
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM yoyo_lock").fetchone() == (0,)


def test_rollback_is_refused_while_another_plugin_depends(database_url: str) -> None:
    runner = MigrationRunner(database_url, all_sources())
    runner.apply()
    with pytest.raises(MigrationError, match=r"cannot roll back 'hello'.*dependent_0001_replies \(dependent\)"):
        runner.rollback("hello")
    assert "hello_greetings" in public_tables(database_url)
    assert runner.rollback("dependent") == ["dependent_0001_replies"]
    assert runner.rollback("hello") == ["hello_0001_init"]
    assert not {"hello_greetings", "dependent_replies"} & public_tables(database_url)
    assert "bot_settings" in public_tables(database_url)
    states = {s.id: s.applied for s in runner.status()}
    assert states == {**dict.fromkeys(CORE_MIGRATIONS, True), "hello_0001_init": False, "dependent_0001_replies": False}


def test_rollback_of_unknown_owner(database_url: str) -> None:
    with pytest.raises(MigrationError, match="no migrations belong to 'nobody'"):
        MigrationRunner(database_url, all_sources()).rollback("nobody")


def test_unreachable_server_is_one_clear_line() -> None:
    runner = MigrationRunner("postgresql://alphapy:secret@127.0.0.1:1/alphapy", [core_source()])
    with pytest.raises(MigrationError) as caught:
        runner.apply()
    message = str(caught.value)
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:1/alphapy")
    assert "secret" not in message and "\n" not in message
