"""Messages in a channel: sending, paging, editing, deleting, reactions, pins and attachment files."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .. import errors
from ..interactions import delete_message
from ..messages import apply_edit, create_message, has_visible_content
from ..permissions import P
from ..server import BODY_KEY, FILES_KEY, json_response, no_content
from ..state import DM, Channel, Message, iso, snowflake_time_ms
from .base import Route, RouteBase, query_int

NONCE_WINDOW_S = 120.0


class MessageRoutes(RouteBase):
    """Handlers of the messages resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def message_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("POST", "/channels/{channel_id}/messages/bulk-delete", self.bulk_delete),
            ("GET", "/channels/{channel_id}/messages/pins", self.list_pins),
            ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", self.pin),
            ("DELETE", "/channels/{channel_id}/messages/pins/{message_id}", self.unpin),
            ("GET", "/channels/{channel_id}/pins", self.list_pins_legacy),
            ("PUT", "/channels/{channel_id}/pins/{message_id}", self.pin),
            ("DELETE", "/channels/{channel_id}/pins/{message_id}", self.unpin),
            ("POST", "/channels/{channel_id}/messages", self.send_message),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}", self.list_reactions),
            ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", self.add_reaction),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", self.remove_reaction),
        ]

    async def send_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body = request[BODY_KEY] or {}
        files = request[FILES_KEY]
        if channel.type == DM:
            recipient = channel.recipients[0]
            if not recipient.dms_open or recipient.bot:
                raise errors.cannot_dm()
        else:
            granted = self._perms(channel)
            if channel.is_thread:
                self._require(granted, P.SEND_MESSAGES_IN_THREADS)
                if channel.locked and not granted & P.MANAGE_THREADS:
                    raise errors.DiscordHTTPError(400, 50083, "Thread is archived")
            else:
                self._require(granted, P.SEND_MESSAGES)
            if files:
                self._require(granted, P.ATTACH_FILES)
        if not has_visible_content(body, files):
            raise errors.empty_message()
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = str(nonce)
            seen = channel._nonces.get(key)
            now = time.monotonic()
            if seen is not None and now - seen[0] < NONCE_WINDOW_S and not seen[1].deleted:
                return json_response(seen[1].payload())
        if channel.is_thread and channel.archived:
            channel.archived = False
            self._dispatch_channel("CHANNEL_UPDATE", channel)
        message = create_message(self.state, channel, self.state.bot_user, body, files)
        if nonce is not None and body.get("enforce_nonce"):
            channel._nonces[str(nonce)] = (time.monotonic(), message)
            if len(channel._nonces) > 1000:
                cutoff = time.monotonic() - NONCE_WINDOW_S
                channel._nonces = {k: v for k, v in channel._nonces.items() if v[0] >= cutoff}
        return json_response(message.payload())

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.guild is not None and not self._perms(channel) & P.READ_MESSAGE_HISTORY:
            return json_response([])
        limit = min(max(query_int(request, "limit", 50) or 50, 1), 100)
        before = query_int(request, "before")
        after = query_int(request, "after")
        around = query_int(request, "around")
        messages = channel.messages
        if around is not None:
            older = (
                [m for m in messages if m.id <= around][-(limit // 2 + limit % 2) :]
                if limit > 1
                else [m for m in messages if m.id == around]
            )
            newer = [m for m in messages if m.id > around][: limit // 2]
            chosen = older + newer
        elif after is not None:
            chosen = [m for m in messages if m.id > after][:limit]
        else:
            pool = [m for m in messages if m.id < before] if before is not None else messages
            chosen = pool[-limit:]
        return json_response([m.payload() for m in reversed(chosen)])

    async def get_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.guild is not None and not self._perms(channel) & P.READ_MESSAGE_HISTORY:
            raise errors.missing_access()
        return json_response(self._message(channel, request.match_info["message_id"]).payload())

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        body = request[BODY_KEY] or {}
        if message.author.id != self.state.bot_user.id:
            # others' messages: only the suppress-embeds flag, with Manage Messages
            if set(body) - {"flags"}:
                raise errors.cannot_edit_other()
            self._require(self._perms(channel), P.MANAGE_MESSAGES)
        apply_edit(self.state, message, body, request[FILES_KEY])
        return json_response(message.payload())

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        if message.author.id != self.state.bot_user.id:
            if channel.guild is None:
                raise errors.DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
            self._require(self._perms(channel), P.MANAGE_MESSAGES)
        delete_message(self.state, message)
        return no_content()

    async def bulk_delete(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.guild is None:
            raise errors.DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
        self._require(self._perms(channel), P.MANAGE_MESSAGES)
        ids = [int(i) for i in (request[BODY_KEY] or {}).get("messages") or []]
        if not 2 <= len(ids) <= 100:
            raise errors.invalid_form_body("messages", "Must be between 2 and 100 in length.")
        cutoff = (time.time() - 14 * 86400) * 1000
        if any(snowflake_time_ms(i) < cutoff for i in ids):
            raise errors.DiscordHTTPError(400, 50034, "You can only bulk delete messages that are under 14 days old.")
        deleted = []
        for message_id in ids:
            message = channel.message(message_id)
            if message is not None:
                channel._remove(message)
                deleted.append(str(message_id))
        assert channel.guild is not None
        self.state.dispatch(
            "MESSAGE_DELETE_BULK",
            {"ids": deleted, "channel_id": str(channel.id), "guild_id": str(channel.guild.id)},
            channel.guild.id,
        )
        return no_content()

    def _reaction_event(self, event: str, channel: Channel, message: Message, emoji: str) -> None:
        from ..state.messages import _emoji_payload

        guild = channel.guild
        data: dict[str, Any] = {
            "user_id": str(self.state.bot_user.id),
            "channel_id": str(channel.id),
            "message_id": str(message.id),
            "emoji": _emoji_payload(emoji),
            "burst": False,
            "type": 0,
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if event == "MESSAGE_REACTION_ADD":
                data["member"] = self._me(guild).payload()
                data["message_author_id"] = str(message.author.id)
        self.state.dispatch(event, data, guild.id if guild else None)

    async def add_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        emoji = request.match_info["emoji_name"]
        users = message.reactions.setdefault(emoji, set())
        if channel.guild is not None:
            granted = self._perms(channel)
            self._require(granted, P.READ_MESSAGE_HISTORY)
            if not users:
                self._require(granted, P.ADD_REACTIONS)
        if self.state.bot_user.id not in users:
            users.add(self.state.bot_user.id)
            self._reaction_event("MESSAGE_REACTION_ADD", channel, message, emoji)
        return no_content()

    async def list_reactions(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        users = sorted(message.reactions.get(request.match_info["emoji_name"], set()))
        after = query_int(request, "after", 0) or 0
        limit = min(max(query_int(request, "limit", 25) or 25, 1), 100)
        found = [self.state.users[u].payload() for u in users if u > after and u in self.state.users][:limit]
        return json_response(found)

    async def remove_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        message = self._message(channel, request.match_info["message_id"])
        emoji = request.match_info["emoji_name"]
        users = message.reactions.get(emoji)
        if users and self.state.bot_user.id in users:
            users.discard(self.state.bot_user.id)
            self._reaction_event("MESSAGE_REACTION_REMOVE", channel, message, emoji)
        return no_content()

    def _pins(self, channel: Channel) -> list[Message]:
        return [m for m in reversed(channel.messages) if m.pinned]

    async def list_pins(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        items = [{"pinned_at": m.edited_timestamp or m.timestamp, "message": m.payload()} for m in self._pins(channel)]
        return json_response({"items": items, "has_more": False})

    async def list_pins_legacy(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return json_response([m.payload() for m in self._pins(channel)])

    async def _set_pin(self, request: web.Request, pinned: bool) -> web.Response:
        channel = self._channel(request)
        if channel.guild is not None:
            granted = self._perms(channel)
            if not granted & (P.PIN_MESSAGES | P.MANAGE_MESSAGES):
                raise errors.missing_permissions()
        message = self._message(channel, request.match_info["message_id"])
        if message.pinned != pinned:
            message.pinned = pinned
            guild_id = channel.guild.id if channel.guild else None
            data: dict[str, Any] = {"channel_id": str(channel.id), "last_pin_timestamp": iso()}
            if guild_id is not None:
                data["guild_id"] = str(guild_id)
            self.state.dispatch("CHANNEL_PINS_UPDATE", data, guild_id)
            self.state.dispatch("MESSAGE_UPDATE", message.gateway_payload, guild_id)
        return no_content()

    async def pin(self, request: web.Request) -> web.Response:
        return await self._set_pin(request, True)

    async def unpin(self, request: web.Request) -> web.Response:
        return await self._set_pin(request, False)

    async def serve_attachment(self, request: web.Request) -> web.Response:
        raw = request.match_info["attachment_id"]
        attachment = self.state.attachments.get(int(raw)) if raw.isdigit() else None
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=attachment.data, content_type=attachment.content_type or "application/octet-stream")
