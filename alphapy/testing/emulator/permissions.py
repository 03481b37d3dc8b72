"""Discord's permission arithmetic, used to refuse what a real guild would refuse.

A bot that works against a permissive fake breaks on the first real server where it lacks
Manage Channels. The emulator therefore computes permissions exactly as Discord documents
them (https://discord.com/developers/docs/topics/permissions): the @everyone role and the
member's roles give the base; owner and Administrator bypass everything; channel overwrites
apply in the order @everyone, then all role overwrites together, then the member's own.
The same functions answer what a person can see (``Channel.visible_to``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import Channel, Member, Role


class P(enum.IntFlag):
    """Discord permission bits (``P.MANAGE_CHANNELS``...)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50
    PIN_MESSAGES = 1 << 51
    BYPASS_SLOWMODE = 1 << 52


#: Long name for :class:`P`.
Permission = P

ALL: int = 0
for _flag in P:
    ALL |= _flag.value

#: What @everyone may do in a new guild (close to Discord's default for a new server).
DEFAULT_EVERYONE: int = (
    P.CREATE_INSTANT_INVITE
    | P.ADD_REACTIONS
    | P.STREAM
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_TTS_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.MENTION_EVERYONE
    | P.USE_EXTERNAL_EMOJIS
    | P.CONNECT
    | P.SPEAK
    | P.USE_VAD
    | P.CHANGE_NICKNAME
    | P.USE_APPLICATION_COMMANDS
    | P.REQUEST_TO_SPEAK
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.USE_EXTERNAL_STICKERS
    | P.SEND_MESSAGES_IN_THREADS
    | P.USE_EMBEDDED_ACTIVITIES
    | P.SEND_VOICE_MESSAGES
    | P.SEND_POLLS
    | P.USE_EXTERNAL_APPS
)

#: What the bot's own managed role grants by default: a typical moderation/utility bot
#: invite, deliberately without Administrator so permission checks stay meaningful.
DEFAULT_BOT: int = (
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_MESSAGES_IN_THREADS
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.USE_EXTERNAL_EMOJIS
    | P.MANAGE_MESSAGES
    | P.MANAGE_CHANNELS
    | P.MANAGE_ROLES
    | P.MANAGE_THREADS
    | P.CREATE_PUBLIC_THREADS
    | P.CREATE_PRIVATE_THREADS
    | P.KICK_MEMBERS
    | P.MODERATE_MEMBERS
    | P.MANAGE_NICKNAMES
    | P.USE_APPLICATION_COMMANDS
    | P.PIN_MESSAGES
)

# Permissions that only make sense with Send Messages; Discord drops them without it.
_NEEDS_SEND = P.MENTION_EVERYONE | P.SEND_TTS_MESSAGES | P.ATTACH_FILES | P.EMBED_LINKS
# What a timed-out member keeps.
_TIMEOUT_KEEPS = P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY


def resolve(value: Any) -> int:
    """Turn what a test writes into a permission integer.

    Accepts an int, a :class:`P` flag, a ``discord.Permissions`` (anything with ``.value``),
    a name (``"manage_channels"``) or an iterable of those.
    """
    if value is None:
        return 0
    if isinstance(value, int):
        return int(value)
    if hasattr(value, "value") and isinstance(value.value, int):
        return int(value.value)
    if isinstance(value, str):
        try:
            return int(P[value.upper()])
        except KeyError:
            raise ValueError(f"unknown permission name {value!r}") from None
    if isinstance(value, Iterable):
        total = 0
        for item in value:
            total |= resolve(item)
        return total
    raise TypeError(f"cannot read permissions from {value!r}")


def names(value: int) -> list[str]:
    """The lower-case names of the bits set in ``value`` (for error messages)."""
    return [flag.name.lower() for flag in P if value & flag.value and flag.name]


def base_permissions(member: Member) -> int:
    """Guild-wide permissions: owner and Administrator get everything."""
    guild = member.guild
    if guild.owner_id == member.id:
        return ALL
    perms = guild.everyone.permissions
    roles = guild.roles
    for role_id in member.role_ids:
        role = roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & P.ADMINISTRATOR:
        return ALL
    if member.timed_out:
        perms &= _TIMEOUT_KEEPS
    return perms


def permissions_for(member: Member, channel: Channel | None = None) -> int:
    """The member's permissions in ``channel`` (or guild-wide when ``channel`` is None)."""
    base = base_permissions(member)
    if channel is None or base == ALL:
        return base
    target = channel.parent if channel.is_thread and channel.parent is not None else channel
    perms = base
    overwrites = target.overwrites
    if overwrites:
        everyone = overwrites.get(member.guild.id)
        if everyone is not None:
            perms &= ~everyone.deny
            perms |= everyone.allow
        allow = deny = 0
        for role_id in member.role_ids:
            ow = overwrites.get(role_id)
            if ow is not None and ow.type == 0:
                allow |= ow.allow
                deny |= ow.deny
        perms &= ~deny
        perms |= allow
        own = overwrites.get(member.id)
        if own is not None and own.type == 1:
            perms &= ~own.deny
            perms |= own.allow
    if not perms & P.VIEW_CHANNEL:
        return 0
    if channel.is_thread:
        if channel.type == 12 and member.id not in channel.thread_members and not perms & P.MANAGE_THREADS:
            return 0
        if not perms & P.SEND_MESSAGES_IN_THREADS:
            perms &= ~_NEEDS_SEND
    elif not perms & P.SEND_MESSAGES:
        perms &= ~_NEEDS_SEND
    if member.timed_out:
        perms &= _TIMEOUT_KEEPS
    return perms


def top_position(member: Member) -> int:
    """Position of the member's highest role (0 when they only have @everyone)."""
    roles = member.guild.roles
    best = 0
    for role_id in member.role_ids:
        role = roles.get(role_id)
        if role is not None and role.position > best:
            best = role.position
    return best


def can_manage_role(actor: Member, role: Role) -> bool:
    """Role hierarchy: a member manages only roles strictly below their highest role."""
    if actor.guild.owner_id == actor.id:
        return True
    return role.position < top_position(actor)


def can_manage_member(actor: Member, target: Member) -> bool:
    """Kick/timeout/nickname hierarchy: nobody manages the owner; else highest role wins."""
    guild = actor.guild
    if guild.owner_id == target.id:
        return False
    if guild.owner_id == actor.id:
        return True
    return top_position(actor) > top_position(target)
