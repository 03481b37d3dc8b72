"""``alphapy migrate`` with nothing to apply, answered before the expensive start (issue 20).

The full path of ``alphapy migrate`` validates the whole configuration (pydantic-settings),
imports and checks every plugin to learn where their migrations are, and only then finds
that everything is applied: most of a second, at every deploy and container start, for
nothing. This module answers "is there nothing to apply?" from what the last clean full
run left behind, and says "don't know" (the full path runs) whenever anything may differ:

* that run writes a state file in the data folder (``ALPHAPY_DATA_DIR``, default
  ``.alphapy``, beside the embedded database): the migration folders it used, the names of
  the configuration's fields, the local source files it imported, and a digest
  (:mod:`alphapy.install_state`) of the installation plus those fields' values
  (environment over ``.env``, as :class:`alphapy.config.Config` reads them), the ``.env``
  file and the working folder. Only the digest is written, no value;
* when the digest computed now still matches, one query (asyncpg, which the bot loads
  anyway; psycopg and yoyo are slower to import) says whether every migration file in those
  folders is applied with its rollback SQL kept.

A clean run is one where the configuration was valid, every plugin loaded and passed its
checks and every migration applied: only then can "nothing changed" mean "nothing to say".
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from alphapy.db.migration_records import RECORDS_TABLE
from alphapy.install_state import config_inputs, digest, local_module_files, read_state, write_state

STATE_FILE = "migrate-state.json"
_STATE_VERSION = 2
_DEFAULT_DATA_DIR = ".alphapy"
#: yoyo's table of applied migrations
MIGRATION_TABLE = "_yoyo_migration"
APPLIED_WITH_RECORDS_SQL = (
    f"SELECT y.migration_id FROM {MIGRATION_TABLE} y JOIN {RECORDS_TABLE} r ON r.migration_id = y.migration_id"
)


def declared_ids(folders: Iterable[Path]) -> set[str]:
    """Migration ids from the file names alone: cheap, no SQL parsed, no yoyo.

    Empty when a folder is missing, so that the caller takes the path that says why.
    """
    ids: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            return set()
        for file in folder.iterdir():
            name = file.name
            if name.endswith((".rollback.sql", ".pyc")) or name.startswith(("post-apply", "_", ".")):
                continue
            if file.suffix in (".sql", ".py"):
                ids.add(file.stem)
    return ids


def all_applied(url: str, folders: Iterable[Path]) -> bool:
    """Whether every migration file in ``folders`` is applied with its rollback SQL kept:
    one query, no yoyo. False when that cannot be known here."""
    ids = declared_ids(folders)
    if not ids:
        return False
    applied = applied_with_records(url)
    return applied is not None and ids <= applied


def applied_with_records(url: str) -> set[str] | None:
    """Ids applied and recorded, or None when that cannot be known here (no bookkeeping
    tables yet, unreachable, or called from a running event loop: the full path says why)."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return None  # a synchronous caller inside a loop (a test): it cannot wait for asyncpg here

    async def fetch() -> set[str] | None:
        import asyncpg

        try:
            conn = await asyncpg.connect(url, timeout=10)
        except (OSError, ValueError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return None
        try:
            rows = await conn.fetch(APPLIED_WITH_RECORDS_SQL)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return None  # the connection lost midway: the full path says what is wrong
        finally:
            await conn.close()
        return {row[0] for row in rows}

    return asyncio.run(fetch())


def _state_path(values: dict[str, str]) -> Path:
    data_dir = values.get("alphapy_data_dir", "").strip() or _DEFAULT_DATA_DIR
    return Path(data_dir).expanduser() / STATE_FILE


def _digest(state: dict[str, object], values: dict[str, str], env_file: bytes | None) -> str:
    fields, files = state["fields"], state["files"]
    if not isinstance(fields, list) or not isinstance(files, list):
        raise TypeError("a state written by another version")
    return digest(files, {
        "version": _STATE_VERSION,
        "cwd": os.getcwd(),
        "fields": fields,
        "config": {name: values.get(name) for name in fields},
        "env_file": None if env_file is None else hashlib.sha256(env_file).hexdigest(),
        "sources": state["sources"],
    })


def nothing_to_apply() -> bool:
    """True when the last clean run's state still holds and the database has it all applied.

    False means "not known here": the caller takes the full path.
    """
    values, env_file = config_inputs()
    url = values.get("database_url", "").strip()
    if not url:
        return False  # the embedded server, or a value the full path must judge
    state = read_state(_state_path(values))
    if state is None or state.get("version") != _STATE_VERSION:
        return False
    try:
        if _digest(state, values, env_file) != state["digest"]:
            return False
        folders = [Path(path) for _, path in state["sources"]]
    except (KeyError, TypeError, ValueError):
        return False
    return all_applied(url, folders)


def record_clean_run(fields: Iterable[str], sources: Iterable[tuple[str, Path]]) -> None:
    """Write the state :func:`nothing_to_apply` checks, after a full run that was clean.

    ``fields`` are the configuration's names (lower case, aliases included).
    """
    values, env_file = config_inputs()
    state: dict[str, object] = {
        "version": _STATE_VERSION,
        "fields": sorted(set(fields)),
        "sources": [[owner, str(Path(path).resolve())] for owner, path in sources],
        "files": local_module_files(),
    }
    state["digest"] = _digest(state, values, env_file)
    write_state(_state_path(values), state)
