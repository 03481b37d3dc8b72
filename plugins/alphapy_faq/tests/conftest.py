"""The FAQ plugin under test, on its own: nothing installed on the machine leaks in."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_faq import plugin

    return [("faq", plugin)]
