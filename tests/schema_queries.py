"""What a test database holds, asked through a plain psycopg connection (migration tests)."""

from __future__ import annotations

from pathlib import Path

import psycopg

import alphapy

#: the core's own migrations in the order they apply: tests that list what a run applied
#: take them from here, so a new core migration does not mean editing every such test
CORE_MIGRATIONS: tuple[str, ...] = tuple(sorted(
    path.name.removesuffix(".sql") for path in (Path(alphapy.__file__).parent / "migrations").glob("core_*.sql")
    if not path.name.endswith(".rollback.sql")))


def public_tables(url: str) -> set[str]:
    """The tables of the ``public`` schema."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def applied_migrations(url: str) -> set[str]:
    """The migration ids yoyo records as applied."""
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT migration_id FROM _yoyo_migration").fetchall()}
