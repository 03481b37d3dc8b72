"""The health server: reports, a burst that writes one row, retention, readiness, metrics."""

from __future__ import annotations

import asyncio
import types
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from alphapy import hookimpl
from alphapy.config import load_config
from alphapy.services import Services
from tests.conftest import test_plugin


def plugin_with_routes() -> types.ModuleType:
    module = types.ModuleType("routes_plugin")

    def register_routes(app: web.Application) -> None:
        async def hello(_request: web.Request) -> web.Response:
            return web.json_response({"hello": "world"})

        app.router.add_get("/api/routes/hello", hello)

    async def health() -> dict[str, Any]:
        raise RuntimeError("queue stuck")

    module.register_routes = hookimpl(register_routes)  # type: ignore[attr-defined]
    module.health = hookimpl(health)  # type: ignore[attr-defined]
    return module


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]


@pytest_asyncio.fixture
async def services(migrated_database_url: str, plugin_manager: Any) -> AsyncIterator[Services]:
    config = load_config(_env_file=None, database_url=migrated_database_url, health_port=0,
                         openai_api_key=None, openai_base_url=None)
    services = Services(config, plugin_manager, migrated_database_url)
    await services.start()
    try:
        yield services
    finally:
        await services.stop()


async def get(services: Services, path: str) -> tuple[int, Any]:
    assert services.health is not None
    async with aiohttp.ClientSession() as session, session.get(services.health.url + path) as response:
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


async def test_report_has_every_part(services: Services) -> None:
    services.tracker.record(5, 6, "ping", "slash", True)
    await services.tracker.stop()  # flush, so the count below sees the row
    status, report = await get(services, "/api/health")
    assert status == 200
    assert report["service"] == "alphapy" and report["version"]
    assert report["status"] == "ok"
    assert report["database"]["status"] == "ok"
    assert report["database"]["pool"]["max_size"] == services.config.db_pool_max_size
    assert report["commands_24h"] == 1
    assert report["ai"] == "not_configured"
    assert report["gateway"] == "none"
    assert report["plugins"] == {"hello": {"status": "ok", "greeting": "hello"}}
    assert isinstance(report["uptime_seconds"], int)


async def test_a_burst_records_one_history_row(services: Services) -> None:
    assert services.health is not None
    services.health.cache_seconds = 0  # every call builds a report: the row limit must still hold
    async with aiohttp.ClientSession() as session:

        async def call() -> int:
            async with session.get(services.health.url + "/api/health") as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(call() for _ in range(300)))
    assert set(statuses) == {200}
    assert await services.db.fetchval("SELECT count(*) FROM health_check_history") == 1
    row = await services.db.fetchrow("SELECT * FROM health_check_history")
    assert row["service"] == "alphapy" and row["db_status"] == "ok" and row["gpt_status"] == "not_configured"


async def test_a_second_process_within_the_interval_records_nothing(services: Services, plugin_manager: Any) -> None:
    await get(services, "/api/health")
    other = Services(services.config, plugin_manager, services.db.url)
    await other.start()
    try:
        await get(other, "/api/health")
    finally:
        await other.stop()
    assert await services.db.fetchval("SELECT count(*) FROM health_check_history") == 1


async def test_retention_deletes_only_rows_older_than_30_days(services: Services) -> None:
    # The periodic purge and recording also run once at start; let them finish so that they
    # cannot race ours, then start from an empty table.
    for _ in range(500):
        if all(services.scheduler.task_stats(task).runs >= 1
               for task in ("core.health_history_purge", "core.health_record")):
            break
        await asyncio.sleep(0.01)
    await services.db.execute("DELETE FROM health_check_history")
    await services.db.execute(
        """INSERT INTO health_check_history (service, version, uptime_seconds, db_status, checked_at)
           VALUES ('alphapy', '0', 1, 'ok', now() - interval '31 days'),
                  ('alphapy', '0', 1, 'ok', now() - interval '29 days'),
                  ('alphapy', '0', 1, 'ok', now())"""
    )
    assert services.health is not None
    assert await services.health.purge_history() == 1
    ages = await services.db.fetch("SELECT now() - checked_at AS age FROM health_check_history ORDER BY 1")
    assert len(ages) == 2 and all(r["age"].days < 30 for r in ages)


async def test_livez_readyz_and_a_database_outage(services: Services) -> None:
    assert await get(services, "/livez") == (200, {"status": "ok"})
    assert await get(services, "/readyz") == (200, {"status": "ready"})
    assert services.health is not None
    services.health.cache_seconds = 0
    await services.db.close()  # the database is gone for this process
    status, body = await get(services, "/readyz")
    assert status == 503 and "database unreachable" in body["reasons"]
    assert (await get(services, "/livez"))[0] == 200  # the loop still answers
    status, report = await get(services, "/api/health")
    assert status == 503 and report["status"] == "down"


async def test_metrics_in_prometheus_format(services: Services) -> None:
    services.metrics.command("ping", ok=True)
    services.metrics.command("ping", ok=False)
    services.tracker.record(1, 2, "ping", "slash", True)
    status, text = await get(services, "/metrics")
    assert status == 200
    assert 'alphapy_commands_total{command="ping",outcome="success"} 1.0' in text
    assert 'alphapy_commands_total{command="ping",outcome="error"} 1.0' in text
    assert "alphapy_tracker_queue_depth" in text
    assert "alphapy_db_pool_size" in text and "alphapy_settings_cache_hits_total" in text


async def test_plugin_routes_and_a_failing_plugin_health(migrated_database_url: str) -> None:
    from alphapy.plugins import PluginManager

    manager = PluginManager()
    manager.register(plugin_with_routes(), "routes")
    config = load_config(_env_file=None, database_url=migrated_database_url, health_port=0)
    services = Services(config, manager, migrated_database_url)
    await services.start()
    try:
        assert await get(services, "/api/routes/hello") == (200, {"hello": "world"})
        status, report = await get(services, "/api/health")
        assert status == 200 and report["status"] == "degraded"
        assert report["plugins"]["routes"] == {"status": "down", "error": "queue stuck"}
        status, body = await get(services, "/readyz")
        assert status == 503 and body["reasons"] == ["plugin routes down"]
    finally:
        await services.stop()


async def test_the_tracker_is_reported_as_a_json_object(services: Services) -> None:
    services.tracker.record(5, 6, "ping", "slash", True)
    await services.tracker.stop()
    _, report = await get(services, "/api/health")
    assert report["tracker"]["written"] == 1 and report["tracker"]["queued"] == 0
    assert report["tracker"]["last_error"] is None


async def test_a_failed_plugin_degrades_health_and_readyz_names_it(migrated_database_url: str) -> None:
    from alphapy.runtime import prepare

    config = load_config(_env_file=None, database_url=migrated_database_url, health_port=0,
                         openai_api_key=None, openai_base_url=None)
    runtime = prepare(config, plugins=[("hello", test_plugin("hello")), ("twice", test_plugin("twice"))],
                      configure_logs=False)
    services = Services(config, runtime.plugins, migrated_database_url, runtime.registry)
    await services.start()
    try:
        reason = "ValueError: setting twice.limit is declared twice"
        status, report = await get(services, "/api/health")
        assert status == 200 and report["status"] == "degraded"
        assert report["plugins"] == {"hello": {"status": "ok", "greeting": "hello"},
                                     "twice": {"status": "failed", "error": reason}}
        status, body = await get(services, "/readyz")  # the other plugins still serve
        assert (status, body) == (200, {"status": "ready", "failed_plugins": {"twice": reason}})
    finally:
        await services.stop()


async def test_a_health_hook_that_needs_the_bot_is_not_asked_before_the_bot_attaches(
        migrated_database_url: str) -> None:
    from alphapy.plugins import PluginManager

    asked: list[object] = []
    module = types.ModuleType("needs_bot")

    async def health(bot: Any) -> dict[str, Any]:
        asked.append(bot)
        return {"status": "ok", "guilds": len(bot.guilds)}

    module.health = hookimpl(health)  # type: ignore[attr-defined]
    manager = PluginManager()
    manager.register(module, "needs_bot")
    config = load_config(_env_file=None, database_url=migrated_database_url, health_port=0)
    services = Services(config, manager, migrated_database_url)
    await services.start()
    try:
        status, report = await get(services, "/api/health")
        assert status == 200 and report["status"] == "ok"
        assert report["plugins"] == {"needs_bot": {"status": "ok"}} and asked == []
    finally:
        await services.stop()
