"""The embedded PostgreSQL starts, serves and stops; the CLI uses it without a URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import psycopg
import pytest

from alphapy.db.embedded import EmbeddedPostgres


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_embedded_server_starts_serves_and_stops(tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "data")
    url = server.start()
    assert "host=" in url and url.split("?")[0].endswith("/alphapy")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database(), 6 * 7").fetchone() == ("alphapy", 42)
        conn.execute("CREATE TABLE kept (v INT)")
        conn.execute("INSERT INTO kept VALUES (1)")
        conn.commit()
    pid = int((tmp_path / "data" / "pgdata" / "postmaster.pid").read_text().split()[0])
    server.stop()
    assert not (tmp_path / "data" / "pgdata" / "postmaster.pid").exists()
    assert not _alive(pid)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)

    again = EmbeddedPostgres(tmp_path / "data")  # data survives a restart
    url = again.start()
    try:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT v FROM kept").fetchone() == (1,)
    finally:
        again.stop()


def test_cli_without_database_url_uses_the_embedded_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ALPHAPY_PLUGINS")}
    env.update(ALPHAPY_DATA_DIR=str(tmp_path / "state"), ALPHAPY_PLUGINS="")
    migrate = subprocess.run([sys.executable, "-m", "alphapy", "migrate"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    assert migrate.stdout == ("applied 3 migration(s): core_0001_init, core_0002_migration_records, "
                              "core_0003_settings_write\n")
    url = subprocess.run([sys.executable, "-m", "alphapy", "db", "url"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert url.returncode == 0
    assert url.stdout.strip() == f"postgresql://postgres:***@/alphapy?host={tmp_path / 'state' / 'pgdata'}"
    assert not (tmp_path / "state" / "pgdata" / "postmaster.pid").exists()  # stopped on exit
