"""The few Discord REST calls the dashboard makes: OAuth2, the guild lists, and (with the
bot's token) a guild's roles, channels and members.

Pointed at ``DISCORD_API_BASE``, so offline it talks to the emulator exactly as it talks
to Discord online.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

SCOPES = "identify guilds"


class DiscordAPIError(Exception):
    """Discord refused or could not be reached; the message is for the log, not the page."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class MyGuild:
    """One entry of ``/users/@me/guilds``: what the user may do there."""

    id: int
    name: str
    owner: bool
    permissions: int


class DiscordAPI:
    """OAuth2 code exchange and the user's and bot's guild lists."""

    def __init__(self, api_base: str, client_id: int, client_secret: str, bot_token: str | None) -> None:
        self.api_base = api_base.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._bot_token = bot_token
        self._http: aiohttp.ClientSession | None = None
        self._bot_id: int | None = None

    @property
    def authorize_base(self) -> str:
        """Discord serves the consent page on its site, beside ``/api``."""
        site = self.api_base.split("/api", 1)[0]
        return site + "/oauth2/authorize"

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = {"client_id": str(self.client_id), "redirect_uri": redirect_uri, "response_type": "code",
                 "scope": SCOPES, "state": state, "prompt": "none"}
        return self.authorize_base + "?" + urlencode(query)

    def http(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def exchange_code(self, code: str, redirect_uri: str) -> str:
        """The access token for ``code``."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "client_id": str(self.client_id), "client_secret": self._client_secret}
        data = await self._call("POST", "/oauth2/token", data=form)
        return str(data["access_token"])

    async def revoke(self, token: str) -> None:
        form = {"token": token, "client_id": str(self.client_id), "client_secret": self._client_secret}
        await self._call("POST", "/oauth2/token/revoke", data=form)

    async def me(self, token: str) -> dict[str, Any]:
        return await self._call("GET", "/users/@me", auth=f"Bearer {token}")

    async def my_guilds(self, token: str) -> list[MyGuild]:
        return self._guilds(await self._call("GET", "/users/@me/guilds", auth=f"Bearer {token}"))

    async def bot_guild_ids(self) -> set[int]:
        """Where the bot is a member (first 200; enough for the hosts' own servers to show)."""
        if not self._bot_token:
            return set()
        data = await self._call("GET", "/users/@me/guilds", auth=f"Bot {self._bot_token}")
        return {guild.id for guild in self._guilds(data)}

    async def bot_user_id(self) -> int:
        """The bot's own user id (asked once; it never changes)."""
        if self._bot_id is None:
            self._bot_id = int((await self._bot_call("/users/@me"))["id"])
        return self._bot_id

    async def guild(self, guild_id: int) -> dict[str, Any]:
        """The guild object with its roles and owner id, read with the bot's token."""
        data = await self._bot_call(f"/guilds/{int(guild_id)}")
        return dict(data)

    async def guild_channels(self, guild_id: int) -> list[dict[str, Any]]:
        return list(await self._bot_call(f"/guilds/{int(guild_id)}/channels"))

    async def member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """One member of the guild (their role ids), read with the bot's token."""
        return dict(await self._bot_call(f"/guilds/{int(guild_id)}/members/{int(user_id)}"))

    async def _bot_call(self, path: str) -> Any:
        if not self._bot_token:
            raise DiscordAPIError(f"GET {path} needs the bot's token")
        return await self._call("GET", path, auth=f"Bot {self._bot_token}")

    @staticmethod
    def _guilds(data: Any) -> list[MyGuild]:
        return [MyGuild(int(g["id"]), str(g["name"]), bool(g.get("owner")), int(g.get("permissions") or 0))
                for g in data or []]

    async def _call(self, method: str, path: str, *, auth: str | None = None,
                    data: dict[str, str] | None = None) -> Any:
        headers = {"Authorization": auth} if auth else {}
        try:
            async with self.http().request(method, self.api_base + path, headers=headers, data=data) as resp:
                if resp.status >= 400:
                    raise DiscordAPIError(f"{method} {path} answered {resp.status}", resp.status)
                return await resp.json(content_type=None)
        except aiohttp.ClientError as exc:
            raise DiscordAPIError(f"{method} {path} failed: {exc}") from exc

    async def member_role_ids(self, guild_id: int, user_id: int) -> set[int] | None:
        """The user's roles in a server, asked with the bot token (the login's scopes do not
        reach roles); None when they are not a member there."""
        if not self._bot_token:
            return None
        try:
            data = await self._call("GET", f"/guilds/{guild_id}/members/{user_id}", auth=f"Bot {self._bot_token}")
        except DiscordAPIError as exc:
            if exc.status == 404:
                return None
            raise
        return {int(role) for role in data.get("roles") or []}
