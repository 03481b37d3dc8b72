"""Fixtures of the scale-out tests: one PostgreSQL over TCP for the module, shared by
real ``alphapy run`` processes as one server is shared in production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .tcp_postgres import TcpPostgres


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scale: several real bot processes sharing shards (tens of seconds)")


@pytest.fixture(scope="module")
def tcp_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TcpPostgres]:
    server = TcpPostgres(Path(tmp_path_factory.mktemp("tcp-postgres")))
    server.start()
    try:
        yield server
    finally:
        server.stop()
