"""The emulator's in-memory Discord: users, guilds, channels, roles, members, messages.

Everything a test arranges (``emu.add_guild(...)``, ``guild.add_member(...)``) and asserts
(``channel.messages``, ``member.roles``) lives here, and every REST answer and gateway event
is built from it, so what the bot reads back is what it wrote. Classes use ``__slots__``
(1,000 guilds x 50 members must stay small) and build their Discord payloads on demand
(``payload()``) instead of keeping a JSON copy of themselves.

State builders are synchronous and usable before the bot connects; when a bot is connected
they also send the matching gateway event (a guild added later is a GUILD_CREATE, a member
added later a GUILD_MEMBER_ADD), because that is what Discord does.

One module per Discord resource: :mod:`.users`, :mod:`.members` (roles and members),
:mod:`.channels` (channels, threads, overwrites), :mod:`.messages` (messages, attachments),
:mod:`.guilds`, :mod:`.applications` (commands, entitlements) and :mod:`.world` (the
``EmulatorState`` that indexes them all); :mod:`.common` holds ids, timestamps and type
numbers. Every name stays importable from this package.
"""

from .applications import Application, ApplicationCommand, Entitlement
from .channels import Channel, Overwrite
from .common import (
    ANNOUNCEMENT_THREAD,
    DISCORD_EPOCH_MS,
    DM,
    FLAG_COMPONENTS_V2,
    FLAG_CROSSPOSTED,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    FLAG_SUPPRESS_NOTIFICATIONS,
    GUILD_ANNOUNCEMENT,
    GUILD_CATEGORY,
    GUILD_FORUM,
    GUILD_TEXT,
    GUILD_VOICE,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    THREAD_TYPES,
    Dispatch,
    Snowflakes,
    iso,
    snowflake_iso,
    snowflake_time_ms,
)
from .guilds import Guild
from .members import Member, Role
from .messages import Attachment, Message
from .users import User
from .world import EmulatorState

__all__ = [
    "ANNOUNCEMENT_THREAD",
    "DISCORD_EPOCH_MS",
    "DM",
    "FLAG_COMPONENTS_V2",
    "FLAG_CROSSPOSTED",
    "FLAG_EPHEMERAL",
    "FLAG_LOADING",
    "FLAG_SUPPRESS_EMBEDS",
    "FLAG_SUPPRESS_NOTIFICATIONS",
    "GUILD_ANNOUNCEMENT",
    "GUILD_CATEGORY",
    "GUILD_FORUM",
    "GUILD_TEXT",
    "GUILD_VOICE",
    "PRIVATE_THREAD",
    "PUBLIC_THREAD",
    "THREAD_TYPES",
    "Application",
    "ApplicationCommand",
    "Attachment",
    "Channel",
    "Dispatch",
    "EmulatorState",
    "Entitlement",
    "Guild",
    "Member",
    "Message",
    "Overwrite",
    "Role",
    "Snowflakes",
    "User",
    "iso",
    "snowflake_iso",
    "snowflake_time_ms",
]
