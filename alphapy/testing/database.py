"""Real PostgreSQL for tests: one server per session, a fresh database per test.

``TEST_DATABASE_URL`` names a server to use (its role needs CREATEDB); without it an
embedded server (pgserver) starts in a temporary folder for the session. Each test
gets its own database, so tests never see each other's rows. Migrated databases are
cloned from a template built once per set of migration sources: ``CREATE DATABASE
... TEMPLATE`` copies files, which is far faster than running migrations per test.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from alphapy.db.migrate import MigrationRunner, MigrationSource
from alphapy.db.urls import with_database

if TYPE_CHECKING:
    from alphapy.db.embedded import EmbeddedPostgres

TEST_DATABASE_URL_ENV = "TEST_DATABASE_URL"
_PREFIX = "alphapy_test_"


class TestDatabaseServer:
    """A PostgreSQL server that hands out throw-away databases."""

    __test__ = False  # not a pytest test class

    def __init__(self, admin_url: str | None = None) -> None:
        self._admin_url = admin_url or os.environ.get(TEST_DATABASE_URL_ENV) or None
        self._embedded: EmbeddedPostgres | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._templates: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def admin_url(self) -> str:
        if self._admin_url is None:
            from alphapy.db.embedded import EmbeddedPostgres

            self._tmp = tempfile.TemporaryDirectory(prefix="alphapy-pg-")
            self._embedded = embedded = EmbeddedPostgres(Path(self._tmp.name), delete_on_stop=True)
            embedded.start()
            self._admin_url = embedded.admin_url()
        return self._admin_url

    @property
    def embedded(self) -> object | None:
        """The embedded server object, when this session started one."""
        return self._embedded

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, template: str | None = None) -> str:
        """A new empty (or template-cloned) database; returns its URL."""
        name = _PREFIX + uuid.uuid4().hex[:12]
        clause = f' TEMPLATE "{template}"' if template else ""
        self._execute(f'CREATE DATABASE "{name}"{clause}')
        return with_database(self.admin_url, name)

    def drop_database(self, url: str) -> None:
        from alphapy.db.urls import database_name

        name = database_name(url)
        if not name.startswith(_PREFIX):
            raise ValueError(f"refusing to drop a database the test kit did not create: {name}")
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def migrated_database(self, sources: Sequence[MigrationSource]) -> str:
        """A new database with ``sources`` applied, cloned from a cached template."""
        key = _sources_key(sources)
        with self._lock:
            template = self._templates.get(key)
            if template is None:
                url = self.create_database()
                MigrationRunner(url, sources).apply()
                from alphapy.db.urls import database_name

                template = database_name(url)
                self._templates[key] = template
        return self.create_database(template=template)

    def close(self) -> None:
        for template in self._templates.values():
            try:
                self._execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            except Exception:
                pass
        self._templates.clear()
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _sources_key(sources: Sequence[MigrationSource]) -> str:
    """Identify a set of sources by owner, path and file contents (edits invalidate)."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(f"{source.owner}\0{source.path}\0".encode())
        if source.path.is_dir():
            for file in sorted(source.path.iterdir()):
                if file.suffix in (".sql", ".py"):
                    digest.update(file.name.encode())
                    digest.update(file.read_bytes())
    return digest.hexdigest()
