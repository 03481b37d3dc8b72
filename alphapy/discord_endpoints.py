"""Where discord.py sends REST calls and opens its gateway.

discord.py keeps both as class attributes; pointing them elsewhere lets a REST proxy
that shares rate limits across processes, or our own Discord emulator on loopback,
stand in for discord.com (``DISCORD_API_BASE`` and ``DISCORD_GATEWAY_URL``).
"""

from __future__ import annotations


def configure_endpoints(api_base: str, gateway_url: str) -> None:
    """Point discord.py's REST base (``Route.BASE``) and default gateway at these URLs.

    Process-wide: every client in this process uses them.
    """
    import discord.gateway
    import discord.http
    import yarl

    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
