"""The role rules on the command line: the operator may choose any role, and is told what it can do.

The command line has no gateway, so it asks Discord's REST API (with ``DISCORD_TOKEN``,
at ``DISCORD_API_BASE``) for the server's roles and the bot's member, then judges the
value with :func:`alphapy.authority.judge` as the operator (:data:`~alphapy.authority.OPERATOR`).
Without a token, or when Discord cannot be reached, the change is still made and the
operator is told that nothing was checked.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from alphapy.settings import SettingsService


class RoleNotes:
    """The role check the settings service calls; it keeps the notes for the operator."""

    def __init__(self, client: Any, why_unchecked: str | None) -> None:
        self.client = client
        self.why_unchecked = why_unchecked
        self.notes: list[str] = []

    async def __call__(self, guild_id: int, uses: list[tuple[int, str]], actor: Any) -> tuple[str | None, list[str]]:
        import aiohttp
        import discord

        from alphapy import authority

        if self.client is None:
            return self._unchecked(self.why_unchecked or "there is no connection to Discord")
        try:
            guild = await self.client.fetch_guild(guild_id)
            me = await guild.fetch_member(self.client.user.id)
        except discord.HTTPException as exc:
            return self._unchecked(f"Discord did not show me server {guild_id} ({exc.status})")
        except (aiohttp.ClientError, OSError) as exc:
            return self._unchecked(f"I could not reach Discord ({exc})")
        refusal, notes = authority.judge(guild, uses, actor, bot_member=me)
        self.notes.extend(notes)
        return refusal, notes

    def _unchecked(self, why: str) -> tuple[None, list[str]]:
        note = f"note: {why}, so what the role can do was not checked."
        self.notes.append(note)
        return None, [note]

    def print(self) -> None:
        for note in dict.fromkeys(self.notes):
            print(note, file=sys.stderr)


@asynccontextmanager
async def operator_role_check(settings: SettingsService, config: Any) -> AsyncIterator[RoleNotes]:
    """Install the operator's role check on ``settings`` for one command."""
    if config.discord_token is None:
        check = RoleNotes(None, "DISCORD_TOKEN is not set")
        settings.role_check = check
        yield check
        return
    import aiohttp
    import discord

    from alphapy.discord_endpoints import configure_endpoints

    configure_endpoints(config.discord_api_base, config.discord_gateway_url)
    client = discord.Client(intents=discord.Intents(guilds=True))  # REST only: no gateway is opened
    try:
        try:
            await client.login(config.discord_token.get_secret_value())
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            check = RoleNotes(None, f"I could not log in to Discord ({exc})")
        else:
            check = RoleNotes(client, None)
        settings.role_check = check
        yield check
    finally:
        await client.close()
