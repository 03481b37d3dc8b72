"""One call path for every hook: undeclared names raise, plugins declare hooks of their own,
and the core's own loops (settings, cogs, demo chapters) go through the manager too."""

from __future__ import annotations

import types
from typing import Any

import pytest

from alphapy import hookimpl, hookspec
from alphapy.plugins import PluginManager, UnknownHook


def _plugin(name: str, *, specs: Any = None, optional: bool = False, **hooks: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(optionalhook=optional)(function))
    if specs is not None:
        module.alphapy_hookspecs = specs  # type: ignore[attr-defined]
    return module


def _order_specs() -> types.ModuleType:
    """What a shop plugin declares for others: ``order_placed``."""
    specs = types.ModuleType("shop_hookspecs")

    @hookspec
    def order_placed(order: Any, bot: Any) -> None:
        """*async* An order was placed."""

    specs.order_placed = order_placed  # type: ignore[attr-defined]
    return specs


async def test_a_misspelt_hook_name_raises_and_names_the_right_one() -> None:
    manager = PluginManager()
    manager.register(_plugin("a", health=lambda: {"status": "ok"}), "a")
    with pytest.raises(UnknownHook) as raised:
        await manager.call_async("helth")
    assert str(raised.value) == "no hook named 'helth' (did you mean 'health'?)"
    with pytest.raises(UnknownHook, match=r"^no hook named 'register_setings' \(did you mean 'register_settings'\?\)$"):
        manager.call_each("register_setings", register=None)
    with pytest.raises(UnknownHook, match=r"^no hook named 'premium' \(did you mean 'premium_status'\?\)$"):
        await manager.call_first("premium", user_id=1, guild_id=2)
    with pytest.raises(UnknownHook, match=r"^no hook named 'xyzzy' \(hooks are declared in alphapy.hookspecs"):
        manager.call_each("xyzzy")


async def test_a_declared_hook_nobody_implements_answers_nothing() -> None:
    manager = PluginManager()
    assert await manager.call_async("health") == []
    assert manager.call_each("register_migrations") == []


async def test_a_plugin_declares_a_hook_another_implements_in_either_registration_order() -> None:
    async def record(order: Any, bot: Any) -> tuple[Any, Any]:
        return order, bot

    for names in (["mailer", "shop"], ["shop", "mailer"]):
        manager = PluginManager()
        plugins = {"shop": _plugin("shop", specs=_order_specs()),
                   "mailer": _plugin("mailer", optional=True, order_placed=record)}
        for name in names:
            assert manager.register(plugins[name], name).status == "loaded"
        manager.provide(bot="the bot")
        assert [r.value for r in await manager.call_async("order_placed", order=7)] == [(7, "the bot")]
        with pytest.raises(UnknownHook, match=r"did you mean 'order_placed'\?"):
            await manager.call_async("order_place", order=7)


async def test_an_optional_hook_whose_declaring_plugin_is_absent_loads_and_can_be_called() -> None:
    from alphapy.plugin_checks import check_plugins

    async def record(order: Any) -> Any:
        return order

    manager = PluginManager()
    manager.register(_plugin("mailer", optional=True, order_placed=record), "mailer")
    check_plugins(manager, log_failures=False)
    assert manager.loaded == ["mailer"]
    assert [r.value for r in await manager.call_async("order_placed", order=7)] == [7]


def test_an_implementation_that_does_not_fit_a_later_declaration_fails_itself_not_the_declarer() -> None:
    def wrong(order: Any, coupon: Any) -> None:
        return None

    manager = PluginManager()
    manager.register(_plugin("mailer", optional=True, order_placed=wrong), "mailer")
    assert manager.register(_plugin("shop", specs=_order_specs()), "shop").status == "loaded"
    assert manager.loaded == ["shop"]
    assert manager.infos["mailer"].error == (
        "its order_placed hook takes coupon, which the shop plugin's order_placed(order, bot) does not offer")
    assert manager.call_each("order_placed", order=7) == []


def test_per_plugin_arguments_reach_only_their_own_plugin() -> None:
    manager = PluginManager()
    for name in ("b", "a"):
        manager.register(_plugin(name, register_settings=lambda register: register), name)
    answers = manager.call_each("register_settings", per_plugin=lambda name: {"register": f"{name}'s registrar"})
    assert [(r.plugin, r.value) for r in answers] == [("a", "a's registrar"), ("b", "b's registrar")]


def test_settings_are_declared_in_name_order_and_a_failing_plugin_is_refused_alone() -> None:
    from alphapy.settings import build_registry

    declared: list[str] = []

    def declare(register: Any) -> None:
        declared.append(register("size", "int", default=1).full_name)

    def broken(register: Any) -> None:
        raise ValueError("no settings today")

    manager = PluginManager()
    for name, function in (("zeta", declare), ("broken", broken), ("alpha", declare)):
        manager.register(_plugin(name, register_settings=function), name)
    registry = build_registry(manager, log_failures=False)
    assert declared == ["alpha.size", "zeta.size"]
    assert manager.loaded == ["alpha", "zeta"]
    assert manager.infos["broken"].error == "ValueError: no settings today"
    assert "broken" not in registry.scopes()


async def test_a_demo_chapter_that_cannot_be_added_fails_alone() -> None:
    from alphapy.demo import collect_tour

    async def steps(t: Any) -> None:
        return None

    def chapter(tour: Any) -> None:
        tour.chapter("Greeter: says hello", steps)

    def broken(tour: Any) -> None:
        raise RuntimeError("no chapter today")

    manager = PluginManager()
    manager.register(_plugin("greeter", register_demo=chapter), "greeter")
    manager.register(_plugin("broken", register_demo=broken), "broken")
    tour = collect_tour(manager)
    assert [(c.plugin, c.title) for c in tour.chapters] == [
        (None, "Core: settings, plugins and permissions"),
        ("greeter", "Greeter: says hello"),
        ("broken", "broken: the chapter could not be added"),
    ]
    with pytest.raises(RuntimeError, match="no chapter today"):
        await tour.chapters[2].steps(None)  # type: ignore[arg-type]
