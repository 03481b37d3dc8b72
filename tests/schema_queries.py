"""What a test database holds, asked through a plain psycopg connection (migration tests)."""

from __future__ import annotations

import psycopg


def public_tables(url: str) -> set[str]:
    """The tables of the ``public`` schema."""
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def applied_migrations(url: str) -> set[str]:
    """The migration ids yoyo records as applied."""
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT migration_id FROM _yoyo_migration").fetchall()}
