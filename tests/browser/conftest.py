"""The browser tests' plugin (the core's ``hello`` test plugin) and the dashboard beside the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from alphapy.dashboard.server import DashboardServer, options_from
from tests.conftest import test_plugin


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]


@pytest_asyncio.fixture
async def dashboard_url(bot_runner: Any, emulator: Any, tmp_path: Path) -> AsyncIterator[str]:
    """The dashboard on a free loopback port beside the running bot; its URL.

    The testing kit gains a ``dashboard_url`` fixture of its own with the plugin-pages hook
    (issue 17); once both are merged this one can go.
    """
    config = bot_runner.services.config.model_copy(update={"dashboard_port": 0, "data_dir": tmp_path})
    server = DashboardServer(config, options_from(config, bot_runner.services, emulator=emulator))
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()
