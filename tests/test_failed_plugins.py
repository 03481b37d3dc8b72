"""A plugin that failed at start-up, as a host sees it in Discord: listed with its reason."""

from __future__ import annotations

from typing import Any

import pytest

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
