"""The browser tests' plugins: the core's ``hello`` test plugin, switched from the page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import test_plugin


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]
