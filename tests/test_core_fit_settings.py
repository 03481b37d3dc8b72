"""/settings show and /settings history at their largest: many long values and help texts."""

from __future__ import annotations

import types
from typing import Any

import pytest

from alphapy import hookimpl
from alphapy.testing.sent_lengths import assert_sent_within_limits

KEYS = [f"setting_with_a_long_name_{n:02}" for n in range(25)]
VALUE = "**v** `c` <@123456789012345678> " * 60  # markdown, code and mentions: 1,920 characters


def wordy_plugin() -> types.ModuleType:
    module = types.ModuleType("wordy")

    def register_settings(register: Any) -> None:
        for key in KEYS:
            register(key, "str", max_length=2000, help="Helps **a lot** `really` " * 40)

    module.register_settings = hookimpl(register_settings)  # type: ignore[attr-defined]
    return module


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("wordy", wordy_plugin())]


def balanced(text: str) -> bool:
    return text.count("`") % 2 == 0 and text.replace("\\*", "").count("**") % 2 == 0


async def test_settings_show_and_history_of_long_values_fit(bot, emulator, guild, host) -> None:
    for key in KEYS:
        await bot.settings.set(guild.id, "wordy", key, VALUE, changed_by=host.id)
    start = emulator.requests[-1].seq + 1
    replies = [await emulator.slash(host, "settings show"), await emulator.slash(host, "settings show", scope="wordy"),
               await emulator.slash(host, "settings history")]
    for reply in replies:
        description = reply.embed["description"]
        assert len(description) <= 4096
        for line in description.splitlines():
            assert balanced(line), line
    set_reply = await emulator.slash(host, "settings set", setting=f"wordy.{KEYS[0]}", value=VALUE)
    assert balanced(set_reply.content)
    assert assert_sent_within_limits(emulator, start) == 4
