"""The onboarding plugin under test, and a guild arranged for it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
os.environ.setdefault("ALPHAPY_DISCORD_OPENAPI", str(SHARED / "discord" / "openapi.json"))
os.environ.setdefault("ALPHAPY_SCHEMA_REFERENCE", str(SHARED / "reference" / "database-schema.txt"))


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_onboarding import plugin

    return [("onboarding", plugin)]
