"""A plugin's tables can still be listed and removed after ``pip uninstall``.

The runner keeps each migration's owner, dependencies and rollback SQL in
``_alphapy_migration`` when it applies it; these tests install the test plugins (a
dist-info, as pip leaves), migrate, uninstall them again (the dist-info and the code
gone), and check what ``alphapy migrate --list`` and ``--rollback`` do with what is left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from alphapy.db.migrate import MigrationError, MigrationRunner, MigrationSource, core_source
from tests.conftest import TEST_PLUGINS
from tests.schema_queries import CORE_MIGRATIONS, applied_migrations, public_tables

HELLO = "hello_0001_init"
DEPENDENT = "dependent_0001_replies"


def source(name: str) -> MigrationSource:
    return MigrationSource(name, TEST_PLUGINS / f"alphapy_{name}" / f"alphapy_{name}" / "migrations")


def kept(url: str) -> dict[str, tuple[str, list[str], list[str] | None]]:
    """What ``_alphapy_migration`` holds: owner, dependencies and rollback SQL by id."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT migration_id, owner, depends, rollback_sql FROM _alphapy_migration").fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


class Host:
    """A host's shell: ``alphapy`` commands against one database, plugins coming and going."""

    def __init__(self, url: str, install: Callable[..., str], site: Path, cwd: Path) -> None:
        self.url, self._install, self._site, self._cwd = url, install, site, cwd
        self.installed: list[str] = []

    def install(self, *names: str) -> None:
        self._install(*names)
        self.installed.extend(n for n in names if n not in self.installed)

    def uninstall(self, name: str) -> None:
        """What ``pip uninstall`` leaves: no dist-info, no code on the path."""
        for dist in self._site.glob(f"alphapy_{name}-*.dist-info"):
            shutil.rmtree(dist)
        self.installed.remove(name)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        code = [str(TEST_PLUGINS / f"alphapy_{name}") for name in self.installed]
        pythonpath = os.pathsep.join([str(self._site), *code])
        env = {**os.environ, "DATABASE_URL": self.url, "PYTHONPATH": pythonpath,
               "ALPHAPY_PLUGINS": ",".join(self.installed)}
        return subprocess.run([sys.executable, "-m", "alphapy", *args], env=env, cwd=self._cwd,
                              capture_output=True, text=True, timeout=120)


@pytest.fixture
def host(database_url: str, install_test_plugins: Callable[..., str], tmp_path: Path) -> Host:
    return Host(database_url, install_test_plugins, tmp_path / "site", tmp_path)


def test_an_uninstalled_plugins_migrations_are_listed_then_removed(host: Host) -> None:
    host.install("hello", "dependent")
    assert host.run("migrate").returncode == 0
    assert kept(host.url)[DEPENDENT] == ("dependent", [HELLO], ["DROP TABLE dependent_replies;"])

    host.uninstall("dependent")
    listing = host.run("migrate", "--list")
    assert listing.returncode == 0, listing.stderr
    row = next(line for line in listing.stdout.splitlines() if line.startswith(DEPENDENT))
    assert " dependent " in row and "applied, plugin not loaded" in row and row.endswith("kept")
    assert ("! dependent is not loaded (uninstalled or not enabled); "
            "'alphapy migrate --rollback dependent' removes its tables") in listing.stdout
    as_json = {s["id"]: s for s in json.loads(host.run("migrate", "--list", "--json").stdout)}
    assert (as_json[DEPENDENT]["loaded"], as_json[DEPENDENT]["rollback_recorded"]) == (False, True)
    assert (as_json[HELLO]["loaded"], as_json[HELLO]["rollback_recorded"]) == (True, True)

    # hello is installed, but the uninstalled plugin's table still points at its table
    refused = host.run("migrate", "--rollback", "hello")
    assert refused.returncode == 1
    assert refused.stderr.strip() == ("alphapy: cannot roll back 'hello': applied migrations of other owners "
                                      f"depend on it: {DEPENDENT} (dependent)")
    assert "hello_greetings" in public_tables(host.url)

    removed = host.run("migrate", "--rollback", "dependent")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout == f"rolled back 1 migration(s) of dependent: {DEPENDENT}\n"
    assert "dependent_replies" not in public_tables(host.url)
    assert DEPENDENT not in applied_migrations(host.url) and DEPENDENT not in kept(host.url)
    assert DEPENDENT not in host.run("migrate", "--list").stdout

    # installed again after the purge, it migrates again like a new plugin
    host.install("dependent")
    again = host.run("migrate")
    assert again.returncode == 0, again.stderr
    assert again.stdout == f"applied 1 migration(s): {DEPENDENT}\n"
    assert "dependent_replies" in public_tables(host.url) and DEPENDENT in kept(host.url)


def test_uninstalled_plugins_are_removed_in_dependency_order(database_url: str) -> None:
    everything = MigrationRunner(database_url, [core_source(), source("hello"), source("dependent")])
    everything.apply()
    core_only = MigrationRunner(database_url, [core_source()])  # both plugins uninstalled

    states = {s.id: s for s in core_only.status()}
    gone = [(s.owner, s.applied, s.loaded, s.rollback_recorded) for s in (states[HELLO], states[DEPENDENT])]
    assert gone == [("hello", True, False, True), ("dependent", True, False, True)]
    assert states[DEPENDENT].depends == (HELLO,)
    assert states["core_0001_init"].loaded and states["core_0001_init"].rollback_recorded

    refusal = rf"^cannot roll back 'hello': .* depend on it: {DEPENDENT} \(dependent\)$"
    with pytest.raises(MigrationError, match=refusal):
        core_only.rollback("hello")
    assert {"hello_greetings", "dependent_replies"} <= public_tables(database_url)
    assert core_only.rollback("dependent") == [DEPENDENT]
    assert core_only.rollback("hello") == [HELLO]
    assert not {"hello_greetings", "dependent_replies"} & public_tables(database_url)
    assert applied_migrations(database_url) == set(kept(database_url)) == set(CORE_MIGRATIONS)
    with pytest.raises(MigrationError, match=r"^no migrations belong to 'hello' \(known: core\)$"):
        core_only.rollback("hello")


def test_a_database_migrated_before_the_records_is_backfilled_while_installed(database_url: str) -> None:
    installed = MigrationRunner(database_url, [core_source(), source("hello")])
    installed.apply()
    with psycopg.connect(database_url) as conn:  # the state an older Alphapy left behind
        conn.execute("DROP TABLE _alphapy_migration")
        conn.execute("DELETE FROM _yoyo_migration WHERE migration_id = 'core_0002_migration_records'")
    uninstalled = MigrationRunner(database_url, [core_source()])

    hello = next(s for s in uninstalled.status() if s.id == HELLO)
    assert (hello.owner, hello.applied, hello.loaded, hello.rollback_recorded) == ("hello", True, False, False)
    with pytest.raises(MigrationError) as caught:
        uninstalled.rollback("hello")
    assert str(caught.value) == (
        f"cannot roll back 'hello': the rollback SQL of {HELLO} was never recorded (applied before Alphapy "
        "kept it, or written in Python); install the plugin again and run 'alphapy migrate' once to record "
        "it, then roll back")
    assert "hello_greetings" in public_tables(database_url)

    assert installed.apply() == ["core_0002_migration_records"]  # and the records of what was applied before
    assert kept(database_url) == {
        "core_0001_init": ("core", [], [
            "DROP TABLE IF EXISTS health_check_history;", "DROP TABLE IF EXISTS audit_logs;",
            "DROP TABLE IF EXISTS settings_history;", "DROP TABLE IF EXISTS bot_settings;"]),
        "core_0002_migration_records": ("core", ["core_0001_init"],
                                        ["DROP TABLE IF EXISTS _alphapy_migration;"]),
        "core_0003_health_report": ("core", ["core_0002_migration_records"], [
            "ALTER TABLE health_check_history\n    DROP COLUMN IF EXISTS plugins,\n    DROP COLUMN IF EXISTS status;"]),
        "core_0004_shard_leases": ("core", ["core_0002_migration_records"], [
            "DROP TABLE IF EXISTS shard_identify_buckets;", "DROP TABLE IF EXISTS shard_processes;",
            "DROP TABLE IF EXISTS shard_leases;"]),
        "core_0005_dashboard_usage": ("core", ["core_0004_shard_leases"], [
            "DROP TABLE IF EXISTS dashboard_usage_rollups;", "DROP TABLE IF EXISTS dashboard_usage_hours;"]),
        "core_0006_settings_write": ("core", ["core_0005_dashboard_usage"], [
            "DROP FUNCTION IF EXISTS alphapy_settings_write_many(BIGINT[], TEXT[], TEXT[], JSONB, TEXT[], BIGINT[], TEXT);",
            "DROP FUNCTION IF EXISTS alphapy_settings_delete(BIGINT, TEXT, TEXT, BIGINT, TEXT, TEXT);",
            "DROP FUNCTION IF EXISTS alphapy_settings_write(BIGINT, TEXT, TEXT, JSONB, TEXT, BIGINT, TEXT, TEXT);"]),
        "core_0007_settings_write_batch": ("core", ["core_0006_settings_write"], [
            "DROP FUNCTION IF EXISTS alphapy_settings_write_batch(BIGINT[], TEXT[], TEXT[], JSONB, TEXT[], BIGINT[], TEXT);"]),
        HELLO: ("hello", ["core_0001_init"], ["DROP TABLE hello_greetings;"]),
    }
    assert uninstalled.rollback("hello") == [HELLO]
    assert "hello_greetings" not in public_tables(database_url)


def test_a_rollback_written_in_python_is_reported_missing(database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "pyplug"
    folder.mkdir()
    (folder / "pyplug_0001_init.py").write_text(
        "from yoyo import step\n\n"
        "steps = [step('CREATE TABLE pyplug_things (id INT)',\n"
        "              lambda conn: conn.execute('DROP TABLE pyplug_things'))]\n")
    MigrationRunner(database_url, [core_source(), MigrationSource("pyplug", folder)]).apply()
    assert kept(database_url)["pyplug_0001_init"] == ("pyplug", [], None)
    gone = MigrationRunner(database_url, [core_source()])
    assert next(s for s in gone.status() if s.id == "pyplug_0001_init").rollback_recorded is False
    with pytest.raises(MigrationError, match="the rollback SQL of pyplug_0001_init was never recorded"):
        gone.rollback("pyplug")
    assert "pyplug_things" in public_tables(database_url)
