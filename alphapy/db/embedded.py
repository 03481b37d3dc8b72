"""An embedded PostgreSQL server (the ``pgserver`` package) for users without one.

A new user should see Alphapy run without installing or configuring a database:
with no ``DATABASE_URL`` the core starts PostgreSQL from the ``pgserver`` wheel in the
data folder, listening on a unix socket only (nothing on the network), and stops it
when the last process using it exits. Several processes (shards, a CLI beside a
running bot) share one server: pgserver counts its handles across processes.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

from alphapy.db.urls import with_database

APP_DATABASE = "alphapy"


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
        if self._server is None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            logging.getLogger("pgserver").setLevel(logging.WARNING)
            os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir / "run"))
            Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pgserver

            self._server = pgserver.get_server(
                self.pgdata, cleanup_mode="delete" if self._delete_on_stop else "stop"
            )
        admin_url = self._server.get_uri()
        ensure_database(admin_url, APP_DATABASE)
        return with_database(admin_url, APP_DATABASE)

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
            server.cleanup()


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server of ``admin_url`` unless it exists."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process created it between our check and our create
