"""The emulator's in-memory Discord: users, guilds, channels, roles, members, messages.

Everything a test arranges (``emu.add_guild(...)``, ``guild.add_member(...)``) and asserts
(``channel.messages``, ``member.roles``) lives here, and every REST answer and gateway event
is built from it, so what the bot reads back is what it wrote. Classes use ``__slots__``
(1,000 guilds x 50 members must stay small) and build their Discord payloads on demand
(``payload()``) instead of keeping a JSON copy of themselves.

State builders are synchronous and usable before the bot connects; when a bot is connected
they also send the matching gateway event (a guild added later is a GUILD_CREATE, a member
added later a GUILD_MEMBER_ADD), because that is what Discord does.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import permissions as perms
from .permissions import P

DISCORD_EPOCH_MS = 1_420_070_400_000

# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types)
GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})

# Message flags
FLAG_CROSSPOSTED = 1 << 1
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15

Dispatch = Callable[[str, "Callable[[], dict[str, Any]] | dict[str, Any]", "int | None"], None]


def _no_dispatch(event: str, data: Any, guild_id: int | None) -> None:
    """Default sink before a gateway exists."""


class Snowflakes:
    """Discord-shaped ids: ``(ms since 2015) << 22 | worker << 17 | process << 12 | n``.

    Ids are strictly increasing, so ``before``/``after`` paging works. Guild ids each take a
    fresh millisecond so ``guild_id >> 22`` differs between guilds and shard routing
    ``(guild_id >> 22) % shard_count`` spreads them like real guilds.
    """

    __slots__ = ("_last_ms", "_increment", "_worker")

    def __init__(self, worker: int = 1) -> None:
        self._last_ms = 0
        self._increment = 0
        self._worker = worker & 0x1F

    def next(self, *, fresh_millisecond: bool = False) -> int:
        now = int(time.time() * 1000) - DISCORD_EPOCH_MS
        ms = self._last_ms
        if now > ms:
            ms, inc = now, 0
        elif fresh_millisecond:
            ms, inc = ms + 1, 0
        else:
            inc = self._increment + 1
            if inc > 0xFFF:
                ms, inc = ms + 1, 0
        self._last_ms = ms
        self._increment = inc
        return (ms << 22) | (self._worker << 17) | (1 << 12) | inc


def snowflake_time_ms(snowflake: int) -> int:
    """Unix milliseconds encoded in a snowflake."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS


def iso(ms: float | None = None) -> str:
    """ISO-8601 UTC timestamp as Discord writes it."""
    if ms is None:
        ms = time.time() * 1000
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.UTC).isoformat()


def snowflake_iso(snowflake: int) -> str:
    return iso(snowflake_time_ms(snowflake))


# --------------------------------------------------------------------------- users


@dataclass(slots=True, eq=False)
class User:
    """A Discord account: a person, another bot, or the bot under test."""

    id: int
    name: str
    bot: bool = False
    global_name: str | None = None
    dms_open: bool = True
    system: bool = False
    avatar: str | None = None

    @property
    def display_name(self) -> str:
        return self.global_name or self.name

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        """``UserResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.global_name,
            "avatar": self.avatar,
            "discriminator": "0",
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        if self.system:
            data["system"] = True
        return data

    def __repr__(self) -> str:
        return f"<User {self.name!r} id={self.id}{' bot' if self.bot else ''}>"


# --------------------------------------------------------------------------- roles & members


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


# --------------------------------------------------------------------------- channels & messages


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
class Attachment:
    """A file attached to a message; the emulator keeps the bytes and serves them back."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    url: str = ""
    description: str | None = None
    ephemeral: bool = False
    title: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    def payload(self) -> dict[str, Any]:
        """``MessageAttachmentResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            data["content_type"] = self.content_type
        if self.description is not None:
            data["description"] = self.description
        if self.title is not None:
            data["title"] = self.title
        if self.ephemeral:
            data["ephemeral"] = True
        return data

    def __repr__(self) -> str:
        return f"<Attachment {self.filename!r} {len(self.data)} bytes>"


@dataclass(slots=True, eq=False)
class Message:
    """A message as Discord stores it. ``content``/``embeds``/``components`` hold what was sent."""

    id: int
    channel: Channel
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    type: int = 0
    tts: bool = False
    pinned: bool = False
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    reactions: dict[str, set[int]] = field(default_factory=dict)
    thread_id: int | None = None
    deleted: bool = False
    #: the interaction this message answers, if any (for ``ephemeral_replies``)
    interaction_user_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still showing "thinking"."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    @property
    def timestamp(self) -> str:
        return snowflake_iso(self.id)

    @property
    def embed(self) -> dict[str, Any] | None:
        """The first embed, or None (most bots send one)."""
        return self.embeds[0] if self.embeds else None

    @property
    def jump_url(self) -> str:
        guild = self.channel.guild
        return f"https://discord.com/channels/{guild.id if guild else '@me'}/{self.channel.id}/{self.id}"

    def iter_components(self) -> Iterable[dict[str, Any]]:
        """Every component of the message, depth first (rows, containers, sections, items)."""
        from .messages import walk_components

        return walk_components(self.components)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in self.iter_components() if c.get("type") == 2]

    @property
    def button_labels(self) -> list[str]:
        return [c.get("label", "") for c in self.buttons]

    def payload(self) -> dict[str, Any]:
        """``MessageResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "type": self.type,
            "content": self.content,
            "author": self.author.payload(),
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "mentions": [u.payload() for u in self.mentions],
            "mention_roles": [str(r) for r in self.mention_roles],
            "mention_everyone": self.mention_everyone,
            "pinned": self.pinned,
            "tts": self.tts,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        if self.reactions:
            me = self.channel.state.bot_user.id
            data["reactions"] = [
                {
                    "emoji": _emoji_payload(emoji),
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "burst_colors": [],
                    "me_burst": False,
                    "me": me in users,
                }
                for emoji, users in self.reactions.items()
                if users
            ]
        if self.thread_id is not None:
            thread = self.channel.state.channels.get(self.thread_id)
            if thread is not None:
                data["thread"] = thread.payload()
        return data

    def gateway_payload(self) -> dict[str, Any]:
        """MESSAGE_CREATE/UPDATE data: the REST shape plus ``guild_id`` and partial ``member``."""
        data = self.payload()
        guild = self.channel.guild
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if self.webhook_id is None:
                member = guild.members.get(self.author.id)
                if member is not None:
                    data["member"] = member.payload(user=False)
        return data

    def __repr__(self) -> str:
        text = self.content if len(self.content) < 40 else self.content[:37] + "..."
        return f"<Message id={self.id} author={self.author.name!r} content={text!r}>"


def _emoji_payload(emoji: str) -> dict[str, Any]:
    match = re.fullmatch(r"<?(a?):?([\w~]+):(\d+)>?", emoji)
    if match:
        return {"id": match.group(3), "name": match.group(2), "animated": bool(match.group(1))}
    return {"id": None, "name": emoji}


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


# --------------------------------------------------------------------------- guilds


class Guild:
    """A server: its roles, members, channels and threads, plus builders for tests."""

    __slots__ = (
        "id",
        "name",
        "owner_id",
        "state",
        "roles",
        "members",
        "channels",
        "features",
        "preferred_locale",
        "system_channel_id",
        "description",
        "joined_at",
        "bot_role_id",
        "unavailable",
        "bans",
    )

    def __init__(self, state: EmulatorState, guild_id: int, name: str, owner_id: int = 0) -> None:
        self.state = state
        self.id = guild_id
        self.name = name
        self.owner_id = owner_id
        #: role id -> Role; @everyone has the guild's id
        self.roles: dict[int, Role] = {}
        #: user id -> Member
        self.members: dict[int, Member] = {}
        #: channel id -> Channel (threads included)
        self.channels: dict[int, Channel] = {}
        self.features: list[str] = []
        self.preferred_locale = "en-US"
        self.system_channel_id: int | None = None
        self.description: str | None = None
        self.joined_at = iso()
        self.bot_role_id: int | None = None
        self.unavailable = False
        #: banned user id -> reason
        self.bans: dict[int, str | None] = {}
        self.roles[guild_id] = Role(guild_id, self, "@everyone", perms.DEFAULT_EVERYONE, 0)

    # -- lookups
    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    @property
    def owner(self) -> Member:
        return self.members[self.owner_id]

    @property
    def me(self) -> Member:
        """The bot's own member."""
        return self.members[self.state.bot_user.id]

    @property
    def bot_role(self) -> Role:
        """The bot's managed role; change ``.permissions`` to take a permission away."""
        assert self.bot_role_id is not None
        return self.roles[self.bot_role_id]

    @property
    def text_channels(self) -> list[Channel]:
        return sorted(
            (c for c in self.channels.values() if c.type in (GUILD_TEXT, GUILD_ANNOUNCEMENT)),
            key=lambda c: (c.position, c.id),
        )

    @property
    def categories(self) -> list[Channel]:
        return sorted((c for c in self.channels.values() if c.type == GUILD_CATEGORY), key=lambda c: c.position)

    @property
    def threads(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_thread]

    def role(self, ref: Role | str | int) -> Role:
        """A role by object, id or name (raises ``KeyError`` listing the roles)."""
        if isinstance(ref, Role):
            return ref
        if isinstance(ref, int):
            return self.roles[ref]
        for role in self.roles.values():
            if role.name == ref:
                return role
        raise KeyError(f"no role {ref!r} in {self.name!r}; roles: {[r.name for r in self.roles.values()]}")

    def member(self, ref: Member | User | str | int) -> Member:
        """A member by object, id, username or display name."""
        if isinstance(ref, Member):
            return ref
        if isinstance(ref, User):
            return self.members[ref.id]
        if isinstance(ref, int):
            return self.members[ref]
        for m in self.members.values():
            if m.name == ref or m.display_name == ref:
                return m
        raise KeyError(f"no member {ref!r} in {self.name!r}")

    def channel(self, ref: Channel | str | int) -> Channel:
        """A channel by object, id or name (``"general"`` or ``"#general"``)."""
        if isinstance(ref, Channel):
            return ref
        if isinstance(ref, int):
            return self.channels[ref]
        name = ref.lstrip("#")
        for c in self.channels.values():
            if c.name == name:
                return c
        raise KeyError(f"no channel {ref!r} in {self.name!r}; channels: {[c.name for c in self.channels.values()]}")

    def shard_id(self, shard_count: int) -> int:
        return (self.id >> 22) % shard_count

    # -- builders (sync; send the gateway event if a bot is connected)
    def add_role(
        self,
        name: str,
        *,
        permissions: Any = 0,
        position: int | None = None,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
        managed: bool = False,
        bot_id: int | None = None,
        _dispatch: bool = True,
    ) -> Role:
        """Add a role. Without ``position`` it goes to the bottom, just above @everyone (as
        on Discord), pushing the others up; with ``position`` it is inserted there."""
        pos = 1 if position is None else max(1, position)
        for role in self.roles.values():
            if not role.is_everyone and role.position >= pos:
                role.position += 1
        role = Role(
            self.state.ids.next(),
            self,
            name,
            perms.resolve(permissions),
            pos,
            color,
            hoist,
            managed,
            mentionable,
            bot_id,
        )
        self.roles[role.id] = role
        if _dispatch:
            self.state.dispatch(
                "GUILD_ROLE_CREATE", lambda: {"guild_id": str(self.id), "role": role.payload()}, self.id
            )
        return role

    def add_member(
        self,
        name: str,
        *,
        roles: Iterable[Role | str | int] = (),
        permissions: Any = None,
        pending: bool = False,
        dms_open: bool = True,
        bot: bool = False,
        nick: str | None = None,
        global_name: str | None = None,
        user: User | None = None,
        _dispatch: bool = True,
    ) -> Member:
        """Add a member. ``permissions`` gives them a personal role with those permissions."""
        if user is None:
            user = self.state.add_user(name, bot=bot, dms_open=dms_open, global_name=global_name)
        role_ids = [self.role(r).id for r in roles]
        if permissions is not None:
            personal = self.add_role(f"{name} permissions", permissions=permissions, _dispatch=_dispatch)
            role_ids.append(personal.id)
        member = Member(user, self, role_ids, nick, iso(), pending)
        self.members[user.id] = member
        if _dispatch:
            self.state.dispatch("GUILD_MEMBER_ADD", lambda: {**member.payload(), "guild_id": str(self.id)}, self.id)
        return member

    def _add_channel(
        self,
        name: str,
        kind: int,
        *,
        category: Channel | str | int | None = None,
        overwrites: Any = None,
        topic: str | None = None,
        position: int | None = None,
        nsfw: bool = False,
        _dispatch: bool = True,
    ) -> Channel:
        parent = self.channel(category) if category is not None else None
        if position is None:
            position = sum(1 for c in self.channels.values() if not c.is_thread and c.type == kind)
        channel = Channel(
            self.state.ids.next(),
            kind,
            name,
            self.state,
            self,
            position=position,
            parent_id=parent.id if parent else None,
            topic=topic,
            nsfw=nsfw,
        )
        if overwrites is not None:
            channel.overwrites = self._read_overwrites(overwrites)
        elif parent is not None:
            # Discord syncs a new channel with its category when no overwrites are given.
            channel.overwrites = {k: Overwrite(v.id, v.type, v.allow, v.deny) for k, v in parent.overwrites.items()}
        self.channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        if _dispatch:
            self.state.dispatch("CHANNEL_CREATE", channel.payload, self.id)
        return channel

    def _read_overwrites(self, overwrites: Any) -> dict[int, Overwrite]:
        """Overwrites as ``{role_or_member: {"allow": ..., "deny": ...}}`` or Overwrite list."""
        result: dict[int, Overwrite] = {}
        items = overwrites.items() if isinstance(overwrites, dict) else ((o, o) for o in overwrites)
        for target, spec in items:
            if isinstance(spec, Overwrite):
                result[spec.id] = spec
                continue
            if isinstance(target, str):
                try:
                    target = self.role(target)
                except KeyError:
                    target = self.member(target)
            kind = 0 if isinstance(target, Role) else 1
            allow = deny = 0
            if isinstance(spec, dict):
                allow = perms.resolve(spec.get("allow", 0))
                deny = perms.resolve(spec.get("deny", 0))
            elif isinstance(spec, tuple):
                allow, deny = perms.resolve(spec[0]), perms.resolve(spec[1])
            result[target.id] = Overwrite(target.id, kind, allow, deny)
        return result

    def add_text_channel(
        self,
        name: str,
        *,
        category: Channel | str | int | None = None,
        overwrites: Any = None,
        topic: str | None = None,
        position: int | None = None,
        nsfw: bool = False,
    ) -> Channel:
        """Add a text channel. ``overwrites`` maps a Role/Member (or name) to
        ``{"allow": perms, "deny": perms}``; without it a channel in a category copies the
        category's overwrites, as Discord does."""
        return self._add_channel(
            name, GUILD_TEXT, category=category, overwrites=overwrites, topic=topic, position=position, nsfw=nsfw
        )

    def add_category(self, name: str, *, overwrites: Any = None, position: int | None = None) -> Channel:
        return self._add_channel(name, GUILD_CATEGORY, overwrites=overwrites, position=position)

    def add_thread(
        self,
        parent: Channel | str | int,
        name: str,
        *,
        owner: Member | None = None,
        private: bool = False,
        members: Iterable[Member] = (),
    ) -> Channel:
        """Open a thread under a text channel, as a person would."""
        parent_channel = self.channel(parent)
        owner_member = owner or self.owner
        thread = Channel(
            self.state.ids.next(),
            PRIVATE_THREAD if private else PUBLIC_THREAD,
            name,
            self.state,
            self,
            parent_id=parent_channel.id,
            owner_id=owner_member.id,
            create_timestamp=iso(),
        )
        thread.thread_members[owner_member.id] = iso()
        for m in members:
            thread.thread_members[m.id] = iso()
        self.channels[thread.id] = thread
        self.state.channels[thread.id] = thread
        self.state.dispatch("THREAD_CREATE", lambda: {**thread.payload(), "newly_created": True}, self.id)
        return thread

    # -- payloads
    def payload(self, *, with_counts: bool = False) -> dict[str, Any]:
        """``GuildWithCountsResponse`` / ``GuildResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "description": self.description,
            "home_header": None,
            "splash": None,
            "discovery_splash": None,
            "features": list(self.features),
            "banner": None,
            "owner_id": str(self.owner_id),
            "application_id": None,
            "region": "deprecated",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "system_channel_id": str(self.system_channel_id) if self.system_channel_id else None,
            "system_channel_flags": 0,
            "widget_enabled": False,
            "widget_channel_id": None,
            "verification_level": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "default_message_notifications": 0,
            "mfa_level": 0,
            "explicit_content_filter": 0,
            "max_presences": None,
            "max_members": 500000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.preferred_locale,
            "rules_channel_id": None,
            "safety_alerts_channel_id": None,
            "public_updates_channel_id": None,
            "premium_progress_bar_enabled": False,
            "nsfw": False,
            "nsfw_level": 0,
            "emojis": [],
            "stickers": [],
            "incidents_data": None,
        }
        if with_counts:
            data["approximate_member_count"] = len(self.members)
            data["approximate_presence_count"] = 0
        return data

    def gateway_payload(self, *, members: bool = True) -> dict[str, Any]:
        """GUILD_CREATE data. ``member_count`` equals the members sent when ``members`` is
        true, so discord.py considers the guild chunked and does not ask for members."""
        data = self.payload()
        bot_id = self.state.bot_user.id
        data.update(
            joined_at=self.joined_at,
            large=len(self.members) > 250,
            unavailable=False,
            member_count=len(self.members),
            members=[m.payload() for m in self.members.values()]
            if members
            else ([self.members[bot_id].payload()] if bot_id in self.members else []),
            channels=[c.payload() for c in self.channels.values() if not c.is_thread],
            threads=[c.payload() for c in self.channels.values() if c.is_thread and not c.archived],
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
            lazy=True,
        )
        return data

    def __repr__(self) -> str:
        return f"<Guild {self.name!r} id={self.id} members={len(self.members)}>"


# --------------------------------------------------------------------------- application


@dataclass(slots=True, eq=False)
class ApplicationCommand:
    """A command the bot registered (the stored definition, normalised to the response shape)."""

    id: int
    application_id: int
    name: str
    type: int
    data: dict[str, Any]
    guild_id: int | None = None
    version: int = 0

    @property
    def options(self) -> list[dict[str, Any]]:
        return self.data.get("options") or []

    def payload(self) -> dict[str, Any]:
        """``ApplicationCommandResponse``."""
        data = dict(self.data)
        data["id"] = str(self.id)
        data["application_id"] = str(self.application_id)
        data["version"] = str(self.version)
        data["type"] = self.type
        data.setdefault("description", "")
        dmp = data.get("default_member_permissions")
        data["default_member_permissions"] = None if dmp is None else str(dmp)
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data

    def __repr__(self) -> str:
        where = f" guild={self.guild_id}" if self.guild_id else ""
        return f"<ApplicationCommand {self.name!r} type={self.type}{where}>"


@dataclass(slots=True, eq=False)
class Entitlement:
    """A premium entitlement (type 8 = Discord App Subscription) of a user or guild."""

    id: int
    sku_id: int
    application_id: int
    user_id: int | None
    guild_id: int | None = None
    type: int = 8
    starts_at: str | None = None
    ends_at: str | None = None
    deleted: bool = False
    consumed: bool = False

    @property
    def ended(self) -> bool:
        if self.ends_at is None:
            return False
        return _dt.datetime.fromisoformat(self.ends_at) <= _dt.datetime.now(_dt.UTC)

    def payload(self) -> dict[str, Any]:
        """``EntitlementResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "sku_id": str(self.sku_id),
            "application_id": str(self.application_id),
            "user_id": str(self.user_id) if self.user_id is not None else "0",
            "type": self.type,
            "deleted": self.deleted,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "consumed": self.consumed,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


class Application:
    """The bot's application: its id, bot user, commands and entitlements."""

    __slots__ = ("id", "name", "bot", "owner", "flags", "commands", "guild_commands", "entitlements", "sku_id")

    def __init__(self, app_id: int, name: str, bot: User, owner: User) -> None:
        self.id = app_id
        self.name = name
        self.bot = bot
        self.owner = owner
        # GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED: the intents a small bot may use
        self.flags = (1 << 15) | (1 << 19)
        self.commands: dict[int, ApplicationCommand] = {}
        self.guild_commands: dict[int, dict[int, ApplicationCommand]] = {}
        self.entitlements: list[Entitlement] = []
        self.sku_id = 0

    def all_commands(self) -> list[ApplicationCommand]:
        found = list(self.commands.values())
        for cmds in self.guild_commands.values():
            found.extend(cmds.values())
        return found

    def payload(self) -> dict[str, Any]:
        """``PrivateApplicationResponse``."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "description": "",
            "type": None,
            "bot": self.bot.payload(),
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.flags,
            "flags_new": str(self.flags),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": self.owner.payload(),
            "approximate_guild_count": 0,
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "tags": [],
            "integration_types_config": {"0": {}},
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": str(perms.DEFAULT_BOT)},
        }


# --------------------------------------------------------------------------- the whole world


class EmulatorState:
    """Everything the emulator knows, with global indexes for the REST routes."""

    def __init__(self, *, bot_name: str = "Alphapy", bot_permissions: Any = perms.DEFAULT_BOT) -> None:
        self.ids = Snowflakes()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        #: every channel by id: guild channels, threads and DMs
        self.channels: dict[int, Channel] = {}
        #: user id -> the bot's DM channel with them
        self.dm_channels: dict[int, Channel] = {}
        #: attachment id -> Attachment (served at ``base_url/attachments/...``)
        self.attachments: dict[int, Attachment] = {}
        #: ephemeral interaction answers by id (they are in no channel's history)
        self.ephemeral_messages: dict[int, Message] = {}
        self.bot_permissions = perms.resolve(bot_permissions)
        self.base_url = ""
        self.dispatch: Dispatch = _no_dispatch
        self._names = itertools.count(1)
        self.bot_user = self.add_user(bot_name, bot=True)
        owner = self.add_user(f"{bot_name.lower()}-developer")
        self.application = Application(self.bot_user.id, bot_name, self.bot_user, owner)
        self.application.sku_id = self.ids.next()
        self.bot_token = f"{secrets.token_urlsafe(18)}.emulated"

    # -- users
    def add_user(self, name: str, *, bot: bool = False, dms_open: bool = True, global_name: str | None = None) -> User:
        user = User(self.ids.next(), name, bot, global_name, dms_open)
        self.users[user.id] = user
        return user

    def user(self, ref: User | Member | int | str) -> User:
        if isinstance(ref, User):
            return ref
        if isinstance(ref, Member):
            return ref.user
        if isinstance(ref, int):
            return self.users[ref]
        for u in self.users.values():
            if u.name == ref:
                return u
        raise KeyError(f"no user {ref!r}")

    # -- guilds
    def add_guild(
        self,
        name: str,
        *,
        owner_name: str | None = None,
        members: int | Iterable[str] = 0,
        text_channels: Iterable[str] = ("general",),
        bot_permissions: Any = None,
    ) -> Guild:
        """A guild with an owner, the bot (with its managed role), ``members`` more people
        (a count, or names) and the listed text channels."""
        guild = Guild(self, self.ids.next(fresh_millisecond=True), name)
        owner = guild.add_member(owner_name or f"{_slug(name)}-owner", _dispatch=False)
        guild.owner_id = owner.id
        bot_role = guild.add_role(
            self.bot_user.name,
            permissions=self.bot_permissions if bot_permissions is None else bot_permissions,
            managed=True,
            bot_id=self.bot_user.id,
            _dispatch=False,
        )
        guild.bot_role_id = bot_role.id
        guild.add_member(self.bot_user.name, user=self.bot_user, roles=[bot_role], _dispatch=False)
        names = [f"{_slug(name)}-member-{i + 1}" for i in range(members)] if isinstance(members, int) else members
        for member_name in names:
            guild.add_member(member_name, _dispatch=False)
        for channel_name in text_channels:
            guild._add_channel(channel_name, GUILD_TEXT, _dispatch=False)
        if guild.text_channels:
            guild.system_channel_id = guild.text_channels[0].id
        self.guilds[guild.id] = guild
        self.dispatch("GUILD_CREATE", guild.gateway_payload, guild.id)
        return guild

    def guild(self, ref: Guild | str | int) -> Guild:
        if isinstance(ref, Guild):
            return ref
        if isinstance(ref, int):
            return self.guilds[ref]
        for g in self.guilds.values():
            if g.name == ref:
                return g
        raise KeyError(f"no guild {ref!r}")

    # -- DMs
    def dm_channel(self, user: User | Member) -> Channel:
        """The bot's DM channel with ``user`` (created on first use, as Discord does)."""
        target = user.user if isinstance(user, Member) else user
        channel = self.dm_channels.get(target.id)
        if channel is None:
            channel = Channel(self.ids.next(), DM, None, self, recipients=[target])
            self.dm_channels[target.id] = channel
            self.channels[channel.id] = channel
        return channel

    def new_attachment(
        self, channel_id: int, filename: str, data: bytes, content_type: str | None, **extra: Any
    ) -> Attachment:
        att_id = self.ids.next()
        att = Attachment(att_id, filename, data, content_type, **extra)
        att.url = f"{self.base_url}/attachments/{channel_id}/{att_id}/{filename}"
        self.attachments[att_id] = att
        return att


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "guild"
