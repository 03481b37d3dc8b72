"""One channel: reading, editing and deleting it, its permission overwrites, typing."""

from __future__ import annotations

from aiohttp import web

from .. import errors
from ..permissions import P
from ..server import BODY_KEY, json_response, no_content
from ..state import DM, Overwrite
from .base import Route, RouteBase, parse_id


class ChannelRoutes(RouteBase):
    """Handlers of the channels resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def channel_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("PATCH", "/channels/{channel_id}", self.edit_channel),
            ("DELETE", "/channels/{channel_id}", self.delete_channel),
            ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", self.put_overwrite),
            ("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", self.delete_overwrite),
            ("POST", "/channels/{channel_id}/typing", self.typing),
        ]

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request).payload())

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body = request[BODY_KEY] or {}
        if channel.type == DM:
            raise errors.missing_permissions()
        granted = self._perms(channel)
        if channel.is_thread:
            if channel.owner_id != self.state.bot_user.id:
                self._require(granted, P.MANAGE_THREADS)
        else:
            self._require(granted, P.MANAGE_CHANNELS)
        if "permission_overwrites" in body and body["permission_overwrites"] is not None:
            self._require(granted, P.MANAGE_ROLES)
            channel.overwrites = self._read_overwrites(channel, body["permission_overwrites"], granted)
        for key in (
            "name",
            "topic",
            "nsfw",
            "rate_limit_per_user",
            "position",
            "archived",
            "locked",
            "invitable",
            "auto_archive_duration",
            "flags",
        ):
            if key in body and body[key] is not None:
                setattr(channel, key, body[key])
        if "topic" in body and body["topic"] is None:
            channel.topic = None
        if "parent_id" in body:
            parent = body["parent_id"]
            channel.parent_id = int(parent) if parent is not None else None
        self._dispatch_channel("CHANNEL_UPDATE", channel)
        return json_response(channel.payload())

    async def delete_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.guild is not None:
            granted = self._perms(channel)
            self._require(granted, P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS)
            payload = channel.payload()
            channel.guild.channels.pop(channel.id, None)
            self.state.channels.pop(channel.id, None)
            if channel.is_thread:
                self.state.dispatch(
                    "THREAD_DELETE",
                    {
                        "id": str(channel.id),
                        "guild_id": str(channel.guild.id),
                        "parent_id": str(channel.parent_id),
                        "type": channel.type,
                    },
                    channel.guild.id,
                )
            else:
                self.state.dispatch("CHANNEL_DELETE", payload, channel.guild.id)
            return json_response(payload)
        return json_response(channel.payload())  # closing a DM keeps it on our side

    async def put_overwrite(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.guild is None or channel.is_thread:
            raise errors.bad_request("Cannot execute action on this channel type", 50024)
        granted = self._perms(channel)
        self._require(granted, P.MANAGE_ROLES)
        body = request[BODY_KEY] or {}
        target = parse_id(request.match_info["overwrite_id"], "Overwrite")
        kind = int(body.get("type") or 0)
        if kind == 0 and target not in channel.guild.roles:
            raise errors.unknown("Role")
        if kind == 1 and target not in channel.guild.members:
            raise errors.unknown("Member")
        allow, deny = int(body.get("allow") or 0), int(body.get("deny") or 0)
        self._check_overwrite_bits(granted, allow, deny, channel)
        channel.overwrites[target] = Overwrite(target, kind, allow, deny)
        self._dispatch_channel("CHANNEL_UPDATE", channel)
        return no_content()

    async def delete_overwrite(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self._require(self._perms(channel), P.MANAGE_ROLES)
        target = parse_id(request.match_info["overwrite_id"], "Overwrite")
        if channel.overwrites.pop(target, None) is not None:
            self._dispatch_channel("CHANNEL_UPDATE", channel)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()
