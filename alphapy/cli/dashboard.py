"""``alphapy dashboard``: the hosts' web dashboard alone, without the bot's gateway connection.

It needs the database and Discord's REST API only, so it can run (and scale) apart from the
bot. Offline there is no Discord to log in with: ``alphapy run`` starts the dashboard beside
the emulator instead.
"""

from __future__ import annotations

import argparse
from typing import Any

from alphapy.cli import EXIT_OK, fail

NEEDS_DISCORD = ("alphapy dashboard needs DISCORD_TOKEN, DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET; "
                 "offline, `alphapy run` starts the dashboard beside the built-in emulator.")


def add_parser(commands: Any) -> None:
    dashboard = commands.add_parser(
        "dashboard", help="run the hosts' web dashboard alone (database + Discord REST, no gateway)",
        description="Apply migrations, open the database and serve the dashboard on "
        "DASHBOARD_HOST:DASHBOARD_PORT until Ctrl-C or SIGTERM.",
    )
    dashboard.set_defaults(handler=dashboard_command)


def dashboard_command(_args: argparse.Namespace) -> int:
    from alphapy.config import load_config

    config = load_config()
    if config.discord_token is None or config.discord_client_id is None or config.discord_client_secret is None:
        return fail(NEEDS_DISCORD)
    import asyncio  # here, not at the top: `alphapy --help` imports every command module

    return asyncio.run(_serve(config))


async def _serve(config: Any) -> int:
    import asyncio
    import contextlib
    import signal

    from alphapy.dashboard.server import DashboardServer, options_from
    from alphapy.runtime import prepare
    from alphapy.services import Services

    runtime = prepare(config)
    try:
        url = await asyncio.to_thread(lambda: runtime.database_url)
        await asyncio.to_thread(runtime.migrate)
        services = Services(runtime.config, runtime.plugins, url, runtime.registry)
        await services.start(health=False)
        server = DashboardServer(runtime.config, options_from(runtime.config, services))
        try:
            print(f"Dashboard at {await server.start()}/. Ctrl-C stops it.", flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await server.stop()
            await services.stop()
        return EXIT_OK
    finally:
        runtime.close()
