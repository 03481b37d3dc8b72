"""A PostgreSQL server on 127.0.0.1 with a port, for tests whose processes share it over TCP
as the processes of a real deployment do (the embedded server listens on a unix socket only).

The testing kit's embedded server (``pgserver``) is initialised, then restarted listening on
loopback with a free port; nothing leaves the machine.
"""

from __future__ import annotations

import socket
import subprocess
import uuid
import warnings
from pathlib import Path

import psycopg


class TcpPostgres:
    """``start()`` returns the admin URL; ``create_database()`` a fresh database's URL."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self._server: object | None = None

    def start(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver._commands import pg_ctl

        server = pgserver.get_server(self.folder / "pgdata", cleanup_mode=None)
        user = server.system_user
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=user)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        pg_ctl(["-w", "-o", "-h 127.0.0.1", "-o", f"-p {self.port}", "-o", "-k ''",
                "-o", "-c max_connections=200", "-l", str(server.pgdata / "tcp.log"), "start"],
               pgdata=server.pgdata, user=user)
        self._server = server
        return self.admin_url

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self) -> str:
        name = f"scale_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a generated identifier, not input
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self._server is None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from pgserver._commands import pg_ctl
        try:
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self._server.pgdata,  # type: ignore[attr-defined]
                   user=self._server.system_user)  # type: ignore[attr-defined]
        except subprocess.CalledProcessError:
            pass  # already stopped (pgserver stops what it started when the test process exits)
        self._server = None
