"""A runner killed at any point of a run leaves a database the next run completes.

The sweep starts ``tests/migration_killer.py`` (the real runner, in a subprocess, on a
real database) once per SQL statement of a run, SIGKILLs it right after that statement,
then runs again and checks that every migration's effects exist exactly once and that it
is recorded exactly once. The migrations in ``tests/migration_sweep`` span two owners, a
cross-owner dependency, an SQL migration with a rollback file and a Python step migration.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from alphapy.db.migrate import MigrationRunner, MigrationSource, core_source
from tests.schema_queries import public_tables

TESTS = Path(__file__).resolve().parent
KILLER = TESTS / "migration_killer.py"
SWEEP = TESTS / "migration_sweep"
ALPHA = ("alpha_0001_init", "alpha_0002_more")
EVERYTHING = (*ALPHA, "beta_0001_notes")
CORE = ("core_0001_init", "core_0002_migration_records", "core_0003_settings_write")


def sources(*owners: str) -> list[MigrationSource]:
    return [core_source() if owner == "core" else MigrationSource(owner, SWEEP / owner) for owner in owners]


class Killer:
    """``migration_killer.py`` running ``operation``: each :meth:`run` is one killed run.

    ``owners`` are the sources it is given, that is the plugins installed.
    """

    def __init__(self, url: str, operation: str, owners: tuple[str, ...]) -> None:
        command = [sys.executable, str(KILLER), url, operation,
                   *(f"{s.owner}={s.path}" for s in sources(*owners))]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, kill_after: int) -> tuple[int, list[str]]:
        """Run once, killed right after statement ``kill_after`` (0: never); exit code and output."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{kill_after}\n")
        self.process.stdin.flush()
        output = []
        for line in self.process.stdout:
            if line.startswith("exit="):
                return int(line.removeprefix("exit=")), output
            output.append(line.rstrip("\n"))
        raise AssertionError(f"the killer stopped: {output}")

    def statements(self) -> int:
        code, output = self.run(0)
        assert code == 0, output
        return int(next(line for line in output if line.startswith("statements=")).removeprefix("statements="))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def query(url: str, sql: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(sql).fetchall())


def recorded(url: str) -> dict[str, int]:
    return query(url, "SELECT migration_id, count(*) FROM _yoyo_migration GROUP BY 1")


def effects(url: str) -> dict[str, int]:
    return query(url, "SELECT migration, count(*) FROM sweep_effects GROUP BY 1")


def logged(url: str, operation: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT migration_id, count(*) FROM _yoyo_log WHERE operation = %s GROUP BY 1",
                            (operation,)).fetchall()
    return dict(rows)


def kept(url: str) -> dict[str, bool]:
    """Each migration ``_alphapy_migration`` keeps, and whether it has rollback SQL."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT migration_id, rollback_sql IS NOT NULL FROM _alphapy_migration").fetchall()
    return dict(rows)


def recorded_if_any(url: str) -> dict[str, int]:
    """Recorded migrations, or none when yoyo's tables do not exist yet."""
    return recorded(url) if "_yoyo_migration" in public_tables(url) else {}


@pytest.fixture
def reset(database_url: str) -> Callable[[], None]:
    """Empty the database again (faster than a new one per kill point)."""

    def empty() -> None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")

    return empty


def sweep(url: str, operation: str, owners: tuple[str, ...], prepare: Callable[[], None],
          rerun_and_check: Callable[[], None]) -> int:
    """Kill at every statement of ``operation``; returns how many kill points were tried."""
    killer = Killer(url, operation, owners)
    try:
        prepare()
        total = killer.statements()
        broken: list[str] = []
        for statement in range(1, total + 1):
            prepare()
            code, output = killer.run(statement)
            if code != -signal.SIGKILL:
                broken.append(f"at statement {statement} the run was not killed but ended: {output[-1:]}")
                continue
            try:
                rerun_and_check()
            except Exception as exc:  # collect every bad kill point, not just the first
                broken.append(f"after statement {statement}: {type(exc).__name__}: {str(exc).strip()[:200]}")
    finally:
        killer.close()
    assert not broken, f"{len(broken)} of {total} kill points broke the next run:\n" + "\n".join(broken)
    return total


def test_a_killed_apply_is_completed_by_the_next_run(database_url: str, reset: Callable[[], None]) -> None:
    """The core and two plugins: each migration applied by exactly one run, recorded and
    kept (its rollback SQL, in ``_alphapy_migration``) exactly once."""
    owners = ("core", "alpha", "beta")
    every = (*CORE, *EVERYTHING)

    def rerun_and_check() -> None:
        before = set(recorded_if_any(database_url))
        applied = MigrationRunner(database_url, sources(*owners)).apply()
        assert sorted([*before, *applied]) == sorted(every)  # each applied by exactly one run
        assert recorded(database_url) == dict.fromkeys(every, 1)
        assert kept(database_url) == dict.fromkeys(every, True)
        assert effects(database_url) == dict.fromkeys(EVERYTHING, 1)
        assert logged(database_url, "apply") == dict.fromkeys(every, 1)
        assert {"alpha_more", "beta_notes"} <= public_tables(database_url)

    kills = sweep(database_url, "apply", owners, reset, rerun_and_check)
    assert kills > 40  # every statement of the run, from connecting to the last record


def test_a_killed_rollback_is_completed_by_the_next_run(database_url: str, reset: Callable[[], None]) -> None:
    owners = ("alpha",)
    logged_before: dict[str, int] = {}

    def applied_alpha() -> None:
        # The previous check re-applied alpha; only the counting run, or a check that
        # failed half-way, leaves something to rebuild.
        if recorded_if_any(database_url) != dict.fromkeys(ALPHA, 1) or \
                not {"sweep_effects", "alpha_more"} <= public_tables(database_url):
            reset()
            assert MigrationRunner(database_url, sources(*owners)).apply() == list(ALPHA)
        logged_before.clear()
        logged_before.update(logged(database_url, "rollback"))

    def rerun_and_check() -> None:
        runner = MigrationRunner(database_url, sources(*owners))
        before = set(recorded(database_url))
        undone = runner.rollback("alpha")
        assert sorted(undone) == sorted(before)  # what the killed run had not yet undone
        assert recorded(database_url) == {}
        assert not {"sweep_effects", "alpha_more"} & public_tables(database_url)
        now = logged(database_url, "rollback")
        assert {m: now.get(m, 0) - logged_before.get(m, 0) for m in ALPHA} == dict.fromkeys(ALPHA, 1)
        assert runner.apply() == list(ALPHA)
        assert effects(database_url) == dict.fromkeys(ALPHA, 1)

    kills = sweep(database_url, "rollback:alpha", owners, applied_alpha, rerun_and_check)
    assert kills > 20


def test_a_killed_rollback_of_uninstalled_plugins_is_completed(database_url: str,
                                                               reset: Callable[[], None]) -> None:
    """Only the core is installed: alpha and beta are undone with their recorded SQL."""

    def applied_everything() -> None:
        reset()
        MigrationRunner(database_url, sources("core", "alpha", "beta")).apply()

    def rerun_and_check() -> None:
        runner = MigrationRunner(database_url, sources("core"))
        left = set(recorded(database_url))
        for owner in ("beta", "alpha"):  # beta builds on alpha
            if any(m.startswith(owner + "_") for m in left):
                runner.rollback(owner)
        assert recorded(database_url) == dict.fromkeys(CORE, 1)
        assert set(kept(database_url)) == set(CORE)
        assert not {"sweep_effects", "alpha_more", "beta_notes"} & public_tables(database_url)
        assert logged(database_url, "rollback") == dict.fromkeys(EVERYTHING, 1)

    kills = sweep(database_url, "rollback:beta,alpha", ("core",), applied_everything, rerun_and_check)
    assert kills > 10
