"""``PluginCog``: one way to reach a plugin's state from the bot, and custom ids without a cog."""

from __future__ import annotations

from typing import Any

import pytest

from alphapy import PluginCog, UserError
from tests.conftest import test_plugin


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]


async def test_a_cog_is_found_by_its_class_on_the_bot(bot) -> None:
    from alphapy_hello.cog import HelloCog

    loaded = bot.get_cog("HelloCog")
    assert loaded is not None
    assert HelloCog.of(bot) is loaded


async def test_a_cog_that_is_not_loaded_is_one_polite_sentence(bot) -> None:
    class AbsentCog(PluginCog, plugin="absent"):
        pass

    with pytest.raises(UserError, match=r"^The absent feature is not available right now\.$"):
        AbsentCog.of(bot)


def test_a_dynamic_item_builds_custom_ids_without_a_cog() -> None:
    class GreeterCog(PluginCog, plugin="greeter"):
        pass

    assert GreeterCog.custom_id("wave", 3) == "greeter:wave:3"
