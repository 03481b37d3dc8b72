"""``alphapy run`` (the bot) and ``alphapy demo`` (the offline tour)."""

from __future__ import annotations

import argparse
from typing import Any

from alphapy.cli import EXIT_OK


def add_parser(commands: Any) -> None:
    run = commands.add_parser(
        "run", help="run the bot (Discord with DISCORD_TOKEN, else the built-in emulator)",
        description="Apply migrations, start the services and the health server, and connect the bot: "
        "to Discord when DISCORD_TOKEN is set, otherwise to the built-in Discord emulator on loopback "
        "with a demo server. Stops cleanly on Ctrl-C or SIGTERM.",
    )
    run.set_defaults(handler=run_command)
    demo = commands.add_parser(
        "demo", help="a scripted tour of the bot and every plugin, offline (exit 0 when all is well)",
        description="Run the bot with every installed plugin against an embedded database, the Discord "
        "emulator and a fake AI server, take a scripted tour as a host and a member would, and print it.",
    )
    demo.set_defaults(handler=demo_command)


def demo_command(_args: argparse.Namespace) -> int:
    from alphapy.demo import main

    return main()


def run_command(_args: argparse.Namespace) -> int:
    import asyncio  # here, not at the top: `alphapy --help` imports every command module

    return asyncio.run(_serve())


async def _serve() -> int:
    import asyncio
    import contextlib
    import signal

    from alphapy.log import get_logger
    from alphapy.runner import BotRunner
    from alphapy.runtime import prepare

    runtime = prepare()
    log = get_logger("alphapy.run")
    emulator = None
    try:
        if runtime.config.discord_token is None:
            from alphapy.demo import build_demo_guild
            from alphapy.testing.emulator import DiscordEmulator

            emulator = DiscordEmulator()
            await emulator.start()
            build_demo_guild(emulator)
            print(f"No DISCORD_TOKEN: running against the built-in Discord emulator at {emulator.base_url} "
                  "with the demo server \"Alphapy Demo\".", flush=True)
        runner = BotRunner(runtime, emulator=emulator)
        dashboard = None
        playground = None
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            # SHARD_IDS=auto may wait for a free shard: a stop signal must end that wait too.
            starting = asyncio.create_task(runner.start())
            stopping = asyncio.create_task(stop.wait())
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not starting.done():
                starting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await starting
                print("Alphapy stopped before it was given a shard.", flush=True)
                return EXIT_OK
            bot = starting.result()
            if emulator is not None:  # never beside a real DISCORD_TOKEN: it lets anyone act as anyone
                playground = await _start_playground(emulator, runtime.config.playground_port)
                if playground is not None and runner.services is not None:
                    playground.follow_bot(runner.services.scheduler)
            from alphapy.dashboard.server import start_beside_bot

            dashboard, dashboard_note = await start_beside_bot(runtime.config, runner.services, emulator=emulator)
            print(dashboard_note, flush=True)
            health = runner.services.health if runner.services else None
            log.info("bot.running", user=str(bot.user), guilds=len(bot.guilds), plugins=runtime.plugins.loaded,
                     health=health.url if health else None)
            print(f"Alphapy is running as {bot.user} in {len(bot.guilds)} server(s); plugins: "
                  f"{', '.join(runtime.plugins.loaded) or 'none'}"
                  f"{f'; health at {health.url}/api/health' if health else ''}. Ctrl-C stops it.", flush=True)
            closed = asyncio.create_task(runner.wait_closed())
            await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
            for task in (closed, stopping):
                task.cancel()
        finally:
            if playground is not None:
                await playground.stop()
            if dashboard is not None:
                await dashboard.stop()
            await runner.stop()
        print("Alphapy stopped.", flush=True)
        return EXIT_OK
    except Exception as exc:
        from alphapy.cli import fail
        from alphapy.db.pool import DatabaseUnavailable

        # OSError: Discord (DISCORD_API_BASE) unreachable, the health port taken, ...
        if isinstance(exc, (DatabaseUnavailable, RuntimeError, OSError)):
            return fail(str(exc))
        raise
    finally:
        if emulator is not None:
            await emulator.stop()
        runtime.close()


async def _start_playground(emulator: Any, port: int) -> Any:
    """The playground on ``PLAYGROUND_PORT``, its URL printed; a taken port is said, not fatal."""
    from alphapy.testing.emulator.playground import Playground

    playground = Playground(emulator, port=port)
    try:
        url = await playground.start()
    except OSError as exc:
        print(f"The playground could not listen on 127.0.0.1:{port} ({exc.strerror or exc}); "
              "set PLAYGROUND_PORT to a free port (0: any).", flush=True)
        return None
    print(f"Playground at {url}/ (use the bot in your browser as any member of the demo server).", flush=True)
    return playground
