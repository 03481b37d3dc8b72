"""What the runner keeps of each applied migration, so it outlives the plugin's files.

yoyo records only a migration's id and hash; the SQL that undoes it lives in the
plugin's package and leaves with ``pip uninstall``. The core migration
``core_0002_migration_records`` adds ``_alphapy_migration``, written in the same
transaction as each apply (and deleted in the same transaction as each rollback), with
the owner, the dependencies and the rollback statements. Until that migration is
applied (or for migration sets without the core, as in some tests) nothing is recorded.

Every function takes the runner's yoyo backend and runs inside whatever transaction the
caller holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

RECORDS_TABLE = "_alphapy_migration"
_OWNER_PREFIX = re.compile(r"^([a-z][a-z0-9_]*?)_\d+_")


@dataclass(frozen=True)
class AppliedMigration:
    """An applied migration as the database remembers it, files or not.

    ``rollback_sql`` is ``None`` when the statements that undo it were never recorded
    (applied before the records existed and not backfilled since, or undone by Python
    code); an empty tuple means there is nothing to undo.
    """

    id: str
    hash: str
    owner: str
    applied_at: datetime | None
    depends: tuple[str, ...]
    rollback_sql: tuple[str, ...] | None
    recorded: bool


def owner_from_id(migration_id: str) -> str:
    """The owner a migration id names (ids start with their owner's name)."""
    match = _OWNER_PREFIX.match(migration_id)
    return match[1] if match else migration_id


def rollback_statements(migration: Any) -> list[str] | None:
    """The SQL yoyo would run to roll ``migration`` back, in order; ``None`` if not SQL.

    Walks yoyo's steps the way its rollback does: steps (and the steps of a group) in
    reverse. A rollback written as a Python function cannot be kept as text.
    """
    statements: list[str] = []

    def walk(step: Any) -> bool:
        if hasattr(step, "step"):  # TransactionWrapper / Transactionless
            return walk(step.step)
        if hasattr(step, "steps"):  # StepGroup
            return all(walk(item) for item in reversed(step.steps))
        undo = step._rollback  # yoyo keeps a step's rollback (SQL text or a function) here
        if undo is None:
            return True
        if isinstance(undo, str):
            statements.append(undo)
            return True
        return False

    migration.load()
    return statements if all(walk(step) for step in reversed(migration.steps)) else None


def records_exist(backend: Any) -> bool:
    """Whether ``_alphapy_migration`` exists (the core's second migration is applied)."""
    if backend._alphapy_records_exist:
        return True
    found = backend.execute("SELECT to_regclass(:name) IS NOT NULL", {"name": RECORDS_TABLE}).fetchone()[0]
    backend._alphapy_records_exist = bool(found)  # once it exists it stays while we hold the lock
    return bool(found)


def record(backend: Any, migration: Any, owner: str) -> None:
    """Keep ``migration``'s owner, dependencies and rollback SQL (replacing an old row)."""
    if not records_exist(backend):
        return
    backend.execute(
        f"INSERT INTO {RECORDS_TABLE} (migration_id, owner, depends, rollback_sql) "
        "VALUES (:id, :owner, :depends, :rollback_sql) "
        "ON CONFLICT (migration_id) DO UPDATE SET owner = EXCLUDED.owner, depends = EXCLUDED.depends, "
        "rollback_sql = EXCLUDED.rollback_sql, recorded_at = now()",
        {"id": migration.id, "owner": owner, "depends": sorted(d.id for d in migration.depends),
         "rollback_sql": rollback_statements(migration)},
    )


def forget(backend: Any, migration_id: str) -> None:
    """Drop the record of a rolled-back migration (if the table is still there)."""
    backend._alphapy_records_exist = False  # the rollback may have been core_0002's own
    if records_exist(backend):
        backend.execute(f"DELETE FROM {RECORDS_TABLE} WHERE migration_id = :id", {"id": migration_id})


def applied_migrations(backend: Any, migration_table: str) -> list[AppliedMigration]:
    """Every migration recorded as applied, in the order it was applied."""
    backend.ensure_internal_schema_updated()  # a new database has no yoyo tables yet
    if not records_exist(backend):
        rows = backend.execute(
            f"SELECT migration_id, migration_hash, applied_at_utc, NULL, NULL, NULL, false "
            f"FROM {migration_table} ORDER BY applied_at_utc, migration_id"
        ).fetchall()
    else:
        rows = backend.execute(
            f"SELECT y.migration_id, y.migration_hash, y.applied_at_utc, r.owner, r.depends, r.rollback_sql, "
            f"r.migration_id IS NOT NULL FROM {migration_table} y "
            f"LEFT JOIN {RECORDS_TABLE} r ON r.migration_id = y.migration_id "
            "ORDER BY r.position NULLS LAST, y.applied_at_utc, y.migration_id"
        ).fetchall()
    return [
        AppliedMigration(
            id=id_, hash=hash_, owner=owner or owner_from_id(id_), applied_at=applied_at,
            depends=tuple(depends or ()), rollback_sql=None if undo is None else tuple(undo),
            recorded=bool(recorded),
        )
        for id_, hash_, applied_at, owner, depends, undo, recorded in rows
    ]
