"""What every route module shares: the request parsers and the lookups and checks that
answer with Discord's own errors (``Unknown Channel``, ``Missing Access``, ``Missing
Permissions``), so a handler never writes them by hand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .. import errors, permissions as perms
from ..permissions import P
from ..state import Channel, Guild, Member, Message, Overwrite

if TYPE_CHECKING:
    from ..emulator import DiscordEmulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: (HTTP method, spec path template, handler)
Route = tuple[str, str, Handler]


def parse_id(value: Any, kind: str) -> int:
    """A malformed id is Discord's 404 ``Unknown <kind>``, not a server error."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.unknown(kind) from None


def query_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    """A bad number in the query is a 400 Invalid Form Body naming the parameter, as on Discord."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise errors.invalid_form_body(name, "Value is not int.") from None


def query_bool(request: web.Request, name: str, default: bool = False) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return default
    return raw.lower() in ("1", "true", "yes")


class RouteBase:
    """The emulator a route module answers for, and the lookups its handlers share."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.state = emu.state

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(parse_id(request.match_info["guild_id"], "Guild"))
        if guild is None:
            raise errors.unknown("Guild")
        return guild

    def _channel(self, request: web.Request, *, view: bool = True) -> Channel:
        channel = self.state.channels.get(parse_id(request.match_info["channel_id"], "Channel"))
        if channel is None:
            raise errors.unknown("Channel")
        if view and channel.guild is not None and not self._perms(channel) & P.VIEW_CHANNEL:
            raise errors.missing_access()
        return channel

    def _message(self, channel: Channel, raw: str) -> Message:
        message = channel.message(parse_id(raw, "Message"))
        if message is None:
            raise errors.unknown("Message")
        return message

    def _member(self, guild: Guild, raw: str) -> Member:
        member = guild.members.get(parse_id(raw, "Member"))
        if member is None:
            raise errors.unknown("Member")
        return member

    def _me(self, guild: Guild) -> Member:
        return guild.members[self.state.bot_user.id]

    def _perms(self, channel: Channel | None, guild: Guild | None = None) -> int:
        target_guild = guild or (channel.guild if channel is not None else None)
        if target_guild is None:
            return perms.ALL
        return perms.permissions_for(self._me(target_guild), channel)

    def _require(self, granted: int, needed: int) -> None:
        if granted & needed != needed:
            raise errors.missing_permissions()

    def _check_overwrite_bits(
        self, channel_or_guild_perms: int, allow: int, deny: int, channel: Channel | None
    ) -> None:
        """Only permissions the bot has can be allowed/denied (unless it is admin or holds a
        Manage Permissions overwrite in the channel), as Discord enforces."""
        if channel_or_guild_perms == perms.ALL:
            return
        if channel is not None and channel.guild is not None:
            own = channel.overwrites.get(self.state.bot_user.id)
            if own is not None and own.allow & P.MANAGE_ROLES:
                return
        if (allow | deny) & ~channel_or_guild_perms:
            raise errors.missing_permissions()

    def _dispatch_channel(self, event: str, channel: Channel) -> None:
        guild_id = channel.guild.id if channel.guild else None
        if channel.is_thread:
            event = event.replace("CHANNEL_", "THREAD_")
        self.state.dispatch(event, channel.payload, guild_id)

    def _dispatch_member_update(self, member: Member) -> None:
        guild = member.guild
        self.state.dispatch("GUILD_MEMBER_UPDATE", lambda: {**member.payload(), "guild_id": str(guild.id)}, guild.id)

    def _read_overwrites(
        self, channel: Channel | None, raw: list[dict[str, Any]], granted: int
    ) -> dict[int, Overwrite]:
        result: dict[int, Overwrite] = {}
        for item in raw or []:
            ow = Overwrite(
                int(item["id"]), int(item.get("type") or 0), int(item.get("allow") or 0), int(item.get("deny") or 0)
            )
            self._check_overwrite_bits(granted, ow.allow, ow.deny, channel)
            result[ow.id] = ow
        return result

    def _role(self, guild: Guild, raw: str) -> Any:
        role = guild.roles.get(parse_id(raw, "Role"))
        if role is None:
            raise errors.unknown("Role")
        return role
