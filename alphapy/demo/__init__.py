"""``alphapy demo``: the whole framework, offline, in one command.

An embedded PostgreSQL in a temporary folder, the Discord emulator, a fake AI server
(all on loopback), the bot with every installed plugin, and a scripted tour that a
guild host and a member take through the core and each plugin's chapter
(``register_demo``). The conversation is printed as a transcript; the exit code is 0
when every check passed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from alphapy.demo.core import core_chapter
from alphapy.demo.tour import Steps, Tour, TourContext, run_tour

if TYPE_CHECKING:
    from alphapy.plugins import PluginManager

__all__ = ["Tour", "TourContext", "build_demo_guild", "run_demo"]


def build_demo_guild(emulator: object) -> object:
    """The demo server: an owner, a host with Manage Server and Manage Roles (so the roles they
    choose for the bot to give are ones they could give themselves), a member, a few channels."""
    guild = emulator.add_guild(  # type: ignore[attr-defined]
        "Alphapy Demo", owner_name="owner", text_channels=("general", "announcements", "staff-room", "welcome"),
    )
    staff = guild.add_role("Staff", permissions=["manage_messages"])
    guild.add_member("host", roles=[staff], permissions=["manage_guild", "manage_roles"])
    guild.add_member("member")
    return guild


def collect_tour(plugins: PluginManager) -> Tour:
    """The core's chapter, then each plugin's in name order.

    A plugin whose ``register_demo`` raises gets a chapter that fails with that error:
    the other chapters still run, and the demo's exit code tells.
    """
    tour = Tour()
    tour.chapter("Core: settings, plugins and permissions", core_chapter)
    for result in plugins.call_each("register_demo", per_plugin=lambda name: {"tour": tour.for_plugin(name)}):
        if result.error is not None:
            tour.for_plugin(result.plugin).chapter(f"{result.plugin}: the chapter could not be added",
                                                   _raising(result.error))
    return tour


def _raising(error: BaseException) -> Steps:
    async def steps(_t: TourContext) -> None:
        raise error

    return steps


async def run_demo(out: TextIO = sys.stdout) -> int:
    from alphapy.config import load_config
    from alphapy.runner import BotRunner
    from alphapy.runtime import prepare
    from alphapy.testing.emulator import DiscordEmulator
    from alphapy.testing.fake_ai import FakeAI

    with tempfile.TemporaryDirectory(prefix="alphapy-demo-") as folder:
        async with FakeAI() as fake_ai:
            config = load_config(
                _env_file=None, database_url=None, alphapy_data_dir=Path(folder), discord_token=None,
                health_port=0, log_level="warning", **fake_ai.config_overrides(),
            )
            runtime = prepare(config)
            emulator = DiscordEmulator()
            await emulator.start()
            guild = build_demo_guild(emulator)
            out.write("Alphapy demo: embedded PostgreSQL, the Discord emulator and a fake AI server, all on "
                      f"loopback.\nPlugins: {', '.join(runtime.plugins.loaded) or 'none'}\n")
            for name, info in sorted(runtime.plugins.infos.items()):
                if info.status != "loaded":
                    out.write(f"  ! plugin {name} did not load: {info.error}\n")
            runner = BotRunner(runtime, emulator=emulator, health=False, guild_ready_timeout=0.1)
            try:
                bot = await runner.start()
                await emulator.settle()
                context = TourContext(emulator, guild, bot, out, fake_ai)
                ok = await run_tour(collect_tour(runtime.plugins), context)
                load_errors = [n for n, i in runtime.plugins.infos.items() if i.status != "loaded"]
                return 0 if ok and not load_errors else 1
            finally:
                await runner.stop()
                await emulator.stop()
                runtime.close()


def main() -> int:
    return asyncio.run(run_demo())
