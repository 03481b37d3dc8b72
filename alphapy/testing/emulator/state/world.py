"""The whole emulated Discord: global indexes the REST routes and drivers look things up in."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Iterable
from typing import Any

from .. import permissions as perms
from .applications import Application
from .channels import Channel
from .common import DM, GUILD_TEXT, Dispatch, Snowflakes, _no_dispatch
from .guilds import Guild
from .members import Member
from .messages import Attachment, Message
from .users import User


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
