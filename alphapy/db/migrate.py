"""The migration runner: the core's SQL and every loaded plugin's, applied with yoyo.

yoyo-migrations does the bookkeeping; this module adds what a plugin ecosystem needs on
top of it:

* every source is read in **one** ``read_migrations`` call, so that a plugin's
  ``-- depends: core_0001_init`` resolves across folders;
* migration ids share one namespace, so each must start with its owner's name
  (``core_0001_init``, ``reminders_0001_init``) and any other id is refused;
* a declared source folder that does not exist is refused (yoyo skips it silently,
  which would leave a plugin running against tables that were never created);
* a run holds a session ``pg_advisory_lock`` and decides what to apply inside it, so
  concurrent runners (several shard processes starting together) apply each migration
  exactly once, and a ``yoyo_lock`` row left by a killed runner is cleared instead of
  blocking every later start;
* one owner's migrations can be rolled back, unless another owner's applied migration
  depends on them.

It runs synchronously over psycopg 3, before any asyncpg pool exists: a schema change
under a live pool invalidates asyncpg's cached statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

from alphapy.db.urls import describe_server, yoyo_url

# An arbitrary constant shared by every Alphapy migration runner ("alphapy!" in ASCII).
ADVISORY_LOCK_KEY = 0x616C70686170793F
MIGRATION_TABLE = "_yoyo_migration"
_OWNER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class MigrationError(Exception):
    """A migration set cannot be read or applied; the message says what to fix."""


@dataclass(frozen=True)
class MigrationSource:
    """A folder of SQL migrations and the name that owns them (``core`` or a plugin)."""

    owner: str
    path: Path


@dataclass(frozen=True)
class MigrationState:
    """One migration as ``alphapy migrate --list`` shows it."""

    id: str
    owner: str
    applied: bool
    applied_at: datetime | None
    depends: tuple[str, ...]


def core_source() -> MigrationSource:
    """The core's own migrations, shipped inside the ``alphapy`` package."""
    return MigrationSource("core", Path(str(files("alphapy") / "migrations")))


def _owner_of(migration: Any, by_path: dict[str, str]) -> str:
    return by_path[str(Path(migration.source_dir).resolve())]


class MigrationRunner:
    """Applies, lists and rolls back the migrations of a set of sources on one database."""

    def __init__(self, url: str, sources: Iterable[MigrationSource]) -> None:
        self.url = url
        self.sources = list(sources)
        self._by_path: dict[str, str] = {}

    # --- reading --------------------------------------------------------------------
    def read(self) -> Any:
        """All migrations of all sources, validated; raises :class:`MigrationError`."""
        from yoyo import read_migrations

        self._by_path = {}
        for source in self.sources:
            if not _OWNER_NAME.match(source.owner):
                raise MigrationError(
                    f"migration owner {source.owner!r} must be lower-case letters, digits and _"
                )
            if not source.path.is_dir():
                raise MigrationError(
                    f"migration folder of {source.owner!r} does not exist: {source.path}"
                )
            self._by_path[str(source.path.resolve())] = source.owner

        migrations = read_migrations(*(str(s.path) for s in self.sources))
        seen: dict[str, str] = {}
        for migration in [*migrations, *migrations.post_apply]:
            owner = _owner_of(migration, self._by_path)
            if not migration.id.startswith(owner + "_"):
                raise MigrationError(
                    f"migration {migration.id!r} of {owner!r} ({migration.path}) must be named "
                    f"{owner}_<number>_<name>: ids share one namespace, so each starts with its owner"
                )
            if migration.id in seen:
                raise MigrationError(
                    f"migration id {migration.id!r} is declared twice ({seen[migration.id]} and {migration.path})"
                )
            seen[migration.id] = migration.path
        for migration in migrations:
            try:
                migration.load()
            except Exception as exc:  # yoyo raises BadMigration for unknown dependencies
                raise MigrationError(f"migration {migration.id!r} cannot be read: {exc}") from exc
            # yoyo resolves dependencies through a process-wide registry, so an id read
            # earlier from another set would satisfy it: check against this set only.
            unknown = sorted(d.id for d in migration.depends if d.id not in seen)
            if unknown:
                raise MigrationError(
                    f"migration {migration.id!r} depends on {', '.join(unknown)}, which no loaded "
                    "plugin provides (is the plugin it builds on installed and enabled?)"
                )
        return migrations

    def owner(self, migration: Any) -> str:
        return _owner_of(migration, self._by_path)

    # --- connecting -----------------------------------------------------------------
    @contextmanager
    def _locked_backend(self) -> Iterator[Any]:
        """A yoyo backend holding the advisory lock, with any stale yoyo lock cleared."""
        import psycopg
        from yoyo import get_backend

        try:
            backend = get_backend(yoyo_url(self.url), migration_table=MIGRATION_TABLE)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MigrationError(f"cannot reach PostgreSQL at {describe_server(self.url)}: {reason}") from exc
        try:
            backend.execute("SELECT pg_advisory_lock(:key)", {"key": ADVISORY_LOCK_KEY})
            try:
                self._clear_stale_lock(backend)
                yield backend
            finally:
                backend.execute("SELECT pg_advisory_unlock(:key)", {"key": ADVISORY_LOCK_KEY})
        finally:
            backend.connection.close()

    @staticmethod
    def _clear_stale_lock(backend: Any) -> None:
        # Every Alphapy runner takes the advisory lock first, so a yoyo_lock row seen while
        # we hold it belongs to a runner that died without cleaning up.
        from alphapy.log import get_logger

        rows = backend.execute("SELECT pid, ctime FROM yoyo_lock").fetchall()
        if rows:
            get_logger(__name__).warning(
                "migration.stale_lock_cleared", pid=rows[0][0], locked_since=str(rows[0][1])
            )
            backend.break_lock()

    # --- operations -----------------------------------------------------------------
    def declared_ids(self) -> set[str]:
        """Migration ids from the file names alone: cheap, no SQL parsed, no yoyo."""
        ids: set[str] = set()
        for source in self.sources:
            if not source.path.is_dir():
                return set()  # let read() raise its clear error
            for file in source.path.iterdir():
                name = file.name
                if name.endswith((".rollback.sql", ".pyc")) or name.startswith(("post-apply", "_", ".")):
                    continue
                if file.suffix in (".sql", ".py"):
                    ids.add(file.stem)
        return ids

    def _everything_applied(self) -> bool:
        """The common start-up case, answered with one query and without yoyo.

        Every process start runs the migrations; when all declared ids are recorded as
        applied there is nothing to lock, parse or compute.
        """
        import psycopg

        ids = self.declared_ids()
        if not ids:
            return False
        try:
            with psycopg.connect(self.url, autocommit=True) as conn:
                rows = conn.execute(f"SELECT migration_id FROM {MIGRATION_TABLE}").fetchall()
        except psycopg.Error:
            return False  # no bookkeeping table yet, or unreachable: the full path says why
        return ids <= {row[0] for row in rows}

    def apply(self) -> list[str]:
        """Apply every pending migration; returns the ids applied, in order."""
        from alphapy.log import get_logger

        if self._everything_applied():
            return []
        migrations = self.read()
        log = get_logger(__name__)
        with self._locked_backend() as backend, backend.lock():
            pending = backend.to_apply(migrations)
            for migration in pending:
                log.info("migration.apply", migration=migration.id, owner=self.owner(migration))
            try:
                backend.apply_migrations(pending)
            except Exception as exc:
                raise MigrationError(f"migration failed: {str(exc).strip().splitlines()[0]}") from exc
            return [m.id for m in pending]

    def status(self) -> list[MigrationState]:
        """Every known migration with its owner and whether it is applied."""
        migrations = self.read()
        with self._locked_backend() as backend:
            applied_hashes = set(backend.get_applied_migration_hashes())
            applied_at = dict(
                backend.execute(f"SELECT migration_id, applied_at_utc FROM {MIGRATION_TABLE}").fetchall()
            )
        return [
            MigrationState(
                id=m.id,
                owner=self.owner(m),
                applied=m.hash in applied_hashes,
                applied_at=applied_at.get(m.id),
                depends=tuple(sorted(d.id for d in m.depends)),
            )
            for m in migrations
        ]

    def rollback(self, owner: str) -> list[str]:
        """Roll back ``owner``'s applied migrations, newest first; returns their ids."""
        from yoyo.migrations import MigrationList

        from alphapy.log import get_logger

        migrations = self.read()
        mine = [m for m in migrations if self.owner(m) == owner]
        if not mine:
            owners = sorted({self.owner(m) for m in migrations})
            raise MigrationError(f"no migrations belong to {owner!r} (known: {', '.join(owners)})")
        with self._locked_backend() as backend, backend.lock():
            applied = set(backend.get_applied_migration_hashes())
            blockers = _dependents(migrations, set(mine), applied, lambda m: self.owner(m) != owner)
            if blockers:
                names = ", ".join(f"{m.id} ({self.owner(m)})" for m in blockers)
                raise MigrationError(
                    f"cannot roll back {owner!r}: applied migrations of other owners depend on it: {names}"
                )
            targets = backend.to_rollback(MigrationList(mine))
            for migration in targets:
                get_logger(__name__).info("migration.rollback", migration=migration.id, owner=owner)
            try:
                backend.rollback_migrations(targets)
            except Exception as exc:
                raise MigrationError(f"rollback failed: {str(exc).strip().splitlines()[0]}") from exc
            return [m.id for m in targets]


def _dependents(migrations: Iterable[Any], roots: set[Any], applied: set[str], foreign: Any) -> list[Any]:
    """Applied migrations outside ``roots`` that depend on them, directly or not."""
    closure = set(roots)
    changed = True
    everything = list(migrations)
    while changed:
        changed = False
        for migration in everything:
            if migration not in closure and migration.depends & closure:
                closure.add(migration)
                changed = True
    return [m for m in everything if m not in roots and m in closure and foreign(m) and m.hash in applied]
