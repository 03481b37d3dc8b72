"""Plugin discovery through entry points, isolation, and the async hook helper."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import types

import pytest

from alphapy import hookimpl
from alphapy.plugins import PluginManager
from tests.schema_queries import CORE_MIGRATIONS

# Other plugins may be installed on the machine (this repository's own are); the tests
# look at the ones they install.
TEST_PLUGINS = {"broken", "dependent", "hello"}


def test_entry_points_load_in_name_order_and_a_broken_one_does_not_stop_the_others(install_test_plugins) -> None:
    install_test_plugins("hello", "broken", "dependent")
    manager = PluginManager()
    infos = manager.load_entrypoints()
    names = [i.name for i in infos]
    assert names == sorted(names)  # name order, whatever else is installed
    assert [n for n in names if n in TEST_PLUGINS] == ["broken", "dependent", "hello"]
    broken = manager.infos["broken"]
    assert broken.status == "failed"
    assert broken.error == "ImportError: No module named 'a_dependency_that_is_not_installed'"
    assert [n for n in manager.loaded if n in TEST_PLUGINS] == ["dependent", "hello"]
    hello = manager.infos["hello"]
    assert (hello.version, hello.hooks) == ("0.1.0", ["health", "register_cogs", "register_migrations", "register_settings"])
    assert hello.description == "A minimal Alphapy plugin the core's tests load: one table, one setting."
    owners = [s.owner for s in manager.migration_sources()]
    assert owners[0] == "core" and [o for o in owners if o in TEST_PLUGINS] == ["dependent", "hello"]


def test_alphapy_plugins_limits_loading(install_test_plugins) -> None:
    install_test_plugins("hello", "broken", "dependent")
    manager = PluginManager()
    manager.load_entrypoints(["hello", "nonexistent"])
    assert manager.loaded == ["hello"]
    assert manager.infos["nonexistent"].status == "missing"
    assert "broken" not in manager.infos  # not even imported

    nothing = PluginManager()
    assert nothing.load_entrypoints([]) == []


def test_alphapy_plugins_from_the_environment(install_test_plugins, monkeypatch) -> None:
    install_test_plugins("hello", "dependent")
    from alphapy.config import load_config
    from alphapy.runtime import prepare

    monkeypatch.setenv("ALPHAPY_PLUGINS", "dependent")
    runtime = prepare(load_config(_env_file=None), configure_logs=False)
    assert runtime.plugins.loaded == ["dependent"]
    monkeypatch.setenv("ALPHAPY_PLUGINS", "")
    runtime = prepare(load_config(_env_file=None), configure_logs=False)
    assert runtime.plugins.loaded == []
    monkeypatch.delenv("ALPHAPY_PLUGINS")
    runtime = prepare(load_config(_env_file=None), configure_logs=False)
    assert {"dependent", "hello"} <= set(runtime.plugins.loaded)  # unset: everything installed


def _plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))  # type: ignore[arg-type]
    return module


async def test_async_hooks_are_awaited_and_isolated() -> None:
    async def healthy(bot):
        return {"status": "ok", "bot": bot}

    def failing():
        raise RuntimeError("database on fire")

    async def slow():
        await asyncio.sleep(5)

    def plain():
        return {"status": "degraded"}

    manager = PluginManager()
    manager.register(_plugin("a", health=healthy), "a")
    manager.register(_plugin("b", health=failing), "b")
    manager.register(_plugin("c", health=slow), "c")
    manager.register(_plugin("d", health=plain), "d")
    results = await manager.call_async("health", timeout=0.2, bot="the bot")
    by_plugin = {r.plugin: r for r in results}
    assert by_plugin["a"].value == {"status": "ok", "bot": "the bot"}
    assert str(by_plugin["b"].error) == "database on fire"
    assert isinstance(by_plugin["c"].error, TimeoutError)
    assert by_plugin["d"].value == {"status": "degraded"}
    assert [r.plugin for r in results] == ["a", "b", "c", "d"]


async def test_an_async_hook_runs_in_the_callers_task_without_a_task_of_its_own() -> None:
    """A premium check runs on every gated command: wrapping each answer in a task of its
    own (``asyncio.wait_for`` on Python 3.11) cost ten times the answer itself."""
    seen: list[asyncio.Task[object] | None] = []

    async def premium_status(user_id, guild_id):
        seen.append(asyncio.current_task())
        return {"active": True}

    manager = PluginManager()
    manager.register(_plugin("premium", premium_status=premium_status), "premium")
    assert await manager.call_first("premium_status", user_id=1, guild_id=2) == {"active": True}
    await manager.call_async("premium_status", user_id=1, guild_id=2, concurrent=False)
    assert seen == [asyncio.current_task()] * 2


async def test_a_plugins_own_timeout_error_is_reported_as_itself_not_as_ours() -> None:
    async def premium_status(user_id, guild_id):
        raise TimeoutError("the billing service did not answer")

    manager = PluginManager()
    manager.register(_plugin("premium", premium_status=premium_status), "premium")
    [result] = await manager.call_async("premium_status", user_id=1, guild_id=2, timeout=30)
    assert str(result.error) == "the billing service did not answer"


async def test_events_a_plugin_logs_inside_its_hook_name_the_plugin() -> None:
    import io

    from alphapy.log import configure_logging, get_logger

    async def health(bot):
        get_logger("a plugin").warning("plugin.checked")
        return {"status": "ok"}

    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        manager = PluginManager()
        manager.register(_plugin("reminders", health=health), "reminders")
        await manager.call_async("health", bot=None)
        get_logger("after").warning("outside.hook")
    finally:
        configure_logging("info", "json")
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (inside["event"], inside["plugin"]) == ("plugin.checked", "reminders")
    assert "plugin" not in outside


async def test_a_short_time_limit_fires_while_a_longer_one_is_in_flight() -> None:
    """All calls share one timer: a later call with an earlier deadline must re-arm it."""
    never = asyncio.Event()

    async def health(bot):
        await never.wait()

    manager = PluginManager()
    manager.register(_plugin("stuck", health=health), "stuck")
    long_call = asyncio.create_task(manager.call_async("health", timeout=60, bot=None))
    await asyncio.sleep(0)
    [short] = await asyncio.wait_for(manager.call_async("health", timeout=0.1, bot=None), 10)
    assert isinstance(short.error, TimeoutError) and "took longer than 0.1 s" in str(short.error)
    assert not long_call.done()
    long_call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await long_call


async def test_cancelling_the_caller_stays_a_cancellation_not_a_timeout() -> None:
    started = asyncio.Event()

    async def premium_status(user_id, guild_id):
        started.set()
        await asyncio.Event().wait()

    manager = PluginManager()
    manager.register(_plugin("premium", premium_status=premium_status), "premium")
    caller = asyncio.create_task(manager.call_first("premium_status", user_id=1, guild_id=2, timeout=60))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    # the caller's next hook call is not hit by a cancellation left behind
    async def answer(user_id, guild_id):
        return "yes"

    manager.register(_plugin("a", premium_status=answer), "a")
    assert await manager.call_first("premium_status", user_id=1, guild_id=2, timeout=60) == "yes"


async def test_plugins_registered_after_a_call_are_called_next_time() -> None:
    async def first(user_id, guild_id):
        return None

    async def second(user_id, guild_id):
        return "second"

    manager = PluginManager()
    manager.register(_plugin("a", premium_status=first), "a")
    assert await manager.call_first("premium_status", user_id=1, guild_id=2) is None
    manager.register(_plugin("b", premium_status=second), "b")
    assert await manager.call_first("premium_status", user_id=1, guild_id=2) == "second"
    manager.mark_failed("b", "its answer was not a PremiumStatus")
    assert await manager.call_first("premium_status", user_id=1, guild_id=2) is None


async def test_first_non_none_answer_wins() -> None:
    async def no_opinion(user_id, guild_id):
        return None

    async def broken(user_id, guild_id):
        raise ValueError("billing down")

    async def answer(user_id, guild_id):
        return {"active": True, "user": user_id, "guild": guild_id}

    manager = PluginManager()
    manager.register(_plugin("a", premium_status=no_opinion), "a")
    manager.register(_plugin("b", premium_status=broken), "b")
    manager.register(_plugin("c", premium_status=answer), "c")
    assert await manager.call_first("premium_status", user_id=1, guild_id=2) == {"active": True, "user": 1, "guild": 2}
    empty = PluginManager()
    assert await empty.call_first("premium_status", user_id=1, guild_id=2) is None


async def test_provided_arguments_reach_the_implementations_that_name_them() -> None:
    async def with_bot(user_id, guild_id, bot):
        return (user_id, guild_id, bot)

    async def without_bot(user_id):
        return user_id

    manager = PluginManager()
    manager.register(_plugin("premium", premium_status=with_bot), "premium")
    manager.register(_plugin("other", premium_status=without_bot), "other")
    manager.provide(bot="the bot")
    fired = await manager.call_async("premium_status", user_id=7, guild_id=8)
    assert [r.value for r in fired] == [7, (7, 8, "the bot")]
    explicit = await manager.call_async("premium_status", user_id=7, guild_id=8, bot="another bot")
    assert explicit[1].value == (7, 8, "another bot")  # the caller's argument wins


def test_a_hook_with_a_wrong_signature_fails_registration() -> None:
    def health(bot, unexpected_argument):
        return None

    manager = PluginManager()
    info = manager.register(_plugin("bad", health=health), "bad")
    assert info.status == "failed"
    assert "unexpected_argument" in (info.error or "")


def test_plugins_command_lists_versions_hooks_migrations_and_errors(install_test_plugins, migrated_database_url) -> None:
    pythonpath = install_test_plugins("hello", "broken")
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "PYTHONPATH": pythonpath}
    env.pop("ALPHAPY_PLUGINS", None)
    done = subprocess.run([sys.executable, "-m", "alphapy", "plugins", "--json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1  # a plugin failed to load
    report = json.loads(done.stdout)
    plugins = {p["name"]: p for p in report["plugins"]}
    assert plugins["broken"]["status"] == "failed"
    assert plugins["broken"]["error"].startswith("ImportError")
    assert plugins["hello"]["migrations"] == "0 applied, 1 pending"
    assert plugins["hello"]["hooks"] == ["health", "register_cogs", "register_migrations", "register_settings"]
    assert report["core_migrations"] == f"{len(CORE_MIGRATIONS)} applied"

    table = subprocess.run([sys.executable, "-m", "alphapy", "plugins"], env=env,
                           capture_output=True, text=True, timeout=60)
    assert re.search(r"^hello\s+0\.1\.0\s+loaded\s+0 applied, 1 pending", table.stdout, re.MULTILINE)
    assert "! broken: ImportError" in table.stdout


HELLO_CLASH = ("two installed packages register the plugin name 'hello': "
               "alphapy-hello 0.1.0, alphapy-hello-fork 2.0.0")


def test_a_name_two_packages_register_is_refused_for_both(install_test_plugins) -> None:
    install_test_plugins("hello", "hello_fork", "dependent")
    manager = PluginManager()
    manager.load_entrypoints()
    hello = manager.infos["hello"]
    assert (hello.status, hello.error) == ("failed", HELLO_CLASH)
    assert "hello" not in manager.loaded and "dependent" in manager.loaded
    assert manager.pm.get_plugin("hello") is None
    assert not [m for m in sys.modules if m.startswith(("alphapy_hello.", "alphapy_hello_fork."))]


def test_plugins_command_shows_a_name_clash(install_test_plugins) -> None:
    pythonpath = install_test_plugins("hello", "hello_fork")
    env = {**os.environ, "PYTHONPATH": pythonpath, "ALPHAPY_PLUGINS": "hello"}
    done = subprocess.run([sys.executable, "-m", "alphapy", "plugins", "--offline"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert re.search(r"^hello\s+\S+\s+failed", done.stdout, re.MULTILINE)
    assert f"! hello: {HELLO_CLASH}" in done.stdout


TWICE_REASON = "ValueError: setting twice.limit is declared twice"


def test_the_command_line_and_the_bot_agree_on_every_plugin_state(install_test_plugins, monkeypatch) -> None:
    from alphapy.config import load_config
    from alphapy.runtime import prepare

    pythonpath = install_test_plugins("hello", "twice", "broken")
    env = {**os.environ, "PYTHONPATH": pythonpath, "ALPHAPY_PLUGINS": "hello,twice,broken"}
    done = subprocess.run([sys.executable, "-m", "alphapy", "plugins", "--json", "--offline"], env=env,
                          capture_output=True, text=True, timeout=60)
    command_line = {p["name"]: (p["status"], p["error"]) for p in json.loads(done.stdout)["plugins"]}

    monkeypatch.setenv("ALPHAPY_PLUGINS", "hello,twice,broken")
    runtime = prepare(load_config(_env_file=None), configure_logs=False)  # what `alphapy run` starts from
    bot = {name: (info.status, info.error) for name, info in runtime.plugins.infos.items()}

    assert command_line == bot
    assert bot["twice"] == ("failed", TWICE_REASON)
    assert runtime.plugins.pm.get_plugin("twice") is None  # no hook of it is ever called
    assert ("plugins", "twice") not in runtime.registry  # nor can a server switch it on


def test_registration_hooks_that_raise_or_do_not_exist_fail_the_plugin_at_start_up() -> None:
    from alphapy.config import load_config
    from alphapy.runtime import prepare

    def broken_cli(commands):
        raise RuntimeError("argparse exploded")

    def broken_migrations():
        raise OSError("no migrations folder")

    def greet():
        return {"status": "ok"}

    def answer_another_plugin():
        return None

    optional = types.ModuleType("optional")
    optional.other_plugins_hook = hookimpl(optionalhook=True)(answer_another_plugin)  # type: ignore[attr-defined]
    plugins = [
        ("cli", _plugin("cli", register_cli=broken_cli)),
        ("migrations", _plugin("migrations", register_migrations=broken_migrations)),
        ("typo", _plugin("typo", helth=greet)),
        ("fine", _plugin("fine", health=greet)),
        ("optional", optional),
    ]
    runtime = prepare(load_config(_env_file=None), plugins=plugins, configure_logs=False)
    errors = {name: info.error for name, info in runtime.plugins.infos.items() if info.status == "failed"}
    assert errors == {
        "cli": "RuntimeError: argparse exploded",
        "migrations": "OSError: no migrations folder",
        "typo": "it implements hooks that do not exist: helth",
    }
    assert runtime.plugins.loaded == ["fine", "optional"]
    assert [s.owner for s in runtime.plugins.migration_sources()] == ["core"]


class TestAPluginRegisteredDirectly:
    """Tests register plugin modules without their entry point: ``/plugins list`` still shows
    what the package says of itself (its summary and version), as it does for a host."""

    @pytest.fixture
    def alphapy_plugins(self) -> list[tuple[str, object]]:
        from alphapy_faq import plugin

        return [("faq", plugin)]

    @staticmethod
    def package() -> tuple[str, str]:
        from importlib.metadata import distribution

        dist = distribution("alphapy-faq")
        return dist.version, dist.metadata["Summary"]

    def test_its_info_comes_from_the_package(self, plugin_manager) -> None:
        info = plugin_manager.infos["faq"]
        assert (info.version, info.description) == self.package()

    async def test_plugins_list_shows_the_package_description_and_version(self, bot, emulator, host) -> None:
        version, summary = self.package()
        listing = await emulator.slash(host, "plugins list")
        assert f"🟢 **faq** {version} — {summary}" in listing.embed["description"].splitlines()


def test_a_plugin_built_in_memory_is_described_by_its_docstring() -> None:
    module = _plugin("memory", health=lambda: None)
    module.__doc__ = "A plugin a test builds in memory.\n\nMore."
    info = PluginManager().register(module, "memory")
    assert (info.version, info.description) == (None, "A plugin a test builds in memory.")
