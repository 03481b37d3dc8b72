"""Who may open which server's pages, asked of Discord on every request.

The user must have Manage Server (or Administrator, or own the server) and the bot must be
in it. The answer comes from ``/users/@me/guilds`` with the user's token and is reused for
at most :data:`RECHECK_SECONDS` per session, so a host who loses the permission loses the
pages within a minute, not at their next login. Plugin pages for staff and members use the
same answer (every server the user shares with the bot) and the user's roles, asked with
the bot token and kept no longer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from alphapy.dashboard.discord_api import DiscordAPI, MyGuild

RECHECK_SECONDS = 60.0
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MAX_SESSIONS = 10_000


def may_manage(guild: MyGuild) -> bool:
    return guild.owner or bool(guild.permissions & (MANAGE_GUILD | ADMINISTRATOR))


@dataclass(frozen=True, slots=True)
class GuildChoices:
    """The servers a user manages: with the bot (pages open) and without (an invite link)."""

    with_bot: list[MyGuild]
    without_bot: list[MyGuild]
    shared: list[MyGuild] = field(default_factory=list)
    """Every server the user and the bot are both in, managed or not (plugin pages for members)."""

    def find(self, guild_id: int) -> MyGuild | None:
        return next((g for g in self.with_bot if g.id == guild_id), None)

    def find_shared(self, guild_id: int) -> MyGuild | None:
        return next((g for g in self.shared if g.id == guild_id), None)


class Access:
    """Per-session cache of :class:`GuildChoices`, refreshed from Discord when too old."""

    def __init__(self, api: DiscordAPI, clock: Callable[[], float]) -> None:
        self.api = api
        self.clock = clock
        self._sessions: OrderedDict[str, tuple[float, GuildChoices]] = OrderedDict()
        self._roles: OrderedDict[tuple[str, int], tuple[float, set[int]]] = OrderedDict()

    async def choices(self, session_id: str, token: str) -> GuildChoices:
        now = self.clock()
        cached = self._sessions.get(session_id)
        if cached is not None and now - cached[0] < RECHECK_SECONDS:
            return cached[1]
        mine = await self.api.my_guilds(token)
        managed = [g for g in mine if may_manage(g)]
        bot_ids = await self.api.bot_guild_ids()
        choices = GuildChoices([g for g in managed if g.id in bot_ids], [g for g in managed if g.id not in bot_ids],
                               [g for g in mine if g.id in bot_ids])
        self._sessions[session_id] = (now, choices)
        self._sessions.move_to_end(session_id)
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return choices

    async def role_ids(self, session_id: str, guild_id: int, user_id: int) -> set[int]:
        """The user's roles in one server (for ``staff`` pages), as fresh as the guild list."""
        now = self.clock()
        cached = self._roles.get((session_id, guild_id))
        if cached is not None and now - cached[0] < RECHECK_SECONDS:
            return cached[1]
        roles = await self.api.member_role_ids(guild_id, user_id) or set()
        self._roles[(session_id, guild_id)] = (now, roles)
        self._roles.move_to_end((session_id, guild_id))
        while len(self._roles) > MAX_SESSIONS:
            self._roles.popitem(last=False)
        return roles

    def forget(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
        for key in [key for key in self._roles if key[0] == session_id]:
            del self._roles[key]
