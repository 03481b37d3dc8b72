"""Fixtures of the scale-out tests: one PostgreSQL over TCP for the module, shared by
real ``alphapy run`` processes as one server is shared in production."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .tcp_postgres import TcpPostgres


@pytest.fixture(scope="module")
def tcp_postgres() -> Iterator[TcpPostgres]:
    # Not under pytest's own temporary folder: run as root, the server runs as another user
    # (pgserver's rule), which must be able to reach its data folder.
    folder = Path(tempfile.mkdtemp(prefix="alphapy-tcp-pg-"))
    folder.chmod(0o755)
    server = TcpPostgres(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
