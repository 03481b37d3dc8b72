"""The core's own messages built from data stay within Discord's limits at their largest."""

from __future__ import annotations

import re
import types
from typing import Any

import pytest

from alphapy.testing.sent_lengths import assert_sent_within_limits

DOC = "A plugin that **does** <@123456789012345678> `things` " * 30  # a first line of 1,500 characters


def plugin(number: int) -> types.ModuleType:
    module = types.ModuleType(f"many_{number}")
    module.__doc__ = DOC
    return module


NAMES = [f"plugin_with_a_rather_long_name_{n:02}" for n in range(70)]


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [(name, plugin(n)) for n, name in enumerate(NAMES)]


async def test_plugins_list_and_refusals_of_seventy_long_plugins_fit(bot, emulator, host) -> None:
    start = emulator.requests[-1].seq + 1
    listing = await emulator.slash(host, "plugins list")
    lines = listing.embed["description"].splitlines()
    left_out = int(lines.pop()[6:-5]) if lines[-1].startswith("… and ") else 0
    assert len(lines) + left_out == 70
    assert all(line.count("<@") == len(re.findall(r"<@\d+>", line)) for line in lines), "a mention was cut"
    refused = await emulator.slash(host, "plugins enable", plugin="nosuch")
    assert refused.content.startswith("There is no plugin called nosuch. Installed: ")
    assert refused.content.rstrip("…").rsplit(" ", 1)[-1].strip(",.") in NAMES  # cut between two names
    assert_sent_within_limits(emulator, start)
