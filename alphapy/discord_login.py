"""Why the bot could not connect to Discord, told in one line.

A wrong token, a firewall or a DNS failure are operator mistakes, not bugs: ``alphapy
run`` must name the cause and exit non-zero instead of printing discord.py's or
aiohttp's traceback, which hides the one useful sentence at the bottom of a page.
"""

from __future__ import annotations

GATEWAY_AUTHENTICATION_FAILED = 4004  # the gateway's close code for a bad token


class DiscordUnavailable(RuntimeError):
    """Discord refused the bot or could not be reached; the message is one line for humans.

    A RuntimeError, which ``alphapy run`` already prints as one line and exit status 1.
    """


def explain_connect_failure(exc: BaseException, api_base: str) -> DiscordUnavailable | None:
    """The operator's sentence for a failed login or gateway connection; None for a bug."""
    import aiohttp
    import discord

    if isinstance(exc, discord.LoginFailure) or (
            isinstance(exc, discord.ConnectionClosed) and exc.code == GATEWAY_AUTHENTICATION_FAILED):
        return DiscordUnavailable(
            f"Discord refused DISCORD_TOKEN ({_refusal(exc, api_base)}): "
            "copy the bot token again from the Discord Developer Portal")
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return DiscordUnavailable(
            "Discord refused the privileged intents: enable Server Members and Message Content "
            "for the bot in the Discord Developer Portal")
    if isinstance(exc, discord.GatewayNotFound):
        return DiscordUnavailable(f"cannot reach Discord's gateway via {api_base}: {exc}")
    if isinstance(exc, discord.ConnectionClosed):
        return DiscordUnavailable(f"Discord closed the gateway connection (code {exc.code}): {exc.reason or exc}")
    if isinstance(exc, discord.HTTPException):
        return DiscordUnavailable(f"Discord answered {exc.status} at {api_base} while logging in: {exc.text or exc}")
    if isinstance(exc, (aiohttp.ClientError, OSError)):
        reason = str(exc) or type(exc).__name__
        return DiscordUnavailable(f"cannot reach Discord at {api_base}: {reason}")
    return None


def _refusal(exc: BaseException, api_base: str) -> str:
    if getattr(exc, "code", None) == GATEWAY_AUTHENTICATION_FAILED:
        return f"the gateway closed with code {GATEWAY_AUTHENTICATION_FAILED}"
    return f"401 Unauthorized from {api_base}"
