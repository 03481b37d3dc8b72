"""The session cookies' key: from ``DASHBOARD_SESSION_SECRET``, else a file in the data folder.

Generated once and kept (mode 0600), so sessions survive a restart and a second process on
the same data folder shares them, without a host having to invent a key.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

SECRET_FILE = "dashboard_session_secret"


def session_key(configured: str | None, data_dir: Path) -> bytes:
    """32 bytes for the cookie encryption, derived from the configured or stored secret."""
    secret = configured or _stored_secret(data_dir)
    return hashlib.sha256(secret.encode()).digest()


def _stored_secret(data_dir: Path) -> str:
    path = data_dir / SECRET_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole under a private name, then linked into place: a second process
        # starting at the same moment reads either no file or a complete one, never a
        # half-written secret, and the first link wins for both.
        draft = data_dir / f".{SECRET_FILE}.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
