"""The migration runner: the core's SQL and every loaded plugin's, applied with yoyo.

yoyo-migrations does the bookkeeping; this module adds what a plugin ecosystem needs on
top of it:

* every source is read before any migration is loaded, so that a plugin's
  ``-- depends: core_0001_init`` resolves across folders;
* migration ids share one namespace, so each must start with its owner's name
  (``core_0001_init``, ``reminders_0001_init``) and any other id is refused;
* a declared source folder that does not exist is refused (yoyo skips it silently,
  which would leave a plugin running against tables that were never created);
* a run holds a session ``pg_advisory_lock`` and decides what to apply inside it, so
  concurrent runners (several shard processes starting together) apply each migration
  exactly once, and a ``yoyo_lock`` row left by a killed runner is cleared instead of
  blocking every later start;
* a migration and its record in ``_yoyo_migration`` commit in **one** transaction (yoyo
  commits them separately, so a runner killed in between left tables that every later
  run tried to create again); rolling back and un-recording likewise;
* a plugin whose migrations cannot be read or applied (bad id, SQL error, missing
  dependency) is reported as failed with the migration named, and so is every plugin
  whose migrations depend on it; everyone else's migrations are applied. Only a problem
  in the core's own migrations stops the run;
* with each migration it keeps its owner, dependencies and rollback SQL
  (:mod:`alphapy.db.migration_records`, same transaction), so an uninstalled plugin's
  migrations are still listed and can still be rolled back;
* one owner's migrations can be rolled back, unless another owner's applied migration
  depends on them (installed or not).

It runs synchronously over psycopg 3, before any asyncpg pool exists: a schema change
under a live pool invalidates asyncpg's cached statements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from alphapy.db.migration_records import (
    AppliedMigration,
    applied_migrations,
    forget,
    owner_from_id,
    record,
    records_exist,
)
from alphapy.db.up_to_date import MIGRATION_TABLE as MIGRATION_TABLE, all_applied
from alphapy.db.urls import describe_server, yoyo_url

# An arbitrary constant shared by every Alphapy migration runner ("alphapy!" in ASCII).
ADVISORY_LOCK_KEY = 0x616C70686170793F
CORE_OWNER = "core"
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
    #: False for an applied migration whose owner is not loaded (uninstalled or not enabled)
    loaded: bool = True
    #: for an applied migration: whether its rollback SQL is kept for when its files are gone
    rollback_recorded: bool | None = None


@dataclass
class MigrationReport:
    """What a run applied, and which plugins it had to leave out and why.

    A plugin in ``failed`` must not run: its tables may be missing or half-way. The
    reason names the migration (``reminders_0002_x: syntax error at or near ...``).
    """

    applied: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def core_source() -> MigrationSource:
    """The core's own migrations, shipped inside the ``alphapy`` package."""
    return MigrationSource(CORE_OWNER, Path(str(files("alphapy") / "migrations")))


def _owner_of(migration: Any, by_path: dict[str, str]) -> str:
    return by_path[str(Path(migration.source_dir).resolve())]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _unknown_dependencies(migration: Any, known: dict[str, str]) -> list[str]:
    """The declared dependencies of a migration yoyo could not load that nobody provides."""
    declared = getattr(migration.module, "__depends__", None) or ()
    if isinstance(declared, str):
        declared = [declared]
    return sorted(d for d in declared if d not in known)


def _backend_class() -> Any:
    """yoyo's psycopg 3 backend, with apply+record (and rollback+unrecord) made atomic."""
    from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend

    class AtomicPostgresqlBackend(PostgresqlPsycopgBackend):  # type: ignore[misc]
        """yoyo runs a migration on a second connection, then records it in another
        transaction: a runner killed between the two leaves tables nobody recorded, and
        every later run fails on "already exists". Here the steps, the ``_yoyo_log``
        line and the ``_yoyo_migration`` row share one transaction on one connection
        (the steps' own transactions become savepoints inside it).

        A migration declared ``-- transactional: false`` cannot be atomic and keeps
        yoyo's behaviour.
        """

        def ensure_internal_schema_updated(self) -> None:
            # yoyo asks information_schema before every record; once per runner is enough,
            # since no other runner can change yoyo's tables while we hold the advisory lock.
            super().ensure_internal_schema_updated()
            self._internal_schema_updated = True

        #: the runner's owner lookup, for the record kept with each applied migration
        owner_of: Any = staticmethod(owner_from_id)
        #: set once ``_alphapy_migration`` is seen (see :func:`records_exist`)
        _alphapy_records_exist = False

        def apply_one(self, migration: Any, force: bool = False, mark: bool = True) -> None:
            migration.load()
            if not mark or not migration.use_transactions:
                super().apply_one(migration, force=force, mark=mark)
                if mark:
                    record(self, migration, self.owner_of(migration))
                return
            self.ensure_internal_schema_updated()
            with self.transaction():
                migration.process_steps(self, "apply", force=force)
                self.log_migration(migration, "apply")
                self.mark_one(migration, log=False)
                record(self, migration, self.owner_of(migration))

        def rollback_one(self, migration: Any, force: bool = False) -> None:
            migration.load()
            if not migration.use_transactions:
                super().rollback_one(migration, force=force)
                forget(self, migration.id)
                return
            self.ensure_internal_schema_updated()
            with self.transaction():
                migration.process_steps(self, "rollback", force=force)
                self.log_migration(migration, "rollback")
                self.unmark_one(migration, log=False)
                forget(self, migration.id)

        def rollback_recorded(self, applied: AppliedMigration) -> None:
            """Undo a migration whose files are gone, with the statements recorded for it."""
            assert applied.rollback_sql is not None
            self.ensure_internal_schema_updated()
            stand_in = SimpleNamespace(id=applied.id, hash=applied.hash)  # what yoyo's log needs
            with self.transaction():
                cursor = self.cursor()
                try:
                    for statement in applied.rollback_sql:
                        cursor.execute(statement)
                finally:
                    cursor.close()
                self.log_migration(stand_in, "rollback")
                self.unmark_one(stand_in, log=False)
                forget(self, applied.id)

    return AtomicPostgresqlBackend


class _Failures:
    """Owners left out of a run, with the first reason; the core's problems raise."""

    def __init__(self) -> None:
        self.reasons: dict[str, str] = {}

    def add(self, owner: str, reason: str) -> None:
        if owner == CORE_OWNER:
            raise MigrationError(reason)
        self.reasons.setdefault(owner, reason)

    def __contains__(self, owner: object) -> bool:
        return owner in self.reasons


class MigrationRunner:
    """Applies, lists and rolls back the migrations of a set of sources on one database."""

    def __init__(self, url: str, sources: Iterable[MigrationSource]) -> None:
        self.url = url
        self.sources = list(sources)
        self._by_path: dict[str, str] = {}
        #: plugins whose migrations the last read or run had to leave out, with why
        self.failed: dict[str, str] = {}

    # --- reading --------------------------------------------------------------------
    def read(self) -> Any:
        """All migrations of all sources, validated; raises :class:`MigrationError`."""
        migrations, failures = self._read()
        if failures.reasons:
            raise MigrationError(next(iter(failures.reasons.values())))
        return migrations

    def _read(self) -> tuple[Any, _Failures]:
        """The migrations of every healthy owner, and the owners that are not.

        A problem in the core raises; a plugin's problem leaves that plugin (and every
        plugin whose migrations depend on it) out, so that the others still migrate.
        """
        from yoyo import read_migrations
        from yoyo.migrations import MigrationList

        failures = _Failures()
        self._by_path = {}
        readable: list[MigrationSource] = []
        for source in self.sources:
            if not _OWNER_NAME.match(source.owner):
                failures.add(source.owner,
                             f"migration owner {source.owner!r} must be lower-case letters, digits and _")
            elif not source.path.is_dir():
                failures.add(source.owner, f"migration folder of {source.owner!r} does not exist: {source.path}")
            else:
                self._by_path[str(source.path.resolve())] = source.owner
                readable.append(source)

        # One source at a time: yoyo refuses a whole merged list over one duplicate id.
        everything: list[Any] = []
        post_apply: list[Any] = []
        for source in readable:
            found = read_migrations(str(source.path))
            everything.extend(found)
            post_apply.extend(found.post_apply)
        seen: dict[str, str] = {}
        for migration in [*everything, *post_apply]:
            owner = self.owner(migration)
            if not migration.id.startswith(owner + "_"):
                failures.add(owner,
                    f"migration {migration.id!r} of {owner!r} ({migration.path}) must be named "
                    f"{owner}_<number>_<name>: ids share one namespace, so each starts with its owner")
            elif migration.id in seen:
                failures.add(owner,
                    f"migration id {migration.id!r} is declared twice ({seen[migration.id]} and {migration.path})")
            else:
                seen[migration.id] = migration.path
        for migration in everything:
            owner = self.owner(migration)
            if owner in failures:
                continue
            try:
                migration.load()
            except Exception as exc:  # yoyo raises BadMigration for unknown dependencies
                unknown = _unknown_dependencies(migration, seen)
                if not unknown:
                    failures.add(owner, f"migration {migration.id!r} cannot be read: {exc}")
                    continue
            else:
                # yoyo resolves dependencies through a process-wide registry, so an id read
                # earlier from another set would satisfy it: check against this set only.
                unknown = sorted(d.id for d in migration.depends if d.id not in seen)
            if unknown:
                failures.add(owner,
                    f"migration {migration.id!r} depends on {', '.join(unknown)}, which no loaded "
                    "plugin provides (is the plugin it builds on installed and enabled?)")
        self._fail_dependents(everything, failures)
        self.failed = failures.reasons
        healthy = MigrationList([m for m in everything if self.owner(m) not in failures],
                                [m for m in post_apply if self.owner(m) not in failures])
        return healthy, failures

    def _fail_dependents(self, migrations: list[Any], failures: _Failures) -> None:
        """Leave out every owner whose migrations build on a failed owner's, transitively."""
        changed = True
        while changed:
            changed = False
            for migration in migrations:
                owner = self.owner(migration)
                if owner in failures or not migration.loaded:
                    continue
                for dependency in sorted(migration.depends, key=lambda d: d.id):
                    provider = self._by_path.get(str(Path(dependency.source_dir).resolve()))
                    if provider is not None and provider in failures:
                        failures.add(owner, f"migration {migration.id!r} depends on {dependency.id} of "
                                            f"{provider!r}, which failed: {failures.reasons[provider]}")
                        changed = True
                        break

    def owner(self, migration: Any) -> str:
        return _owner_of(migration, self._by_path)

    # --- connecting -----------------------------------------------------------------
    @contextmanager
    def _locked_backend(self) -> Iterator[Any]:
        """A yoyo backend holding the advisory lock, with any stale yoyo lock cleared."""
        import psycopg
        from yoyo.connections import parse_uri

        try:
            backend = _backend_class()(parse_uri(yoyo_url(self.url)), MIGRATION_TABLE)
            backend.owner_of = self.owner
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise MigrationError(f"cannot reach PostgreSQL at {describe_server(self.url)}: {reason}") from exc
        try:
            backend.init_database()
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
    def _everything_applied(self) -> bool:
        """The common start-up case, answered with one query and without yoyo.

        Every process start runs the migrations; when all declared ids are applied and
        their rollback SQL is kept there is nothing to lock, parse or compute. (A
        database migrated before the rollback SQL was kept takes the full path once,
        which records it.) The query goes through asyncpg, which the bot loads anyway:
        psycopg and yoyo cost ``alphapy migrate`` more than half its time and every bot
        process their memory, for nothing, when nothing is to be applied.
        """
        return all_applied(self.url, (source.path for source in self.sources))

    def apply(self) -> list[str]:
        """Apply every pending migration; returns the ids applied, in order.

        Strict, for tools and tests: any owner's problem raises :class:`MigrationError`,
        a problem found while reading before anything is applied.
        """
        if self._everything_applied():
            return []
        return self._apply(strict=True).applied

    def apply_isolating_plugins(self) -> MigrationReport:
        """Apply what can be applied; a plugin's failure is reported, not raised.

        What a bot start and ``alphapy migrate`` use: a plugin whose migration fails is
        left out (with every plugin depending on it) and the others are migrated. A
        problem in the core's migrations still raises :class:`MigrationError`.
        """
        if self._everything_applied():
            return MigrationReport()
        return self._apply(strict=False)

    def _apply(self, *, strict: bool) -> MigrationReport:
        from alphapy.log import get_logger

        log = get_logger(__name__)
        migrations, failures = self._read()
        if strict and failures.reasons:
            raise MigrationError(next(iter(failures.reasons.values())))
        applied: list[str] = []

        def attempt(backend: Any, migration: Any, *, mark: bool = True) -> bool:
            """Apply one migration (or post-apply hook); a plugin's failure leaves it out."""
            owner = self.owner(migration)
            if owner in failures:
                return False
            log.info("migration.apply", migration=migration.id, owner=owner)
            try:
                backend.apply_one(migration, mark=mark)
            except Exception as exc:
                reason = f"{migration.id}: {_first_line(exc)}"
                if strict or owner == CORE_OWNER:
                    raise MigrationError(f"migration {reason}") from exc
                failures.add(owner, reason)
                self._fail_dependents(list(migrations), failures)
                return False
            return True

        with self._locked_backend() as backend, backend.lock():
            pending = backend.to_apply(migrations)
            applied = [m.id for m in pending if attempt(backend, m)]
            if applied:  # yoyo's post-apply hooks run after every run that applied something
                for hook in pending.post_apply:
                    attempt(backend, hook, mark=False)
            self._record_missing(backend, migrations, failures)
        for owner, reason in failures.reasons.items():
            log.error("migration.plugin_failed", plugin=owner, reason=reason)
        self.failed = failures.reasons
        return MigrationReport(applied, dict(failures.reasons))

    def _record_missing(self, backend: Any, migrations: Any, failures: _Failures) -> None:
        """Keep the rollback SQL of applied migrations that have no record yet.

        Databases migrated before the records existed (and the core's first migration,
        applied before its table) get theirs here, while the plugin's files are still
        installed; one transaction, so a killed run leaves all or nothing to redo.
        """
        if not records_exist(backend):
            return
        unrecorded = {a.hash for a in applied_migrations(backend, MIGRATION_TABLE) if not a.recorded}
        missing = [m for m in migrations if m.hash in unrecorded and self.owner(m) not in failures]
        if missing:
            with backend.transaction():
                for migration in missing:
                    record(backend, migration, self.owner(migration))

    def status(self) -> list[MigrationState]:
        """Every migration of the healthy owners, and every applied one of owners not loaded.

        The migrations of a plugin that cannot be read are left out; :attr:`failed`
        says which plugins and why. An owner that is not among the sources at all (a
        plugin uninstalled or not enabled) still shows its applied migrations, from
        what the database recorded, with ``loaded=False``.
        """
        migrations, _ = self._read()
        with self._locked_backend() as backend:
            applied = {a.id: a for a in applied_migrations(backend, MIGRATION_TABLE)}
        applied_hashes = {a.hash for a in applied.values()}
        states = [
            MigrationState(
                id=m.id,
                owner=self.owner(m),
                applied=m.hash in applied_hashes,
                applied_at=applied[m.id].applied_at if m.id in applied else None,
                depends=tuple(sorted(d.id for d in m.depends)),
                rollback_recorded=_has_kept_rollback(applied.get(m.id)) if m.hash in applied_hashes else None,
            )
            for m in migrations
        ]
        sourced = {source.owner for source in self.sources}
        states.extend(
            MigrationState(id=a.id, owner=a.owner, applied=True, applied_at=a.applied_at, depends=a.depends,
                           loaded=False, rollback_recorded=_has_kept_rollback(a))
            for a in applied.values()
            if a.owner not in sourced
        )
        return states

    def rollback(self, owner: str) -> list[str]:
        """Roll back ``owner``'s applied migrations, newest first; returns their ids.

        A loaded owner is rolled back with its files; an owner whose plugin is gone, with
        the rollback SQL recorded when its migrations were applied. Either way it is
        refused while another owner's applied migration depends on one of them.
        """
        from alphapy.log import get_logger

        log = get_logger(__name__)
        migrations, failures = self._read()
        if owner in failures:
            raise MigrationError(f"cannot roll back {owner!r}: {failures.reasons[owner]}")
        mine = [m for m in migrations if self.owner(m) == owner]
        with self._locked_backend() as backend, backend.lock():
            applied = applied_migrations(backend, MIGRATION_TABLE)
            gone = [a for a in applied if a.owner == owner] if not mine else []
            if not mine and not gone:
                owners = sorted({self.owner(m) for m in migrations} | {a.owner for a in applied})
                raise MigrationError(f"no migrations belong to {owner!r} (known: {', '.join(owners)})")
            roots = {m.id for m in mine} | {a.id for a in applied if a.owner == owner}
            blockers = _dependents(owner, roots, migrations, applied)
            if blockers:
                names = ", ".join(f"{a.id} ({a.owner})" for a in blockers)
                raise MigrationError(
                    f"cannot roll back {owner!r}: applied migrations of other owners depend on it: {names}"
                )
            if gone:
                return self._rollback_from_records(backend, owner, gone)
            from yoyo.migrations import MigrationList

            undone: list[str] = []
            for migration in backend.to_rollback(MigrationList(mine)):
                log.info("migration.rollback", migration=migration.id, owner=owner)
                try:
                    backend.rollback_one(migration)
                except Exception as exc:
                    raise MigrationError(f"rollback of {migration.id} failed: {_first_line(exc)}") from exc
                undone.append(migration.id)
            return undone

    @staticmethod
    def _rollback_from_records(backend: Any, owner: str, gone: list[AppliedMigration]) -> list[str]:
        """Undo an uninstalled owner's migrations, newest first, with the recorded SQL."""
        from alphapy.log import get_logger

        unknown = [a.id for a in gone if a.rollback_sql is None]
        if unknown:
            raise MigrationError(
                f"cannot roll back {owner!r}: the rollback SQL of {', '.join(unknown)} was never recorded "
                "(applied before Alphapy kept it, or written in Python); install the plugin again and run "
                "'alphapy migrate' once to record it, then roll back"
            )
        undone: list[str] = []
        for applied in reversed(gone):
            get_logger(__name__).info("migration.rollback", migration=applied.id, owner=owner, recorded=True)
            try:
                backend.rollback_recorded(applied)
            except Exception as exc:
                raise MigrationError(f"rollback of {applied.id} failed: {_first_line(exc)}") from exc
            undone.append(applied.id)
        return undone


def _has_kept_rollback(applied: AppliedMigration | None) -> bool:
    return applied is not None and applied.rollback_sql is not None


def _dependents(owner: str, roots: set[str], migrations: Iterable[Any],
                applied: list[AppliedMigration]) -> list[AppliedMigration]:
    """Other owners' applied migrations that depend on ``owner``'s, directly or not.

    Dependencies come from the files where they are loaded and from the records where
    the plugin is gone, so an uninstalled plugin still protects what it builds on.
    """
    depends = {a.id: set(a.depends) for a in applied}
    depends.update({m.id: {d.id for d in m.depends} for m in migrations})
    closure = set(roots)
    changed = True
    while changed:
        changed = False
        for migration_id, needs in depends.items():
            if migration_id not in closure and needs & closure:
                closure.add(migration_id)
                changed = True
    return [a for a in applied if a.id in closure and a.owner != owner]
