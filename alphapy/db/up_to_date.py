"""``alphapy migrate`` with nothing to apply, answered before the expensive start (issue 20).

The full path of ``alphapy migrate`` validates the whole configuration (pydantic-settings),
imports and checks every plugin to learn where their migrations are, and only then finds
that everything is applied: most of a second, at every deploy and container start, for
nothing. This module answers "is there nothing to apply?" from what the last clean full
run left behind, and says "don't know" (the full path runs) whenever anything may differ:

* that run writes a state file in the data folder (``ALPHAPY_DATA_DIR``, default
  ``.alphapy``, beside the embedded database): the migration folders it used, the names of
  the configuration's fields, and a digest of everything its outcome depended on: those
  fields' values (environment over ``.env``, as :class:`alphapy.config.Config` reads them),
  the ``.env`` file itself, the installed distributions (their metadata folders' names,
  which carry the versions; entry points come from nowhere else), the interpreter and its
  import path, the working folder and alphapy's version. Only the digest is written, no value;
* when the digest computed now still matches, one query (asyncpg, which the bot loads
  anyway; psycopg and yoyo are slower to import) says whether every migration file in those
  folders is applied with its rollback SQL kept.

A clean run is one where the configuration was valid, every plugin loaded and passed its
checks and every migration applied: only then can "nothing changed" mean "nothing to say".
The one thing not seen is a plugin whose code (not its migrations, version or
configuration) changed in place, as in an editable install: ``alphapy plugins`` and the
bot's start still report it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from alphapy.db.migration_records import RECORDS_TABLE

STATE_FILE = "migrate-state.json"
_STATE_VERSION = 1
_DEFAULT_DATA_DIR = ".alphapy"
_ENV_FILE = ".env"
#: what names a distribution's metadata (and so its version and entry points) on ``sys.path``
_METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")
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
        except asyncpg.PostgresError:
            return None
        finally:
            await conn.close()
        return {row[0] for row in rows}

    return asyncio.run(fetch())


def _settings() -> tuple[dict[str, str], bytes | None]:
    """The raw configuration inputs: ``.env`` then the environment over it (names lower-cased,
    as ``Config`` is case-insensitive), and the ``.env`` file's bytes (None: no file)."""
    try:
        raw: bytes | None = Path(_ENV_FILE).read_bytes()
    except OSError:
        raw = None
    values: dict[str, str] = {}
    if raw is not None:
        from dotenv import dotenv_values  # pydantic-settings' own reader of .env

        values.update({k.lower(): v for k, v in dotenv_values(_ENV_FILE, encoding="utf-8").items() if v is not None})
    values.update({k.lower(): v for k, v in os.environ.items()})
    return values, raw


def _state_path(values: Mapping[str, str]) -> Path:
    data_dir = values.get("alphapy_data_dir", "").strip() or _DEFAULT_DATA_DIR
    return Path(data_dir).expanduser() / STATE_FILE


def _installed() -> list[str]:
    """Every distribution's metadata folder on ``sys.path``: an install, upgrade or removal
    of any package (a plugin's included) changes this list."""
    names: set[str] = set()
    for entry in sys.path:
        folder = os.path.abspath(entry or ".")
        try:
            names.update(f"{folder}/{name}" for name in os.listdir(folder) if name.endswith(_METADATA_SUFFIXES))
        except OSError:
            continue
    return sorted(names)


def _digest(fields: list[str], sources: list[list[str]], values: Mapping[str, str], env_file: bytes | None) -> str:
    from alphapy import __version__

    inputs = {
        "version": _STATE_VERSION,
        "alphapy": __version__,
        "python": [sys.executable, sys.version],
        "cwd": os.getcwd(),
        "path": sorted({os.path.abspath(entry or ".") for entry in sys.path}),
        "installed": _installed(),
        "fields": fields,
        "config": {name: values.get(name) for name in fields},
        "env_file": None if env_file is None else hashlib.sha256(env_file).hexdigest(),
        "sources": sources,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def nothing_to_apply() -> bool:
    """True when the last clean run's state still holds and the database has it all applied.

    False means "not known here": the caller takes the full path.
    """
    values, env_file = _settings()
    url = values.get("database_url", "").strip()
    if not url:
        return False  # the embedded server, or a value the full path must judge
    try:
        state = json.loads(_state_path(values).read_text(encoding="utf-8"))
        fields, sources, recorded = state["fields"], state["sources"], state["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if state.get("version") != _STATE_VERSION or _digest(fields, sources, values, env_file) != recorded:
        return False
    return all_applied(url, [Path(path) for _, path in sources])


def record_clean_run(fields: Iterable[str], sources: Iterable[tuple[str, Path]]) -> None:
    """Write the state :func:`nothing_to_apply` checks, after a full run that was clean.

    ``fields`` are the configuration's names (lower case, aliases included). A folder that
    cannot be written (a read-only container) only means the full path every time.
    """
    values, env_file = _settings()
    state_path = _state_path(values)
    field_list = sorted(set(fields))
    source_list = [[owner, str(Path(path).resolve())] for owner, path in sources]
    try:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state = {"version": _STATE_VERSION, "fields": field_list, "sources": source_list,
                 "digest": _digest(field_list, source_list, values, env_file)}
        partial = state_path.with_name(f"{STATE_FILE}.{os.getpid()}")
        partial.write_text(json.dumps(state), encoding="utf-8")
        partial.replace(state_path)  # atomic: a concurrent reader sees the old state or the new
    except OSError:
        return

