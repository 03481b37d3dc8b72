"""The reminders plugin under test, with a premium answer the tests control."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def premium() -> Any:
    """Premium for the user ids a test adds to ``premium.users`` (nobody by default)."""
    from reminders_helpers import PremiumStub

    return PremiumStub()


@pytest.fixture
def alphapy_plugins(premium: Any) -> list[tuple[str, Any]]:
    from alphapy_reminders import plugin

    return [("reminders", plugin), ("premium_stub", premium)]
