"""A server's channels and roles, and where a web user stands in it, read from Discord's REST API.

The dashboard has no gateway cache, yet the settings page needs the server's real channels
and roles for its pickers, and the role rules (:mod:`alphapy.authority`) need the web
user's :class:`~alphapy.authority.Standing`, which they get from a ``discord.Member`` in a
slash command. Both come from REST with the bot's token. Pages reuse what was read for
:data:`CACHE_SECONDS`, so a page full of pickers costs one round of calls; a change reads
everything afresh, because a role moved a second ago must count.

When the dashboard runs without the bot in its process (``alphapy dashboard``), the
settings service has no gateway to check references and roles against;
:func:`install_rest_checks` gives it these REST answers instead, judged by the same rules.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alphapy import authority
from alphapy.authority import RoleFacts, Standing
from alphapy.dashboard.discord_api import DiscordAPI, DiscordAPIError
from alphapy.settings.service import SettingsError

CACHE_SECONDS = 30.0
MAX_GUILDS = 1000
CATEGORY = 4
THREAD_TYPES = frozenset({10, 11, 12})
DISCORD_DOWN = "Discord did not answer when I checked this server's channels and roles; please try again in a moment."


@dataclass(frozen=True, slots=True)
class ChannelChoice:
    """A channel as a picker shows it."""

    id: int
    name: str
    kind: int
    position: int

    @property
    def label(self) -> str:
        return f"{self.name} (category)" if self.kind == CATEGORY else f"#{self.name}"


@dataclass(frozen=True, slots=True)
class GuildSnapshot:
    """The server's roles (as the rules read them), channels and owner, at one moment."""

    guild_id: int
    owner_id: int
    roles: dict[int, RoleFacts]
    channels: dict[int, ChannelChoice]

    def role_choices(self) -> list[RoleFacts]:
        """Highest first, as Discord lists them; never @everyone (no setting may name it)."""
        return sorted((r for r in self.roles.values() if not r.is_everyone), key=lambda r: r.rank, reverse=True)

    def channel_choices(self) -> list[ChannelChoice]:
        return sorted(self.channels.values(), key=lambda c: (c.kind == CATEGORY, c.position, c.id))

    @classmethod
    def from_payloads(cls, guild: dict[str, Any], channels: list[dict[str, Any]]) -> GuildSnapshot:
        guild_id = int(guild["id"])
        roles = {int(r["id"]): RoleFacts.from_payload(r, guild_id) for r in guild.get("roles", [])}
        found = {int(c["id"]): ChannelChoice(int(c["id"]), str(c.get("name", "")), int(c.get("type", 0)),
                                             int(c.get("position", 0)))
                 for c in channels if int(c.get("type", 0)) not in THREAD_TYPES}
        return cls(guild_id, int(guild.get("owner_id") or 0), roles, found)


class GuildDirectory:
    """Snapshots of servers from REST, kept briefly; the web user's standing, always fresh."""

    def __init__(self, api: DiscordAPI, clock: Callable[[], float]) -> None:
        self.api = api
        self.clock = clock
        self._snapshots: OrderedDict[int, tuple[float, GuildSnapshot]] = OrderedDict()

    async def snapshot(self, guild_id: int, *, fresh: bool = False) -> GuildSnapshot:
        """The server's roles and channels; raises :class:`DiscordAPIError` when Discord does not answer."""
        now = self.clock()
        cached = self._snapshots.get(guild_id)
        if cached is not None and not fresh and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        snapshot = GuildSnapshot.from_payloads(await self.api.guild(guild_id), await self.api.guild_channels(guild_id))
        self._snapshots[guild_id] = (now, snapshot)
        self._snapshots.move_to_end(guild_id)
        while len(self._snapshots) > MAX_GUILDS:
            self._snapshots.popitem(last=False)
        return snapshot

    async def standing(self, guild_id: int, user_id: int) -> Standing:
        """Where ``user_id`` stands in the server now: what the role rules judge a web user by."""
        snapshot = await self.snapshot(guild_id, fresh=True)
        member = await self.api.member(guild_id, user_id)
        return Standing.from_payload(member, snapshot.roles, snapshot.owner_id, guild_id)


class RestChecks:
    """The settings service's reference and role checks, answered from REST (no gateway)."""

    def __init__(self, directory: GuildDirectory) -> None:
        self.directory = directory

    async def reference_exists(self, guild_id: int, kind: str, item_id: int) -> bool:
        snapshot = await self._snapshot(guild_id)
        return item_id in (snapshot.roles if kind == "role" else snapshot.channels)

    async def judge_roles(self, guild_id: int, uses: list[tuple[int, str]],
                          actor: Any) -> tuple[str | None, list[str]]:
        snapshot = await self._snapshot(guild_id)
        try:
            bot = await self.directory.standing(guild_id, await self.directory.api.bot_user_id())
        except DiscordAPIError:
            raise SettingsError(DISCORD_DOWN) from None
        return authority.judge_roles(snapshot.roles, uses, actor, bot=bot)

    async def _snapshot(self, guild_id: int) -> GuildSnapshot:
        try:
            return await self.directory.snapshot(guild_id, fresh=True)
        except DiscordAPIError:
            raise SettingsError(DISCORD_DOWN) from None


def install_rest_checks(settings: Any, directory: GuildDirectory) -> None:
    """Give a settings service without a bot (``alphapy dashboard``) the REST checks.

    Beside the bot, its gateway-cache checks stay: they judge the same rules, faster.
    """
    checks = RestChecks(directory)
    if settings.reference_check is None:
        settings.reference_check = checks.reference_exists
    if settings.role_check is None:
        settings.role_check = checks.judge_roles
