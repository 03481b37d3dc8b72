"""Database access owned by the core: the server in use, the pools, the migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alphapy.config import Config
    from alphapy.db.embedded import EmbeddedPostgres
    from alphapy.db.pool import Database, DatabaseUnavailable

__all__ = ["Database", "DatabaseUnavailable", "resolve_database"]


def __getattr__(name: str) -> object:
    # Lazy: the migration runner and the CLI's --help must not pay for asyncio/asyncpg.
    if name in ("Database", "DatabaseUnavailable"):
        from alphapy.db import pool

        return getattr(pool, name)
    raise AttributeError(name)


def resolve_database(config: Config) -> tuple[str, EmbeddedPostgres | None]:
    """The URL to use: ``DATABASE_URL``, else an embedded server started in the data folder.

    The caller owns the returned embedded server and must ``stop()`` it on exit.
    """
    if config.database_url:
        return config.database_url, None
    from alphapy.db.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(config.data_dir)
    return server.start(), server
