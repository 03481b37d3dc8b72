"""The reminders plugin under test, and helpers its tests share."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_reminders import plugin

    return [("reminders", plugin)]
