"""``alphapy --help`` reused while the installation is unchanged (issue 20).

The top-level help lists the plugins' commands too, so building it imports every plugin,
its ``register_cli`` and the checks that decide whether a plugin may add commands: two
thirds of its start. The text only changes with the installation (plugins installed,
upgraded, edited in place), ``ALPHAPY_PLUGINS``, the language and the terminal's width,
which is what the digest (:mod:`alphapy.install_state`) covers; the text is kept in the
user's cache folder and printed as is while the digest matches.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from alphapy.install_state import digest, local_module_files, read_state, write_state

_VERSION = 1
#: what argparse's wording and layout depend on besides the parsers: the language, the width
_ENVIRONMENT = ("ALPHAPY_PLUGINS", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "COLUMNS")


def _path() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "alphapy" / "help.json"


def _extra() -> dict[str, Any]:
    return {"version": _VERSION, "environment": {name: os.environ.get(name) for name in _ENVIRONMENT},
            "columns": shutil.get_terminal_size().columns}


def cached_help() -> str | None:
    """The recorded help text, if everything it was built from is unchanged."""
    state = read_state(_path())
    if state is None or state.get("version") != _VERSION:
        return None
    files, text = state.get("files"), state.get("text")
    if not isinstance(files, list) or not isinstance(text, str):
        return None
    return text if digest(files, _extra()) == state.get("digest") else None


def record_help(text: str) -> None:
    """Keep the help just built, with the digest of what it was built from."""
    files = local_module_files()
    write_state(_path(), {"version": _VERSION, "files": files, "digest": digest(files, _extra()), "text": text})
