"""Roles and members: who is in a guild and what the role hierarchy lets them do."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import permissions as perms

if TYPE_CHECKING:
    from .channels import Channel
    from .guilds import Guild
    from .users import User


@dataclass(slots=True, eq=False)
class Role:
    """A guild role. ``position`` orders the hierarchy (@everyone is 0)."""

    id: int
    guild: Guild
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    @property
    def is_everyone(self) -> bool:
        return self.id == self.guild.id

    @property
    def mention(self) -> str:
        return "@everyone" if self.is_everyone else f"<@&{self.id}>"

    @property
    def members(self) -> list[Member]:
        if self.is_everyone:
            return list(self.guild.members.values())
        return [m for m in self.guild.members.values() if self.id in m.role_ids]

    def payload(self) -> dict[str, Any]:
        """``GuildRoleResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data

    def __repr__(self) -> str:
        return f"<Role {self.name!r} position={self.position}>"


@dataclass(slots=True, eq=False)
class Member:
    """A user's membership of one guild: roles, nickname, screening state."""

    user: User
    guild: Guild
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = ""
    pending: bool = False
    flags: int = 0
    communication_disabled_until: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def display_name(self) -> str:
        return self.nick or self.user.display_name

    @property
    def bot(self) -> bool:
        return self.user.bot

    @property
    def mention(self) -> str:
        return f"<@{self.user.id}>"

    @property
    def dms_open(self) -> bool:
        return self.user.dms_open

    @dms_open.setter
    def dms_open(self, value: bool) -> None:
        self.user.dms_open = value

    @property
    def roles(self) -> list[Role]:
        """The member's roles (without @everyone), lowest first, like discord.py."""
        roles = self.guild.roles
        found = [roles[r] for r in self.role_ids if r in roles]
        found.sort(key=lambda r: r.position)
        return found

    @property
    def top_role(self) -> Role:
        roles = self.roles
        return roles[-1] if roles else self.guild.everyone

    @property
    def timed_out(self) -> bool:
        until = self.communication_disabled_until
        if not until:
            return False
        return _dt.datetime.fromisoformat(until) > _dt.datetime.now(_dt.UTC)

    def has_role(self, role: Role | str | int) -> bool:
        target = self.guild.role(role)
        return target.is_everyone or target.id in self.role_ids

    @property
    def guild_permissions(self) -> int:
        return perms.base_permissions(self)

    def permissions_in(self, channel: Channel | None = None) -> int:
        return perms.permissions_for(self, channel)

    def payload(self, *, user: bool = True) -> dict[str, Any]:
        """``GuildMemberResponse`` (without ``user`` for message/interaction partials)."""
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": self.pending,
            "flags": self.flags,
            "communication_disabled_until": self.communication_disabled_until,
        }
        if user:
            data["user"] = self.user.payload()
        return data

    def __repr__(self) -> str:
        return f"<Member {self.name!r} guild={self.guild.name!r}>"
