"""``pg_dump`` backups and ``pg_restore`` restores of the database in use.

The archives are pg_dump's custom format (``-Fc``): compressed, restorable table by table,
readable by any ``pg_restore`` at least as new as the ``pg_dump`` that wrote them.

The tools come from the ``pgserver`` wheel, which every Alphapy install has. ``pg_dump``
refuses a server of a newer major version than its own, so when the server is newer
than the bundled tools, the ``pg_dump``/``pg_restore`` on ``PATH`` are used if they are
new enough, and otherwise the backup stops with a message naming the versions.

Secrets never reach a command line: the password goes to the tools through
``PGPASSWORD``, the other connection parameters as a ``key=value`` connection string
(``host=/socket/dir`` for the embedded server's unix socket).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from alphapy.db.urls import describe_server

#: Tables whose rows ``skip_analytics`` leaves out (the schema reference calls them
#: analytics only, and the dashboard's hourly rollups are counted from audit_logs); the
#: tables themselves stay in the archive.
ANALYTICS_TABLES = ("audit_logs", "health_check_history", "dashboard_usage_hours", "dashboard_usage_rollups")

_TOOL_TIMEOUT = 10.0  # seconds for ``--version`` and ``--list``
_CONNECT_TIMEOUT = 10


class BackupError(Exception):
    """A backup or restore cannot be done; the message is one line for humans."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(line.strip() for line in str(message).splitlines() if line.strip()))


@dataclass(frozen=True)
class Tool:
    """A PostgreSQL client program and its version."""

    name: str
    path: str
    version: tuple[int, ...]
    bundled: bool

    @property
    def major(self) -> tuple[int, ...]:
        return _major(self.version)

    def describe(self) -> str:
        where = "bundled" if self.bundled else f"on PATH ({self.path})"
        return f"{self.name} {_format_version(self.major)} {where}"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database: str
    size: int
    tables: int
    skipped_analytics: bool
    pg_dump: Tool

    def summary(self) -> str:
        analytics = (
            f"analytics rows skipped ({', '.join(ANALYTICS_TABLES)})" if self.skipped_analytics
            else "analytics included"
        )
        return (f"backed up {self.database} to {self.path}: {format_size(self.size)}, "
                f"{self.tables} tables, {analytics}")


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    database: str
    tables: int
    replaced: bool

    def summary(self) -> str:
        how = " (replaced its previous contents)" if self.replaced else ""
        return f"restored {self.tables} tables from {self.path} into {self.database}{how}"


# --- public API ---------------------------------------------------------------------

def backup(url: str, path: str | os.PathLike[str], skip_analytics: bool = False) -> BackupResult:
    """Write a custom-format archive of the database at ``url`` to ``path``.

    The archive is written to a temporary file beside ``path`` and renamed over it only
    once ``pg_dump`` succeeded and the archive lists, so a failed backup never leaves a
    truncated file (nor replaces an older good one). The file is created mode 0600.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise BackupError(f"{target} is a directory; give the archive's file name")
    if not target.parent.is_dir():
        raise BackupError(f"folder {target.parent} does not exist")

    server_version, database = _server_info(url)
    pg_dump = select_tool("pg_dump", server_version)
    pg_restore = _sibling(pg_dump, "pg_restore") or select_tool("pg_restore", server_version)
    dbname, env = libpq_arguments(url)

    command = [pg_dump.path, "--format=custom", "--no-password", f"--dbname={dbname}"]
    if skip_analytics:
        command += [f"--exclude-table-data={table}" for table in ANALYTICS_TABLES]

    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _run(pg_dump, [*command, f"--file={tmp}"], env, timeout=None,
             failure=f"backup of {describe_server(url)} failed")
        listed = _list(pg_restore, tmp)
        if listed.returncode != 0:
            raise BackupError(f"backup of {describe_server(url)} failed: pg_dump wrote an archive that "
                              f"{pg_restore.describe()} cannot read: {_tool_error(listed.stderr)}")
        _fsync(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)
    return BackupResult(
        path=target, database=database, size=target.stat().st_size, tables=count_tables(listed.stdout),
        skipped_analytics=skip_analytics, pg_dump=pg_dump,
    )


def restore(url: str, path: str | os.PathLike[str], force: bool = False) -> RestoreResult:
    """Restore the archive at ``path`` into the database at ``url``.

    The database must be empty (no table in ``public``, no applied migration) unless
    ``force``, which drops and recreates the archive's objects (``--clean --if-exists``);
    objects the archive does not hold are left alone. The restore runs in one
    transaction, so a failure changes nothing. Ownership and privileges are not
    restored: every object belongs to the role of ``url``.
    """
    source = Path(path).expanduser()
    if not source.exists():
        raise BackupError(f"backup file not found: {source}")
    if not source.is_file():
        raise BackupError(f"{source} is not a file")

    # The file is checked before the database is touched, with whichever pg_restore can read it.
    found = find_tools("pg_restore")
    if not found:
        raise BackupError("no pg_restore found: neither pgserver's bundled one nor one on PATH")
    reader, listing = _readable_by(found, source)

    server_version, database = _server_info(url)
    usable = usable_tools("pg_restore", server_version)
    able = [tool for tool in usable if tool.major >= reader.major]
    if not able:
        raise BackupError(f"{source} was written by a newer pg_dump than {usable[0].describe()} can read; "
                          "install newer PostgreSQL client tools and put them on PATH")
    pg_restore = able[0]

    occupied = _contents(url)
    if occupied and not force:
        raise BackupError(
            f"database {database} is not empty ({occupied}); restore into an empty database, "
            "or use --force to replace its contents"
        )

    dbname, env = libpq_arguments(url)
    command = [pg_restore.path, "--no-password", f"--dbname={dbname}", "--single-transaction",
               "--no-owner", "--no-privileges"]
    if force:
        command += ["--clean", "--if-exists"]
    _run(pg_restore, [*command, str(source)], env, timeout=None,
         failure=f"restore of {source} into {describe_server(url)} failed, nothing was changed")
    return RestoreResult(path=source, database=database, tables=count_tables(listing),
                         replaced=force and bool(occupied))


# --- tools --------------------------------------------------------------------------

def select_tool(name: str, server_version: tuple[int, ...]) -> Tool:
    """The preferred ``name`` (bundled first, then ``PATH``) not older than the server."""
    return usable_tools(name, server_version)[0]


def usable_tools(name: str, server_version: tuple[int, ...]) -> list[Tool]:
    """Every ``name`` at least as new as the server's major version, preferred first.

    Raises :class:`BackupError` naming the versions when there is none.
    """
    found = find_tools(name)
    usable = [tool for tool in found if tool.major >= _major(server_version)]
    if usable:
        return usable
    server = _format_version(_major(server_version))
    seen = ", ".join(tool.describe() for tool in found) or f"no {name} was found"
    path_note = "" if any(not tool.bundled for tool in found) else f"; no {name} on PATH"
    raise BackupError(
        f"the server runs PostgreSQL {server} but {name} must be version {server} or newer "
        f"({seen}{path_note}): install the PostgreSQL {server} client tools and put them on PATH"
    )


def find_tools(name: str) -> list[Tool]:
    """``name`` from pgserver's bundle and from ``PATH``, with their versions."""
    found: list[Tool] = []
    seen: set[str] = set()
    candidates: list[tuple[str | None, bool]] = [(_bundled(name), True), (shutil.which(name), False)]
    for candidate, bundled in candidates:
        if candidate is None:
            continue
        key = os.path.realpath(candidate)
        if key in seen:
            continue
        seen.add(key)
        version = _tool_version(candidate)
        if version is not None:
            found.append(Tool(name=name, path=candidate, version=version, bundled=bundled))
    return found


def _bundled(name: str) -> str | None:
    try:
        from alphapy.db.embedded import EmbeddedPostgres

        tool = EmbeddedPostgres(Path(".")).bin_dir() / name
    except Exception:  # pgserver missing or broken: fall back to PATH
        return None
    return str(tool) if tool.is_file() and os.access(tool, os.X_OK) else None


def _sibling(tool: Tool, name: str) -> Tool | None:
    """The ``name`` program installed beside ``tool`` (same version), if any."""
    path = Path(tool.path).with_name(name)
    if not (path.is_file() and os.access(path, os.X_OK)):
        return None
    version = _tool_version(str(path))
    return Tool(name=name, path=str(path), version=version, bundled=tool.bundled) if version else None


@lru_cache(maxsize=32)
def _tool_version(path: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True,
                             timeout=_TOOL_TIMEOUT, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?", out)
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def _major(version: tuple[int, ...]) -> tuple[int, ...]:
    """Major version: ``(16,)`` from 16.x, ``(9, 6)`` from 9.6.x."""
    return version[:1] if version[0] >= 10 else version[:2]


def _format_version(version: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def server_version_tuple(server_version_num: int) -> tuple[int, ...]:
    """``160002`` -> ``(16, 2)``; ``90624`` -> ``(9, 6, 24)``."""
    if server_version_num >= 100000:
        return (server_version_num // 10000, server_version_num % 10000)
    return (server_version_num // 10000, server_version_num // 100 % 100, server_version_num % 100)


# --- connection ---------------------------------------------------------------------

def libpq_arguments(url: str) -> tuple[str, dict[str, str]]:
    """A password-free connection string for ``--dbname`` and the environment to run with.

    The password (from the URL's user info or its ``password=`` parameter) goes to
    ``PGPASSWORD`` only; a URL without one keeps any ``PGPASSWORD`` already set.
    """
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params: dict[str, Any] = conninfo_to_dict(url)
    except Exception as exc:
        raise BackupError("the database URL cannot be parsed") from exc
    password = params.pop("password", None)
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", str(_CONNECT_TIMEOUT))
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**params), env


def _server_info(url: str) -> tuple[tuple[int, ...], str]:
    """The server's version and the database name, checking it can be reached."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT) as conn:
            row = conn.execute("SELECT current_setting('server_version_num')::int, current_database()").fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot reach PostgreSQL at {describe_server(url)}: {_first_line(str(exc))}") from exc
    assert row is not None
    return server_version_tuple(row[0]), row[1]


def _contents(url: str) -> str:
    """What makes the database non-empty, in a few words ("" when it is empty)."""
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
        ).fetchall()]
        migrations = 0
        if conn.execute("SELECT to_regclass('_yoyo_migration')").fetchone()[0] is not None:  # type: ignore[index]
            migrations = conn.execute("SELECT count(*) FROM _yoyo_migration").fetchone()[0]  # type: ignore[index]
    tables.sort(key=lambda name: (name.startswith(("_", "yoyo")), name))  # bookkeeping (yoyo's, the runner's) last
    parts = []
    if tables:
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        parts.append(f"{len(tables)} table{'s' if len(tables) != 1 else ''} in public: {shown}")
    if migrations:
        parts.append(f"{migrations} applied migration{'s' if migrations != 1 else ''}")
    return "; ".join(parts)


# --- archives -----------------------------------------------------------------------

def _list(tool: Tool, path: Path) -> subprocess.CompletedProcess[str]:
    """``pg_restore --list``: reads the archive's header and table of contents."""
    try:
        return subprocess.run([tool.path, "--list", str(path)], capture_output=True, text=True,
                              timeout=_TOOL_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"cannot run {tool.path} --list: {exc}") from exc


def _readable_by(tools: list[Tool], path: Path) -> tuple[Tool, str]:
    """The first tool that can read the archive, and its table of contents."""
    tool, stderr = tools[0], ""
    for tool in tools:
        result = _list(tool, path)
        if result.returncode == 0:
            return tool, result.stdout
        stderr = result.stderr
        if "unsupported version" not in stderr:
            break  # not a version problem: a newer pg_restore will not help
    raise BackupError(_archive_problem(path, tool, stderr))


def _archive_problem(path: Path, tool: Tool, stderr: str) -> str:
    reason = _tool_error(stderr)
    if "unsupported version" in stderr:
        return (f"{path} was written by a newer pg_dump than {tool.describe()} can read ({reason}); "
                "install newer PostgreSQL client tools and put them on PATH")
    if "text format dump" in stderr:
        return f"{path} is a plain SQL dump, not a pg_dump archive; restore it with psql"
    if "input file is too short" in stderr:
        size = path.stat().st_size if path.exists() else 0
        return f"{path} is not a pg_dump archive (it is only {size} bytes long)"
    if "not appear to be a valid archive" in stderr or "did not find magic string" in stderr:
        return f"{path} is not a pg_dump archive (made with alphapy backup or pg_dump -Fc)"
    return f"cannot read {path}: {reason}"


def count_tables(listing: str) -> int:
    """Tables in a ``pg_restore --list`` table of contents."""
    return sum(1 for line in listing.splitlines()
               if re.match(r"^\d+; \d+ \d+ TABLE (?!DATA |ATTACH )", line))


# --- helpers ------------------------------------------------------------------------

def _run(tool: Tool, command: list[str], env: dict[str, str], *, timeout: float | None, failure: str) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except OSError as exc:
        raise BackupError(f"{failure}: cannot run {tool.path}: {exc.strerror or exc}") from exc
    if result.returncode != 0:
        raise BackupError(f"{failure}: {_tool_error(result.stderr) or f'{tool.name} exited with {result.returncode}'}")


def _tool_error(stderr: str) -> str:
    """The first error a PostgreSQL tool printed, without its ``pg_dump: error:`` prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    chosen = next((line for line in lines if ": error: " in line), lines[0] if lines else "")
    chosen = re.sub(r"^\S+: (error|warning|detail): ", "", chosen)
    return " ".join(chosen.split())


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover
