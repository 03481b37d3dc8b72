"""Runs the migration runner in child processes that SIGKILL themselves mid-run.

    python tests/migration_killer.py DATABASE_URL apply|rollback:OWNER[,OWNER...] OWNER=FOLDER...

The kill sweep in ``test_migration_kills.py`` uses it to stop a real runner, on a real
database, at every statement boundary of a run: the server sees exactly what it sees
when an operator or the OOM killer kills ``alphapy migrate`` there. The only thing added
is a counter around psycopg's ``Cursor.execute``.

For each line ``N`` read from stdin it forks a child (imports are paid once, which keeps
a sweep of a hundred kills short) that runs the operation and kills itself right after
its N-th statement; ``0`` runs to the end and prints ``statements=<count>``. When the
child is gone it prints ``exit=<status>`` (``-9`` for a kill).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
import yoyo.backends.core.postgresql  # noqa: E402,F401  (imported once, before the forks)
import yoyo.connections  # noqa: E402,F401

import alphapy.log  # noqa: E402,F401
from alphapy.db.migrate import MigrationRunner, MigrationSource  # noqa: E402


def count_statements(kill_after: int) -> list[int]:
    """Wrap ``Cursor.execute`` so that the process dies right after statement ``kill_after``."""
    executed = [0]
    original = psycopg.Cursor.execute

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        executed[0] += 1
        if executed[0] == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    return executed


def run_once(url: str, kill_after: int, operation: str, sources: list[MigrationSource]) -> None:
    executed = count_statements(kill_after)
    runner = MigrationRunner(url, sources)
    if operation == "apply":
        runner.apply()
    else:
        for owner in operation.removeprefix("rollback:").split(","):
            runner.rollback(owner)
    print(f"statements={executed[0]}", flush=True)


def main(url: str, operation: str, *folders: str) -> None:
    sources = [MigrationSource(owner, Path(folder)) for owner, folder in (f.split("=", 1) for f in folders)]
    for line in sys.stdin:
        child = os.fork()
        if child == 0:
            code = 0
            try:
                run_once(url, int(line), operation, sources)
            except BaseException as exc:
                print(f"error={exc!r}", flush=True)
                code = 1
            finally:
                sys.stdout.flush()
                os._exit(code)
        _, status = os.waitpid(child, 0)
        print(f"exit={os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
