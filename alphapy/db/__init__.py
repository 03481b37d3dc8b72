"""Database access owned by the core: the server in use, the pools, the migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphapy.db.pool import Database, DatabaseUnavailable

if TYPE_CHECKING:
    from alphapy.config import Config
    from alphapy.db.embedded import EmbeddedPostgres

__all__ = ["Database", "DatabaseUnavailable", "resolve_database"]


def resolve_database(config: Config) -> tuple[str, EmbeddedPostgres | None]:
    """The URL to use: ``DATABASE_URL``, else an embedded server started in the data folder.

    The caller owns the returned embedded server and must ``stop()`` it on exit.
    """
    if config.database_url:
        return config.database_url, None
    from alphapy.db.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(config.data_dir)
    return server.start(), server
