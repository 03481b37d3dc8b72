"""The browser tests' plugin (the core's ``hello`` test plugin); the dashboard comes from the kit's ``dashboard_url``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import test_plugin


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]
