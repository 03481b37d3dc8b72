"""The ``premium_features`` hook: every plugin's sentences collected, a failing or confused
plugin left out without hiding the others'."""

from __future__ import annotations

from typing import Any

from alphapy import PremiumFeature, hookimpl
from alphapy.plugins import PluginManager
from alphapy.premium_features import MAX_FEATURES, MAX_SENTENCE, premium_features


class Declares:
    @hookimpl
    def premium_features(self) -> list[str]:
        return ["Bigger  boxes:\n up to 9.", "Bigger boxes: up to 9.", "", "x" * 1_000]


class Crashes:
    @hookimpl
    def premium_features(self) -> list[str]:
        raise RuntimeError("broken")


class Confused:
    @hookimpl
    def premium_features(self) -> Any:
        return {"not": "a list"}


class Chatty:
    @hookimpl
    def premium_features(self) -> list[str]:
        return [f"Feature {n}." for n in range(50)]


class Silent:
    """Declares nothing: premium changes nothing here."""


def manager_of(**plugins: object) -> PluginManager:
    manager = PluginManager()
    for name, plugin in plugins.items():
        manager.register(plugin, name)
    return manager


def test_every_plugins_sentences_are_collected_and_tidied() -> None:
    features = premium_features(manager_of(boxes=Declares(), crash=Crashes(), confused=Confused(), silent=Silent()))
    assert features == [PremiumFeature("boxes", "Bigger boxes: up to 9."), PremiumFeature("boxes", "x" * MAX_SENTENCE)]


def test_a_long_list_is_cut() -> None:
    features = premium_features(manager_of(chatty=Chatty()))
    assert [f.sentence for f in features] == [f"Feature {n}." for n in range(MAX_FEATURES)]


def test_reminders_declares_its_image_and_its_higher_limit() -> None:
    from alphapy_reminders import plugin

    sentences = [f.sentence for f in premium_features(manager_of(reminders=plugin))]
    assert len(sentences) == 2
    assert sentences[0].startswith("Images on reminders:") and "8 MB" in sentences[0]
    defaults: dict[str, Any] = {}
    plugin.register_settings(lambda key, kind, **options: defaults.__setitem__(key, options.get("default")))
    # the figures said are the settings' defaults, so the sentence cannot drift from the code
    assert f"{defaults['premium_max_per_guild']} instead of {defaults['max_per_guild']}" in sentences[1]
    assert "reminders.premium_max_per_guild" in sentences[1]
