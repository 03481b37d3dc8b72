"""Channels: text channels, categories, DMs and threads, with their overwrites and history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import permissions as perms
from ..permissions import P
from .common import DM, GUILD_CATEGORY, PRIVATE_THREAD, THREAD_TYPES, snowflake_iso
from .members import Member, Role

if TYPE_CHECKING:
    from .guilds import Guild
    from .messages import Message
    from .users import User
    from .world import EmulatorState


@dataclass(slots=True, eq=False)
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(slots=True, eq=False)
class Channel:
    """A text channel, category, DM or thread, with its message history."""

    id: int
    type: int
    name: str | None
    state: EmulatorState
    guild: Guild | None = None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    flags: int = 0
    recipients: list[User] = field(default_factory=list)
    #: messages, oldest first (ephemeral messages are not part of a channel's history)
    messages: list[Message] = field(default_factory=list)
    last_message_id: int | None = None
    # threads
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    invitable: bool = True
    thread_members: dict[int, str] = field(default_factory=dict)
    total_message_sent: int = 0
    create_timestamp: str | None = None
    _by_id: dict[int, Message] = field(default_factory=dict, repr=False)
    _nonces: dict[str, tuple[float, Message]] = field(default_factory=dict, repr=False)

    # -- what tests read
    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    @property
    def parent(self) -> Channel | None:
        return self.state.channels.get(self.parent_id) if self.parent_id is not None else None

    @property
    def category(self) -> Channel | None:
        parent = self.parent
        return parent if parent is not None and parent.type == GUILD_CATEGORY else None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def last_message(self) -> Message | None:
        return self.messages[-1] if self.messages else None

    def message(self, message_id: int) -> Message | None:
        return self._by_id.get(message_id)

    def permissions_for(self, member: Member) -> int:
        return perms.permissions_for(member, self)

    def visible_to(self, member: Member | User) -> bool:
        """Whether this person can see the channel (View Channel after overwrites)."""
        if self.type == DM:
            return any(u.id == member.id for u in self.recipients) or member.id == self.state.bot_user.id
        if not isinstance(member, Member):
            assert self.guild is not None
            found = self.guild.members.get(member.id)
            if found is None:
                return False
            member = found
        return bool(perms.permissions_for(member, self) & P.VIEW_CHANNEL)

    # -- mutation helpers used by REST and drivers
    def _append(self, message: Message) -> None:
        self.messages.append(message)
        self._by_id[message.id] = message
        self.last_message_id = message.id
        if self.is_thread:
            self.total_message_sent += 1

    def _remove(self, message: Message) -> None:
        message.deleted = True
        if self._by_id.pop(message.id, None) is not None:
            try:
                self.messages.remove(message)
            except ValueError:
                pass

    def set_overwrite(self, target: Role | Member | User, *, allow: Any = 0, deny: Any = 0) -> Overwrite:
        """Set (replace) the overwrite for a role or member, in state only (no event)."""
        kind = 0 if isinstance(target, Role) else 1
        ow = Overwrite(target.id, kind, perms.resolve(allow), perms.resolve(deny))
        self.overwrites[target.id] = ow
        return ow

    def payload(self) -> dict[str, Any]:
        """``GuildChannelResponse`` / ``PrivateChannelResponse`` / ``ThreadResponse``."""
        last = str(self.last_message_id) if self.last_message_id is not None else None
        if self.type == DM:
            return {
                "id": str(self.id),
                "type": DM,
                "flags": self.flags,
                "last_message_id": last,
                "recipients": [u.payload() for u in self.recipients],
            }
        assert self.guild is not None
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild.id),
            "name": self.name or "",
            "flags": self.flags,
            "parent_id": str(self.parent_id) if self.parent_id is not None else None,
        }
        if self.is_thread:
            data.update(
                owner_id=str(self.owner_id or self.state.bot_user.id),
                last_message_id=last,
                rate_limit_per_user=self.rate_limit_per_user,
                message_count=len(self.messages),
                member_count=min(len(self.thread_members), 50),
                total_message_sent=self.total_message_sent,
                thread_metadata={
                    "archived": self.archived,
                    "archive_timestamp": self.create_timestamp,
                    "auto_archive_duration": self.auto_archive_duration,
                    "locked": self.locked,
                    "create_timestamp": self.create_timestamp or snowflake_iso(self.id),
                    **({"invitable": self.invitable} if self.type == PRIVATE_THREAD else {}),
                },
            )
            return data
        data["position"] = self.position
        data["permission_overwrites"] = [ow.payload() for ow in self.overwrites.values()]
        data["nsfw"] = self.nsfw
        if self.type != GUILD_CATEGORY:
            data["topic"] = self.topic
            data["last_message_id"] = last
            data["rate_limit_per_user"] = self.rate_limit_per_user
        return data

    def __repr__(self) -> str:
        return f"<Channel #{self.name} id={self.id} type={self.type}>"
