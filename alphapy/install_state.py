"""A digest of what a command's outcome depends on, to reuse an answer while it holds (issue 20).

``alphapy migrate`` with nothing to apply and ``alphapy --help`` spend most of their start
importing and checking plugins, and validating the configuration, to reach an answer that
only changes when the installation or the configuration does. They record that answer with
a digest of its inputs; a later start computes the digest again, cheaply, and reuses the
answer when it matches. The inputs:

* the installed distributions: every metadata folder's name on ``sys.path`` (the name
  carries the version; entry points, hence plugins, come from nowhere else), and the
  import path itself;
* the files of the modules the recording process imported from outside the interpreter's
  and the environment's folders (an editable plugin, a checkout of alphapy), with their
  modification times and sizes: editing one changes the digest;
* the interpreter, alphapy's version, and whatever the caller adds (configuration values).

Nothing here imports more than the standard library: that is the point.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ENV_FILE = ".env"
#: what names a distribution's metadata (and so its version and entry points) on ``sys.path``
_METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg-link", ".pth")


def config_inputs() -> tuple[dict[str, str], bytes | None]:
    """The raw configuration: ``.env`` then the environment over it (names lower-cased, as
    :class:`alphapy.config.Config` is case-insensitive), and the ``.env`` file's bytes."""
    try:
        raw: bytes | None = Path(ENV_FILE).read_bytes()
    except OSError:
        raw = None
    values: dict[str, str] = {}
    if raw is not None:
        from dotenv import dotenv_values  # pydantic-settings' own reader of .env

        values.update({k.lower(): v for k, v in dotenv_values(ENV_FILE, encoding="utf-8").items() if v is not None})
    values.update({k.lower(): v for k, v in os.environ.items()})
    return values, raw


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


def local_module_files() -> list[str]:
    """Files of the modules imported so far that no installed distribution's metadata
    covers: those outside the interpreter's and the environment's folders."""
    prefixes = tuple({os.path.join(os.path.realpath(p), "") for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
    files = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and not os.path.realpath(file).startswith(prefixes):
            files.add(file)
    return sorted(files)


def _stats(files: Iterable[str]) -> list[Any]:
    found: list[Any] = []
    for file in files:
        try:
            stat = os.stat(file)
        except OSError:
            found.append([file, None])
            continue
        found.append([file, stat.st_mtime_ns, stat.st_size])
    return found


def digest(local_files: Iterable[str], extra: Mapping[str, Any]) -> str:
    """The digest of the installation as seen now, plus ``extra`` (JSON-serialisable)."""
    from alphapy import __version__

    inputs = {
        "alphapy": __version__,
        "python": [sys.executable, sys.version],
        "path": sorted({os.path.abspath(entry or ".") for entry in sys.path}),
        "installed": _installed(),
        "local_files": _stats(local_files),
        "extra": extra,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def read_state(path: Path) -> dict[str, Any] | None:
    """A recorded state (JSON object), or None when absent or unreadable."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def write_state(path: Path, state: Mapping[str, Any]) -> None:
    """Replace the state atomically (a concurrent reader sees the old one or the new one).

    A folder that cannot be written (a read-only container) only means no reuse.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(state), encoding="utf-8")
        partial.replace(path)
    except OSError:
        return
