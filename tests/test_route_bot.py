"""A plugin's web route reaches the running bot with ``bot_of(request)``.

The core's web server starts before the bot, so ``register_routes`` cannot be handed the
bot; per-plugin state lives on the plugin's cog, and a route handler finds it the way a
component handler does, from the bot of the request.
"""

from __future__ import annotations

import types
from typing import Any

import aiohttp
from aiohttp import web

from alphapy import bot_of, hookimpl
from alphapy.config import load_config
from alphapy.plugins import PluginManager
from alphapy.services import Services
from alphapy.testing import DiscordEmulator, Guild, running_alphapy

PATH = "/api/whoami/bot"


def plugin_asking_for_the_bot() -> types.ModuleType:
    module = types.ModuleType("whoami_plugin")

    def register_routes(app: web.Application) -> None:
        async def whoami(request: web.Request) -> web.Response:
            bot = bot_of(request)
            user = bot.user if bot is not None else None
            return web.json_response({"bot": str(user.id) if user is not None else None})

        app.router.add_get(PATH, whoami)

    module.register_routes = hookimpl(register_routes)  # type: ignore[attr-defined]
    return module


async def ask(base_url: str) -> Any:
    async with aiohttp.ClientSession() as session, session.get(base_url + PATH) as response:
        assert response.status == 200
        return await response.json()


async def test_a_route_gets_the_running_bot(emulator: DiscordEmulator, guild: Guild,
                                           migrated_database_url: str) -> None:
    async with running_alphapy(emulator, migrated_database_url, plugins=[("whoami", plugin_asking_for_the_bot())],
                               health=True) as runner:
        assert runner.services is not None and runner.services.health is not None
        assert runner.bot is not None and runner.bot.user is not None
        assert await ask(runner.services.health.url) == {"bot": str(runner.bot.user.id)}


async def test_without_a_bot_a_route_gets_none(migrated_database_url: str) -> None:
    manager = PluginManager()
    manager.register(plugin_asking_for_the_bot(), "whoami")
    config = load_config(_env_file=None, database_url=migrated_database_url, health_port=0)
    services = Services(config, manager, migrated_database_url)
    await services.start()
    try:
        assert services.health is not None
        assert await ask(services.health.url) == {"bot": None}
    finally:
        await services.stop()
