"""One plugin's broken migrations never stop another plugin, and say what broke.

A plugin whose migration has an SQL error, an id without its owner's prefix or a
dependency nobody provides is left out (and so is every plugin building on it), the
others are migrated and the bot starts without it. Only the core's own migrations stop
a run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from alphapy import hookimpl
from alphapy.db.migrate import MigrationError, MigrationRunner, MigrationSource, core_source
from alphapy.testing.bot import running_alphapy
from tests.conftest import TEST_PLUGINS, test_plugin
from tests.schema_queries import applied_migrations, public_tables

SQL_ERROR = 'badsql_0002_typo: syntax error at or near "CREAT"'


def source(name: str) -> MigrationSource:
    return MigrationSource(name, TEST_PLUGINS / f"alphapy_{name}" / f"alphapy_{name}" / "migrations")


def folder_with(tmp_path: Path, owner: str, **migrations: str) -> MigrationSource:
    path = tmp_path / owner
    path.mkdir()
    for name, sql in migrations.items():
        (path / f"{name}.sql").write_text(sql)
    return MigrationSource(owner, path)


# --- the runner ------------------------------------------------------------------------

def test_an_sql_error_leaves_out_that_plugin_and_its_dependents_only(database_url: str, tmp_path: Path) -> None:
    needy = folder_with(tmp_path, "needy",
                        needy_0001_init="-- depends: badsql_0001_init\nCREATE TABLE needy (id INT);")
    runner = MigrationRunner(database_url, [core_source(), source("badsql"), needy, source("hello"),
                                            source("dependent")])
    report = runner.apply_isolating_plugins()
    assert set(report.applied) == {"core_0001_init", "core_0002_migration_records", "core_0003_settings_write",
                                   "badsql_0001_init",
                                   "hello_0001_init", "dependent_0001_replies"}
    assert report.failed["badsql"].startswith(SQL_ERROR)
    assert report.failed["needy"].startswith(
        "migration 'needy_0001_init' depends on badsql_0001_init of 'badsql', which failed: " + SQL_ERROR)
    assert set(report.failed) == {"badsql", "needy"}
    assert applied_migrations(database_url) == set(report.applied)
    assert "needy" not in public_tables(database_url) and "badsql_more" not in public_tables(database_url)
    with psycopg.connect(database_url) as conn:  # the failed migration's first statement was undone too
        columns = conn.execute("SELECT column_name FROM information_schema.columns "
                               "WHERE table_name = 'badsql_things'").fetchall()
    assert columns == [("id",)]

    again = runner.apply_isolating_plugins()
    assert again.applied == [] and set(again.failed) == {"badsql", "needy"}
    with pytest.raises(MigrationError, match="^migration " + SQL_ERROR):
        runner.apply()  # the strict form, for tools and tests, names it too


@pytest.mark.parametrize("broken", ["unprefixed", "missing dependency", "missing folder"])
def test_a_plugin_that_cannot_be_read_is_left_out(database_url: str, tmp_path: Path, broken: str) -> None:
    if broken == "unprefixed":
        things = folder_with(tmp_path, "things", **{"0001_init": "CREATE TABLE things (id INT);"})
        reason = "migration '0001_init' of 'things' (.*) must be named things_<number>_<name>"
    elif broken == "missing dependency":
        things = folder_with(tmp_path, "things",
                             things_0001_init="-- depends: ghost_0001_init\nCREATE TABLE things (id INT);")
        reason = "migration 'things_0001_init' depends on ghost_0001_init, which no loaded plugin provides"
    else:
        things = MigrationSource("things", tmp_path / "nowhere")
        reason = "migration folder of 'things' does not exist"
    runner = MigrationRunner(database_url, [core_source(), things, source("hello")])
    report = runner.apply_isolating_plugins()
    assert report.applied == ["core_0001_init", "core_0002_migration_records", "core_0003_settings_write",
                              "hello_0001_init"]
    assert list(report.failed) == ["things"]
    assert re.match(reason, report.failed["things"])
    assert {s.owner for s in runner.status()} == {"core", "hello"}  # --list, settings: no crash
    assert list(runner.failed) == ["things"]


def test_a_failing_core_migration_stops_the_run(database_url: str, tmp_path: Path) -> None:
    core = folder_with(tmp_path, "core", core_0001_init="CREATE TABLE bot_settings (id INT);",
                       core_0002_broken="-- depends: core_0001_init\nCREATE TABLE oops (id INT;")
    runner = MigrationRunner(database_url, [core, source("hello")])
    with pytest.raises(MigrationError, match='^migration core_0002_broken: syntax error at or near ";"'):
        runner.apply()
    with pytest.raises(MigrationError, match='^migration core_0002_broken: syntax error at or near ";"'):
        runner.apply_isolating_plugins()
    assert "core_0002_broken" not in applied_migrations(database_url)


def test_an_unprefixed_core_migration_stops_the_run(database_url: str, tmp_path: Path) -> None:
    core = folder_with(tmp_path, "core", **{"0001_init": "CREATE TABLE x (id INT);"})
    with pytest.raises(MigrationError, match="must be named core_<number>_<name>"):
        MigrationRunner(database_url, [core, source("hello")]).apply_isolating_plugins()
    assert "hello_greetings" not in public_tables(database_url)


# --- a bot start -----------------------------------------------------------------------

class UnpackagedMigrations:
    """A plugin whose ``register_migrations`` raises (its wheel forgot the folder)."""

    @hookimpl
    def register_migrations(self) -> Any:
        raise FileNotFoundError("the migrations folder was not packaged")


async def test_the_bot_starts_without_the_plugins_whose_migrations_fail(emulator: Any, guild: Any,
                                                                        member: Any, database_url: str) -> None:
    plugins = [(name, test_plugin(name)) for name in ("badprefix", "badsql", "hello")]
    plugins.append(("unpackaged", UnpackagedMigrations()))
    async with running_alphapy(emulator, database_url, plugins=plugins) as runner:
        infos = runner.runtime.plugins.infos
        assert infos["badsql"].status == "failed"
        assert infos["badsql"].error.startswith("MigrationError: " + SQL_ERROR)
        assert infos["badprefix"].status == "failed"
        assert "migration '0001_init' of 'badprefix'" in infos["badprefix"].error
        assert infos["unpackaged"].error == "FileNotFoundError: the migrations folder was not packaged"
        assert runner.runtime.plugins.loaded == ["hello"]
        assert (await emulator.slash(member, "hello")).content == "Hello, member!"
        registry = runner.services.settings.registry
        assert ("hello", "greeting") in registry and ("badsql", "motto") not in registry


# --- the CLI ---------------------------------------------------------------------------

@pytest.fixture
def alphapy_cli(database_url: str, install_test_plugins: Any, tmp_path: Path) -> Any:
    pythonpath = install_test_plugins("hello", "badsql", "badprefix")
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": pythonpath,
           "ALPHAPY_PLUGINS": "badprefix,badsql,hello"}
    env.pop("LOG_LEVEL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "alphapy", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    return run


def test_cli_commands_go_on_without_the_broken_plugins(alphapy_cli: Any) -> None:
    migrated = alphapy_cli("migrate")
    assert migrated.returncode == 1
    assert migrated.stdout == ("applied 5 migration(s): core_0001_init, core_0002_migration_records, "
                               "core_0003_settings_write, "
                               "badsql_0001_init, hello_0001_init\n")
    lines = [line for line in migrated.stderr.splitlines() if line.startswith("alphapy:")]  # not the log
    assert lines[0].startswith(
        "alphapy: plugin badprefix failed, its migrations are left out: migration '0001_init'")
    assert lines[1] == f"alphapy: plugin badsql failed, its migrations are left out: {SQL_ERROR}"
    assert len(lines) == 2

    plugins = {row["name"]: row for row in json.loads(alphapy_cli("plugins", "--json").stdout)["plugins"]}
    assert plugins["badprefix"]["status"] == "failed"
    assert "migration '0001_init' of 'badprefix'" in plugins["badprefix"]["error"]
    assert plugins["hello"]["status"] == "loaded"

    listed = alphapy_cli("migrate", "--list")
    assert listed.returncode == 0 and "hello_0001_init" in listed.stdout

    settings = alphapy_cli("settings", "get", "--guild", "5", "hello", "greeting")
    assert settings.returncode == 0, settings.stderr
    assert settings.stdout == "Hello\n"
    assert "alphapy: plugin badsql is left out: migration badsql_0002_typo is not applied" in settings.stderr
    assert "alphapy: plugin badprefix is left out: migration '0001_init'" in settings.stderr
    gone = alphapy_cli("settings", "get", "--guild", "5", "badsql", "motto")
    assert gone.returncode == 1 and "unknown setting badsql.motto" in gone.stderr

    exported = alphapy_cli("user-data", "42")
    assert exported.returncode == 0, exported.stderr
