"""Running the dashboard on ``DASHBOARD_HOST:DASHBOARD_PORT`` beside (or without) the bot.

Built from the process's config and services; offline the emulator stands in for Discord,
so its OAuth2 client id and secret and its bot token are wired in automatically.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by the functions that build the dashboard: a bot without one never does
    from aiohttp import web

    from alphapy.config import Config
    from alphapy.dashboard.app import DashboardOptions

NOT_CONFIGURED = ("The dashboard needs DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET (your application's "
                  "OAuth2 credentials); it is not started.")


class DashboardNotConfigured(Exception):
    """OAuth2 credentials are missing; the message tells the host which variables to set."""


def options_from(config: Config, services: Any, *, emulator: Any = None) -> DashboardOptions:
    """The dashboard's options for this process (the emulator's credentials when offline)."""
    if emulator is None and (config.discord_client_id is None or config.discord_client_secret is None):
        raise DashboardNotConfigured(NOT_CONFIGURED)  # before any import of the dashboard itself
    from alphapy.dashboard.app import DashboardOptions
    from alphapy.dashboard.discord_api import DiscordAPI
    from alphapy.dashboard.overview import stale_after
    from alphapy.dashboard.session_secret import session_key

    if emulator is not None:
        api = DiscordAPI(emulator.api_base, emulator.oauth2.client_id, emulator.oauth2.client_secret, emulator.token)
    else:
        if config.discord_client_id is None or config.discord_client_secret is None:
            raise DashboardNotConfigured(NOT_CONFIGURED)
        token = config.discord_token.get_secret_value() if config.discord_token else None
        api = DiscordAPI(config.discord_api_base, config.discord_client_id,
                         config.discord_client_secret.get_secret_value(), token)
    secret = config.dashboard_session_secret.get_secret_value() if config.dashboard_session_secret else None
    return DashboardOptions(api=api, settings=services.settings, plugins=services.plugins,
                            public_url="", session_key=session_key(secret, config.data_dir), db=services.db,
                            bot_source=lambda: getattr(services, "bot", None),
                            health_stale_after=stale_after(config.health_record_interval))


class DashboardServer:
    """The dashboard's listening socket; ``url`` once started."""

    def __init__(self, config: Config, options: DashboardOptions) -> None:
        self.config = config
        self.options = options
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        from aiohttp import web

        from alphapy.dashboard.app import create_app

        config = self.config
        self.options.public_url = (config.dashboard_public_url or "").rstrip("/")
        runner = web.AppRunner(create_app(self.options), access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, config.dashboard_host, config.dashboard_port)
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1] if runner.addresses else config.dashboard_port
        self.url = (config.dashboard_public_url or f"http://{config.dashboard_host}:{port}").rstrip("/")
        self.options.public_url = self.url
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def start_beside_bot(config: Config, services: Any, *, emulator: Any = None) -> tuple[DashboardServer | None, str]:
    """``alphapy run``'s dashboard: started when Discord's OAuth2 is at hand (always offline);
    the sentence to print either way."""
    try:
        options = options_from(config, services, emulator=emulator)
    except DashboardNotConfigured as exc:
        return None, str(exc)
    server = DashboardServer(config, options)
    url = await server.start()
    if emulator is not None:
        return server, f"Dashboard at {url}/ (log in as any emulated person on the emulator's consent page)."
    return server, f"Dashboard at {url}/."
