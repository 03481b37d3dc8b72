"""A guild itself and its channel list: reading, creating and reordering channels, active threads."""

from __future__ import annotations

from aiohttp import web

from .. import errors
from ..permissions import P
from ..server import BODY_KEY, json_response, no_content
from ..state import GUILD_CATEGORY, GUILD_TEXT, Channel, Guild, Overwrite
from .base import Route, RouteBase, query_bool

MAX_GUILD_CHANNELS = 500
MAX_CATEGORY_CHANNELS = 50


class GuildRoutes(RouteBase):
    """Handlers of the guilds resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def guild_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.list_channels),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel),
            ("PATCH", "/guilds/{guild_id}/channels", self.move_channels),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads),
        ]

    async def get_guild(self, request: web.Request) -> web.Response:
        return json_response(self._guild(request).payload(with_counts=query_bool(request, "with_counts")))

    async def list_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([c.payload() for c in guild.channels.values() if not c.is_thread])

    async def create_channel(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        granted = self._perms(None, guild)
        self._require(granted, P.MANAGE_CHANNELS)
        body = request[BODY_KEY] or {}
        name = body.get("name")
        if not name:
            raise errors.invalid_form_body("name", "This field is required")
        kind = int(body.get("type") or GUILD_TEXT)
        parent_id = body.get("parent_id")
        parent = guild.channels.get(int(parent_id)) if parent_id else None
        if parent_id and (parent is None or parent.type != GUILD_CATEGORY):
            raise errors.invalid_form_body("parent_id", "Category does not exist.")
        self._check_channel_room(guild, parent)
        raw_overwrites = body.get("permission_overwrites")
        channel = Channel(
            self.state.ids.next(),
            kind,
            str(name),
            self.state,
            guild,
            position=int(body.get("position") or sum(1 for c in guild.channels.values() if c.type == kind)),
            parent_id=parent.id if parent else None,
            topic=body.get("topic"),
            nsfw=bool(body.get("nsfw")),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        if raw_overwrites:
            channel.overwrites = self._read_overwrites(None, raw_overwrites, granted)
        elif parent is not None:
            channel.overwrites = {k: Overwrite(v.id, v.type, v.allow, v.deny) for k, v in parent.overwrites.items()}
        guild.channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        self.state.dispatch("CHANNEL_CREATE", channel.payload, guild.id)
        return json_response(channel.payload(), 201)

    def _check_channel_room(self, guild: Guild, parent: Channel | None) -> None:
        """Discord's limits: 500 channels in a guild, 50 in a category (threads not counted)."""
        channels = [c for c in guild.channels.values() if not c.is_thread]
        if len(channels) >= MAX_GUILD_CHANNELS:
            raise errors.bad_request(f"Maximum number of guild channels reached ({MAX_GUILD_CHANNELS})", 30013)
        if parent is not None and sum(1 for c in channels if c.parent_id == parent.id) >= MAX_CATEGORY_CHANNELS:
            raise errors.invalid_form_body(
                "parent_id", f"Maximum number of channels in category reached ({MAX_CATEGORY_CHANNELS})")

    async def move_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        self._require(self._perms(None, guild), P.MANAGE_CHANNELS)
        for item in request[BODY_KEY] or []:
            channel = guild.channels.get(int(item["id"]))
            if channel is None:
                raise errors.unknown("Channel")
            if item.get("position") is not None:
                channel.position = int(item["position"])
            if "parent_id" in item:
                channel.parent_id = int(item["parent_id"]) if item["parent_id"] else None
            self._dispatch_channel("CHANNEL_UPDATE", channel)
        return no_content()

    async def active_threads(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        threads = [c for c in guild.channels.values() if c.is_thread and not c.archived]
        return json_response(
            {
                "threads": [t.payload() for t in threads],
                "members": [
                    {
                        "id": str(t.id),
                        "user_id": str(self.state.bot_user.id),
                        "join_timestamp": t.thread_members[self.state.bot_user.id],
                        "flags": 0,
                    }
                    for t in threads
                    if self.state.bot_user.id in t.thread_members
                ],
                "has_more": False,
            }
        )
