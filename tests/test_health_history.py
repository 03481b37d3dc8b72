"""At most one ``health_check_history`` row per interval, across processes: the database decides."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest_asyncio

from alphapy.config import load_config
from alphapy.services import Services

TRIALS = 30


@pytest_asyncio.fixture
async def two_processes(migrated_database_url: str, plugin_manager: Any) -> AsyncIterator[list[Services]]:
    """Two sets of services on one database, as two bot processes would have."""
    config = load_config(_env_file=None, database_url=migrated_database_url, health_port=0,
                         openai_api_key=None, openai_base_url=None)
    started: list[Services] = []
    try:
        for _ in range(2):
            services = Services(config, plugin_manager, migrated_database_url)
            await services.start()
            assert services.health is not None
            services.health.cache_seconds = 0  # every call builds a report and may record
            started.append(services)
        yield started
    finally:
        for services in started:
            await services.stop()


async def test_two_processes_asked_at_the_same_moment_write_one_row(two_processes: list[Services]) -> None:
    first = two_processes[0]
    async with aiohttp.ClientSession() as session:

        async def ask(services: Services) -> int:
            assert services.health is not None
            async with session.get(services.health.url + "/api/health") as response:
                await response.read()
                return response.status

        for trial in range(TRIALS):
            await first.db.execute("DELETE FROM health_check_history")
            for services in two_processes:
                assert services.health is not None
                services.health.state.last_record_attempt = 0.0  # both due to record now
            statuses = await asyncio.gather(*(ask(s) for s in two_processes))
            assert statuses == [200, 200]
            rows = await first.db.fetchval("SELECT count(*) FROM health_check_history")
            assert rows == 1, f"trial {trial + 1}: {rows} rows"
