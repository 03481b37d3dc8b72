"""A plugin that failed, as a host sees it: in /plugins list, /api/health and /readyz, with its reason."""

from __future__ import annotations

import types
from typing import Any

import aiohttp
import pytest

from alphapy import hookimpl
from tests.conftest import test_plugin

REASON = "ValueError: setting twice.limit is declared twice"


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello")), ("twice", test_plugin("twice"))]


async def test_plugins_list_shows_a_failed_plugin_with_its_reason(bot, emulator, host) -> None:
    listing = await emulator.slash(host, "plugins list")
    lines = listing.embed["description"].splitlines()
    assert lines[0].startswith("🟢 **hello**")
    assert lines[1:] == [f"🔴 **twice** — did not load: {REASON}"]


async def test_a_failed_plugin_cannot_be_switched_on_and_adds_no_commands(bot, emulator, host) -> None:
    refused = await emulator.slash(host, "plugins enable", plugin="twice")
    assert refused.content == f"The plugin twice is unavailable because it did not load: {REASON}"
    assert bot.tree.get_command("twice") is None
    answered_health = {result.plugin for result in await bot.plugins.call_async("health")}
    assert answered_health == {"hello"}  # none of its hooks is called


def plugin_whose_cogs_fail() -> types.ModuleType:
    module = types.ModuleType("cogless")

    def register_cogs(bot: Any) -> Any:
        raise RuntimeError("the cog needs a channel that does not exist")

    module.register_cogs = hookimpl(register_cogs)  # type: ignore[attr-defined]
    return module


async def test_a_plugin_failing_at_run_time_is_reported_by_health_and_readyz(
        emulator, guild, migrated_database_url) -> None:
    from alphapy.testing.bot import running_alphapy

    plugins = [("hello", test_plugin("hello")), ("cogless", plugin_whose_cogs_fail())]
    async with running_alphapy(emulator, migrated_database_url, plugins=plugins, health=True) as runner:
        url = runner.services.health.url
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/api/health") as response:
                report = await response.json()
            async with session.get(f"{url}/readyz") as response:
                ready = (response.status, await response.json())
    reason = "RuntimeError: the cog needs a channel that does not exist"
    assert report["status"] == "degraded" and report["gateway"] == "ok"
    assert report["plugins"]["cogless"] == {"status": "failed", "error": reason}
    assert report["plugins"]["hello"]["status"] == "ok"
    assert ready == (200, {"status": "ready", "failed_plugins": {"cogless": reason}})
