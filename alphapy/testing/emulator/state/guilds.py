"""Guilds: a server's roles, members, channels and threads, plus the builders tests use."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import permissions as perms
from .channels import Channel, Overwrite
from .common import GUILD_ANNOUNCEMENT, GUILD_CATEGORY, GUILD_TEXT, PRIVATE_THREAD, PUBLIC_THREAD, iso
from .members import Member, Role
from .users import User

if TYPE_CHECKING:
    from .world import EmulatorState


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
