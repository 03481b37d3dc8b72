"""Heavy dependencies are imported when first used, not at start (issue 20).

Memory: a bot with every plugin should cost little more than bare discord.py with the
same guilds; openai, dateparser, Pillow, jinja2, psycopg, yoyo ... are megabytes each
that most processes never use at start. Each check runs in a fresh interpreter and
reads ``sys.modules``: what a process imported, not how long it took.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from alphapy.db.migrate import MigrationRunner
from alphapy.plugins import PluginManager

PLUGINS = ("faq", "onboarding", "premium", "reminders", "tickets", "verification")
HEAVY = ("openai", "dateparser", "PIL", "jsonschema", "aiohttp_jinja2", "jinja2", "psycopg", "yoyo",
         "email_validator", "prometheus_client")

BOT_START = textwrap.dedent("""
    import asyncio, importlib, json, sys
    from alphapy.testing.bot import running_alphapy
    from alphapy.testing.emulator import DiscordEmulator

    async def main(url, names, heavy):
        emulator = DiscordEmulator(openapi_spec=False)  # no request checks: jsonschema is the emulator's
        guild = emulator.add_guild("Lazy", members=5)
        await emulator.start()
        before = set(sys.modules)  # the emulator's own imports are not the bot's
        plugins = [(name, importlib.import_module(f"alphapy_{name}.plugin")) for name in names]
        try:
            async with running_alphapy(emulator, url, plugins=plugins) as runner:
                loaded = sorted(runner.runtime.plugins.loaded)
                cogs = sorted(runner.bot.cogs)
                new = set(sys.modules) - before
        finally:
            await emulator.stop()
        print(json.dumps({"loaded": loaded, "cogs": cogs,
                          "heavy": sorted(m for m in new if m.partition(".")[0] in heavy)}))

    asyncio.run(main(sys.argv[1], sys.argv[2].split(","), set(sys.argv[3].split(","))))
""")

MIGRATE = textwrap.dedent("""
    import json, runpy, sys
    from alphapy.plugins import PluginManager

    loads = 0
    load_entrypoints = PluginManager.load_entrypoints

    def counted(self, *args, **kwargs):
        global loads
        loads += 1
        return load_entrypoints(self, *args, **kwargs)

    PluginManager.load_entrypoints = counted
    sys.argv = ["alphapy", "migrate"]
    try:
        runpy.run_module("alphapy", run_name="__main__")
    except SystemExit as done:
        code = done.code
    heavy = set(%r)
    print(json.dumps({"code": code, "heavy": sorted(m for m in sys.modules if m.partition(".")[0] in heavy),
                      "plugin_loads": loads}))
""" % (list(HEAVY),))


def migrate_everything(url: str) -> None:
    manager = PluginManager()
    manager.load_entrypoints(PLUGINS, log_failures=False)
    MigrationRunner(url, manager.migration_sources()).apply()


def test_a_bot_with_every_plugin_starts_without_importing_heavy_dependencies(database_url: str) -> None:
    migrate_everything(database_url)  # a restart: nothing to apply
    done = subprocess.run([sys.executable, "-c", BOT_START, database_url, ",".join(PLUGINS), ",".join(HEAVY)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == list(PLUGINS)
    assert len(report["cogs"]) >= len(PLUGINS)  # every plugin's cogs are in, not only its module
    assert report["heavy"] == []


def test_migrate_with_nothing_to_apply_imports_neither_yoyo_nor_psycopg_nor_plugin_commands(database_url: str, tmp_path: Path) -> None:
    migrate_everything(database_url)
    env = {"DATABASE_URL": database_url, "ALPHAPY_PLUGINS": ",".join(PLUGINS), "LOG_LEVEL": "warning",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", MIGRATE], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    assert report["heavy"] == []
    assert report["plugin_loads"] == 1  # a core command: the plugins' own commands are not built first


def test_help_imports_neither_asyncio_nor_the_settings_service_nor_the_migrations(tmp_path: Path) -> None:
    """``alphapy --help`` builds every command's parser (plugins' too): nothing it needs
    runs an event loop, talks to a database or applies a migration."""
    script = textwrap.dedent("""
        import json, runpy, sys
        sys.argv = ["alphapy", "--help"]
        try:
            runpy.run_module("alphapy", run_name="__main__")
        except SystemExit:
            pass
        print(json.dumps(sorted(m for m in ("asyncio", "alphapy.settings.service", "alphapy.db.migrate", "yoyo",
                                            "asyncpg", "discord") if m in sys.modules)))
    """)
    done = subprocess.run([sys.executable, "-c", script], env={"ALPHAPY_PLUGINS": ",".join(PLUGINS),
                                                                 "PATH": "/usr/bin:/bin"},
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "commands:" in done.stdout, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_importing_alphapy_imports_pluggy_only_with_the_first_hook_marker() -> None:
    """``alphapy migrate`` with nothing to apply imports the package but never a hook."""
    script = textwrap.dedent("""
        import json, sys
        import alphapy
        before = "pluggy" in sys.modules
        from alphapy import hookimpl
        print(json.dumps([before, "pluggy" in sys.modules, type(hookimpl).__name__]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [False, True, "HookimplMarker"], done.stderr
