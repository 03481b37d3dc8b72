"""An embedded PostgreSQL server (the ``pgserver`` package) for users without one.

A new user should see Alphapy run without installing or configuring a database:
with no ``DATABASE_URL`` the core starts PostgreSQL from the ``pgserver`` wheel in the
data folder, listening on a unix socket only (nothing on the network), and stops it
when the last process using it exits. Several processes (shards, a CLI beside a
running bot) share one server: pgserver counts its handles across processes.

Two rules keep that sharing safe. Starting and stopping happen under a file lock in the
data folder, so processes started together on a new folder do not race to create the
database, and a process never adopts a server that another one is stopping. And handles
of processes that died without cleaning up (``kill -9``) are dropped before joining, so
the last live process still stops the server it adopted.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alphapy.db.urls import with_database

APP_DATABASE = "alphapy"
LOCK_FILE = ".embedded-postgres.lock"
HANDLES_FILE = ".handle_pids.json"  # pgserver's list of the processes using the server


class EmbeddedPostgres:
    """One embedded server rooted at ``data_dir/pgdata``."""

    def __init__(self, data_dir: Path, *, delete_on_stop: bool = False) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.pgdata = self.data_dir / "pgdata"
        self._delete_on_stop = delete_on_stop
        self._server: Any = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> str:
        """Start (or join) the server and return the URL of the application database."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._exclusive():
            if self._server is None:
                logging.getLogger("pgserver").setLevel(logging.WARNING)
                os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir / "run"))
                Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    import pgserver

                forget_dead_handles(self.pgdata / HANDLES_FILE)
                self._server = pgserver.get_server(
                    self.pgdata, cleanup_mode="delete" if self._delete_on_stop else "stop"
                )
            admin_url = self._server.get_uri()
            ensure_database(admin_url, APP_DATABASE)
        return with_database(admin_url, APP_DATABASE)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One process at a time starts, joins or stops the server of this data folder."""
        import fasteners  # pgserver's own dependency: present wherever pgserver is

        with fasteners.InterProcessLock(str(self.data_dir / LOCK_FILE)):
            yield

    def admin_url(self) -> str:
        """URL of the server's maintenance database (``postgres``)."""
        if self._server is None:
            raise RuntimeError("the embedded server is not running")
        return str(self._server.get_uri())

    def bin_dir(self) -> Path:
        """Folder with the server's own tools (pg_dump, pg_restore, psql)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH
        return Path(POSTGRES_BIN_PATH)

    def stop(self) -> None:
        """Release this process's handle; the server stops when no process holds one."""
        if self._server is not None:
            server, self._server = self._server, None
            with self._exclusive():
                server.cleanup()


def forget_dead_handles(handles_file: Path) -> None:
    """Drop processes that no longer run from pgserver's handle list.

    pgserver stops the server when the last process in that list leaves; a process killed
    with ``kill -9`` never leaves, so without this the server would outlive every
    process that uses it. Call it before joining, under the data folder's lock.
    """
    import psutil  # pgserver's own dependency

    try:
        pids = json.loads(handles_file.read_text())
    except (FileNotFoundError, ValueError):
        return
    if not isinstance(pids, list):
        return

    def alive(pid: Any) -> bool:
        try:
            return psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE
        except (psutil.Error, ValueError, TypeError):
            return False

    living = [pid for pid in pids if alive(pid)]
    if living != pids:
        handles_file.write_text(json.dumps(living))


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` unless it exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # created meanwhile: concurrent CREATE DATABASE may report either error
