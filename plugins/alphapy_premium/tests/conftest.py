"""The premium plugin under test, a clean ``PREMIUM_*`` environment and the fake billing service."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from alphapy_premium.testing import FakeBilling

WEBHOOK_SECRET = "test-webhook-secret-0123456789"


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_premium import plugin

    return [("premium", plugin)]


@pytest.fixture(autouse=True)
def premium_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Callable[..., None]:
    """No developer's ``PREMIUM_*`` variables or ``.env`` leak in; ``premium_env(api_url=...)`` sets some."""
    for key in [k for k in os.environ if k.upper().startswith("PREMIUM_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # PremiumConfig reads ./.env: an empty folder has none

    def configure(**values: Any) -> None:
        for key, value in values.items():
            name = key.upper() if key.upper().startswith("PREMIUM_") else f"PREMIUM_{key.upper()}"
            monkeypatch.setenv(name, str(value))

    return configure


@pytest_asyncio.fixture
async def billing() -> AsyncIterator[FakeBilling]:
    async with FakeBilling() as fake:
        yield fake
