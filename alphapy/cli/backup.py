"""``alphapy backup`` and ``alphapy restore``: pg_dump archives of the database in use."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from alphapy.cli import EXIT_OK


def add_parser(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="write a pg_dump archive of the database in use",
        description="Write a pg_dump custom-format archive (-Fc) of the database in use "
        "(DATABASE_URL, or the embedded server). The file appears only once the backup is complete.",
    )
    backup.add_argument("file", metavar="FILE", help="archive to write (replaced if it exists)")
    backup.add_argument(
        "--skip-analytics", action="store_true",
        help="leave out the rows of audit_logs and health_check_history (their tables stay)",
    )
    backup.set_defaults(handler=backup_command)

    restore = commands.add_parser(
        "restore",
        help="restore a pg_dump archive into the database in use",
        description="Restore an archive written by 'alphapy backup' (or pg_dump -Fc) into the "
        "database in use, in one transaction. The database must be empty unless --force.",
    )
    restore.add_argument("file", metavar="FILE", help="archive to restore")
    restore.add_argument(
        "--force", action="store_true",
        help="restore into a database that has tables, dropping and recreating the archive's objects",
    )
    restore.set_defaults(handler=restore_command)


@contextmanager
def _database_url() -> Iterator[str]:
    """The URL in use; an embedded server started for it is released on exit."""
    from alphapy.config import load_config
    from alphapy.db import resolve_database

    url, embedded = resolve_database(load_config())
    try:
        yield url
    finally:
        if embedded is not None:
            embedded.stop()


def _run(action: Callable[[str], Any]) -> int:
    with _database_url() as url:
        result = action(url)
    print(result.summary())
    return EXIT_OK


def backup_command(args: argparse.Namespace) -> int:
    from alphapy.db.backup import backup

    return _run(lambda url: backup(url, args.file, skip_analytics=args.skip_analytics))


def restore_command(args: argparse.Namespace) -> int:
    from alphapy.db.backup import restore

    return _run(lambda url: restore(url, args.file, force=args.force))
