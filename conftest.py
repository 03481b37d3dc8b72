"""Repository-wide test set-up: our own tests check traffic against Discord's OpenAPI
description and tables against the schema reference, both found in ``../shared``.

Outside this repository (a plugin author's project) neither is set, so the testing kit
validates nothing it has no spec for.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent / "shared"

if (SHARED / "discord" / "openapi.json").is_file():
    os.environ.setdefault("ALPHAPY_DISCORD_OPENAPI", str(SHARED / "discord" / "openapi.json"))
if (SHARED / "reference" / "database-schema.txt").is_file():
    os.environ.setdefault("ALPHAPY_SCHEMA_REFERENCE", str(SHARED / "reference" / "database-schema.txt"))
