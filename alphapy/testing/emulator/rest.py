"""The REST routes a bot uses, answering in Discord's shapes and refusing what Discord refuses.

Each handler reads the parsed body from the request (see :mod:`.server`), checks the bot's
permissions with :mod:`.permissions` (403 50013 / 50001, 50007 for closed DMs, 404 with
the right ``Unknown ...`` code), changes :mod:`.state`, sends the gateway event Discord
would send (discord.py updates its caches from those events, not from REST answers), and
answers with the payload the OpenAPI description documents. Route templates use the
spec's own parameter names, so the request log and the spec validator share them.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from alphapy.discord_rules import INVALID_FORM_BODY
from alphapy.discord_rules.commands import command_errors

from . import errors, limits
from . import permissions as perms
from .interactions import delete_message
from .messages import _strip_none, apply_edit, create_message, has_visible_content
from .permissions import P
from .server import API_PREFIX, BODY_KEY, FILES_KEY, json_response, no_content
from .state import (
    DM,
    GUILD_CATEGORY,
    GUILD_TEXT,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    THREAD_TYPES,
    ApplicationCommand,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    iso,
    snowflake_time_ms,
)

MAX_GUILD_CHANNELS = 500
MAX_CATEGORY_CHANNELS = 50

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NONCE_WINDOW_S = 120.0


def _int(value: Any, kind: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise errors.unknown(kind) from None


def _query_int(request: web.Request, name: str, default: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise errors.invalid_form_body(name, "Value is not int.") from None


def _query_bool(request: web.Request, name: str, default: bool = False) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return default
    return raw.lower() in ("1", "true", "yes")


class RestAPI:
    """The route handlers, bound to one emulator."""

    def __init__(self, emu: DiscordEmulator) -> None:
        self.emu = emu
        self.state = emu.state

    # ------------------------------------------------------------------ wiring
    def routes(self) -> list[tuple[str, str, Handler]]:
        """(method, spec path template, handler). Literal segments come before variables."""
        return [
            ("GET", "/users/@me", self.get_me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            # application commands
            ("GET", "/applications/{application_id}/commands", self.list_commands),
            ("PUT", "/applications/{application_id}/commands", self.bulk_commands),
            ("POST", "/applications/{application_id}/commands", self.create_command),
            ("GET", "/applications/{application_id}/commands/{command_id}", self.get_command),
            ("PATCH", "/applications/{application_id}/commands/{command_id}", self.edit_command),
            ("DELETE", "/applications/{application_id}/commands/{command_id}", self.delete_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self.list_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.bulk_commands),
            ("POST", "/applications/{application_id}/guilds/{guild_id}/commands", self.create_command),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.get_command),
            ("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.edit_command),
            ("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}", self.delete_command),
            ("GET", "/applications/{application_id}/entitlements", self.list_entitlements),
            ("POST", "/applications/{application_id}/entitlements/{entitlement_id}/consume", self.consume_entitlement),
            # channels
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("PATCH", "/channels/{channel_id}", self.edit_channel),
            ("DELETE", "/channels/{channel_id}", self.delete_channel),
            ("PUT", "/channels/{channel_id}/permissions/{overwrite_id}", self.put_overwrite),
            ("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}", self.delete_overwrite),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            # messages
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
            # threads
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self.create_thread),
            ("GET", "/channels/{channel_id}/thread-members", self.list_thread_members),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread),
            ("DELETE", "/channels/{channel_id}/thread-members/@me", self.leave_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member),
            ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member),
            # guilds
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.list_channels),
            ("POST", "/guilds/{guild_id}/channels", self.create_channel),
            ("PATCH", "/guilds/{guild_id}/channels", self.move_channels),
            ("GET", "/guilds/{guild_id}/threads/active", self.active_threads),
            ("GET", "/guilds/{guild_id}/roles", self.list_roles),
            ("POST", "/guilds/{guild_id}/roles", self.create_role),
            ("PATCH", "/guilds/{guild_id}/roles", self.move_roles),
            ("PATCH", "/guilds/{guild_id}/roles/{role_id}", self.edit_role),
            ("DELETE", "/guilds/{guild_id}/roles/{role_id}", self.delete_role),
            ("GET", "/guilds/{guild_id}/members/search", self.search_members),
            ("PATCH", "/guilds/{guild_id}/members/@me", self.edit_me),
            ("GET", "/guilds/{guild_id}/members", self.list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
            ("PATCH", "/guilds/{guild_id}/members/{user_id}", self.edit_member),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}", self.kick_member),
            ("GET", "/guilds/{guild_id}/bans", self.list_bans),
            ("GET", "/guilds/{guild_id}/bans/{user_id}", self.get_ban),
            ("PUT", "/guilds/{guild_id}/bans/{user_id}", self.ban),
            ("DELETE", "/guilds/{guild_id}/bans/{user_id}", self.unban),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.add_member_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self.remove_member_role),
            # interactions and their webhooks
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.interaction_callback),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.webhook_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.webhook_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.webhook_delete),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.webhook_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.webhook_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.webhook_delete),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self.webhook_execute),
        ]

    def install(self, app: web.Application) -> None:
        for method, template, handler in self.routes():
            app.router.add_route(method, API_PREFIX + template, handler)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.unknown_route)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.serve_attachment)

    async def unknown_route(self, request: web.Request) -> web.Response:
        raise errors.not_found()

    # ------------------------------------------------------------------ lookups & checks
    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(_int(request.match_info["guild_id"], "Guild"))
        if guild is None:
            raise errors.unknown("Guild")
        return guild

    def _channel(self, request: web.Request, *, view: bool = True) -> Channel:
        channel = self.state.channels.get(_int(request.match_info["channel_id"], "Channel"))
        if channel is None:
            raise errors.unknown("Channel")
        if view and channel.guild is not None and not self._perms(channel) & P.VIEW_CHANNEL:
            raise errors.missing_access()
        return channel

    def _message(self, channel: Channel, raw: str) -> Message:
        message = channel.message(_int(raw, "Message"))
        if message is None:
            raise errors.unknown("Message")
        return message

    def _member(self, guild: Guild, raw: str) -> Member:
        member = guild.members.get(_int(raw, "Member"))
        if member is None:
            raise errors.unknown("Member")
        return member

    def _me(self, guild: Guild) -> Member:
        return guild.members[self.state.bot_user.id]

    def _perms(self, channel: Channel | None, guild: Guild | None = None) -> int:
        target_guild = guild or (channel.guild if channel is not None else None)
        if target_guild is None:
            return perms.ALL
        return perms.permissions_for(self._me(target_guild), channel)

    def _require(self, granted: int, needed: int) -> None:
        if granted & needed != needed:
            raise errors.missing_permissions()

    def _check_overwrite_bits(
        self, channel_or_guild_perms: int, allow: int, deny: int, channel: Channel | None
    ) -> None:
        """Only permissions the bot has can be allowed/denied (unless it is admin or holds a
        Manage Permissions overwrite in the channel), as Discord enforces."""
        if channel_or_guild_perms == perms.ALL:
            return
        if channel is not None and channel.guild is not None:
            own = channel.overwrites.get(self.state.bot_user.id)
            if own is not None and own.allow & P.MANAGE_ROLES:
                return
        if (allow | deny) & ~channel_or_guild_perms:
            raise errors.missing_permissions()

    def _dispatch_channel(self, event: str, channel: Channel) -> None:
        guild_id = channel.guild.id if channel.guild else None
        if channel.is_thread:
            event = event.replace("CHANNEL_", "THREAD_")
        self.state.dispatch(event, channel.payload, guild_id)

    def _dispatch_member_update(self, member: Member) -> None:
        guild = member.guild
        self.state.dispatch("GUILD_MEMBER_UPDATE", lambda: {**member.payload(), "guild_id": str(guild.id)}, guild.id)

    # ------------------------------------------------------------------ users, application, gateway
    async def get_me(self, request: web.Request) -> web.Response:
        data = self.state.bot_user.payload()
        data.update(mfa_enabled=False, locale="en-US", verified=True, email=None)
        return json_response(data)

    async def get_user(self, request: web.Request) -> web.Response:
        raw = request.match_info["user_id"]
        user = self.state.users.get(_int(raw, "User"))
        if user is None:
            raise errors.unknown("User")
        return json_response(user.payload())

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(self.state.application.payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.emu.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.emu.gateway_url,
                "shards": self.emu.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    async def create_dm(self, request: web.Request) -> web.Response:
        body = request[BODY_KEY] or {}
        user = self.state.users.get(_int(body.get("recipient_id"), "User"))
        if user is None:
            raise errors.unknown("User")
        return json_response(self.state.dm_channel(user).payload())

    # ------------------------------------------------------------------ application commands
    def _command_store(self, request: web.Request) -> tuple[dict[int, ApplicationCommand], int | None]:
        app = self.state.application
        if _int(request.match_info["application_id"], "Application") != app.id:
            raise errors.unknown("Application")
        raw_guild = request.match_info.get("guild_id")
        if raw_guild is None:
            return app.commands, None
        guild_id = _int(raw_guild, "Guild")
        if guild_id not in self.state.guilds:
            raise errors.missing_access()
        return app.guild_commands.setdefault(guild_id, {}), guild_id

    def _command_from_body(
        self, body: dict[str, Any], guild_id: int | None, existing: ApplicationCommand | None
    ) -> ApplicationCommand:
        if not isinstance(body, dict) or not body.get("name"):
            raise errors.invalid_form_body("name", "This field is required")
        data = _strip_none({k: v for k, v in body.items() if k not in ("id", "application_id", "version", "guild_id")})
        kind = int(data.pop("type", None) or 1)
        if "default_member_permissions" in body and body["default_member_permissions"] is None:
            data["default_member_permissions"] = None
        if kind == 1:
            data.setdefault("description", "")
        else:
            data["description"] = ""
        app = self.state.application
        version = self.state.ids.next()
        if existing is not None:
            existing.data, existing.name, existing.type, existing.version = data, data["name"], kind, version
            return existing
        return ApplicationCommand(self.state.ids.next(), app.id, data["name"], kind, data, guild_id, version)

    async def list_commands(self, request: web.Request) -> web.Response:
        store, _ = self._command_store(request)
        return json_response([c.payload() for c in store.values()])

    async def bulk_commands(self, request: web.Request) -> web.Response:
        store, guild_id = self._command_store(request)
        body = request[BODY_KEY]
        if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
            raise errors.invalid_form_body("body", "Must be an array of commands.")
        if self.emu.command_sync_refusal is not None:
            raise errors.DiscordHTTPError(400, INVALID_FORM_BODY, "Invalid Form Body", self.emu.command_sync_refusal)
        by_key = {(c.name, c.type): c for c in store.values()}
        new: dict[int, ApplicationCommand] = {}
        for item in body:
            key = (item.get("name"), int(item.get("type") or 1))
            command = self._command_from_body(item, guild_id, by_key.get(key))
            new[command.id] = command
        store.clear()
        store.update(new)
        return json_response([c.payload() for c in store.values()])

    async def create_command(self, request: web.Request) -> web.Response:
        store, guild_id = self._command_store(request)
        body = request[BODY_KEY] or {}
        key = (body.get("name"), int(body.get("type") or 1))
        existing = next((c for c in store.values() if (c.name, c.type) == key), None)
        command = self._command_from_body(body, guild_id, existing)
        store[command.id] = command
        return json_response(command.payload(), 200 if existing else 201)

    def _command(self, request: web.Request) -> tuple[dict[int, ApplicationCommand], ApplicationCommand]:
        store, _ = self._command_store(request)
        command = store.get(_int(request.match_info["command_id"], "Application Command"))
        if command is None:
            raise errors.unknown("Application Command")
        return store, command

    async def get_command(self, request: web.Request) -> web.Response:
        return json_response(self._command(request)[1].payload())

    async def edit_command(self, request: web.Request) -> web.Response:
        _, command = self._command(request)
        merged = {**command.data, "type": command.type, **(request[BODY_KEY] or {})}
        limits.refuse(self.emu, request.method, request.path, command_errors(merged))
        self._command_from_body(merged, command.guild_id, command)
        return json_response(command.payload())

    async def delete_command(self, request: web.Request) -> web.Response:
        store, command = self._command(request)
        del store[command.id]
        return no_content()

    # ------------------------------------------------------------------ entitlements
    async def list_entitlements(self, request: web.Request) -> web.Response:
        app = self.state.application
        if _int(request.match_info["application_id"], "Application") != app.id:
            raise errors.unknown("Application")
        found = list(app.entitlements)
        user_id = _query_int(request, "user_id")
        guild_id = _query_int(request, "guild_id")
        sku_ids = {int(s) for s in request.query.get("sku_ids", "").split(",") if s.strip()}
        before = _query_int(request, "before")
        after = _query_int(request, "after")
        limit = min(max(_query_int(request, "limit", 100) or 100, 1), 100)
        if user_id is not None:
            found = [e for e in found if e.user_id == user_id]
        if guild_id is not None:
            found = [e for e in found if e.guild_id == guild_id]
        if sku_ids:
            found = [e for e in found if e.sku_id in sku_ids]
        if _query_bool(request, "exclude_ended"):
            found = [e for e in found if not e.ended]
        if _query_bool(request, "exclude_deleted", True):
            found = [e for e in found if not e.deleted]
        if before is not None:
            found = [e for e in found if e.id < before]
        if after is not None:
            found = [e for e in found if e.id > after]
        return json_response([e.payload() for e in found[:limit]])

    async def consume_entitlement(self, request: web.Request) -> web.Response:
        entitlement_id = _int(request.match_info["entitlement_id"], "Entitlement")
        for e in self.state.application.entitlements:
            if e.id == entitlement_id:
                e.consumed = True
                return no_content()
        raise errors.unknown("Entitlement")

    # ------------------------------------------------------------------ channels
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

    def _read_overwrites(
        self, channel: Channel | None, raw: list[dict[str, Any]], granted: int
    ) -> dict[int, Overwrite]:
        result: dict[int, Overwrite] = {}
        for item in raw or []:
            ow = Overwrite(
                int(item["id"]), int(item.get("type") or 0), int(item.get("allow") or 0), int(item.get("deny") or 0)
            )
            self._check_overwrite_bits(granted, ow.allow, ow.deny, channel)
            result[ow.id] = ow
        return result

    async def put_overwrite(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if channel.guild is None or channel.is_thread:
            raise errors.bad_request("Cannot execute action on this channel type", 50024)
        granted = self._perms(channel)
        self._require(granted, P.MANAGE_ROLES)
        body = request[BODY_KEY] or {}
        target = _int(request.match_info["overwrite_id"], "Overwrite")
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
        target = _int(request.match_info["overwrite_id"], "Overwrite")
        if channel.overwrites.pop(target, None) is not None:
            self._dispatch_channel("CHANNEL_UPDATE", channel)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        self._channel(request)
        return no_content()

    # ------------------------------------------------------------------ messages
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
        limit = min(max(_query_int(request, "limit", 50) or 50, 1), 100)
        before = _query_int(request, "before")
        after = _query_int(request, "after")
        around = _query_int(request, "around")
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
        from .state import _emoji_payload

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
        after = _query_int(request, "after", 0) or 0
        limit = min(max(_query_int(request, "limit", 25) or 25, 1), 100)
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

    # ------------------------------------------------------------------ threads
    def _open_thread(self, parent: Channel, thread_id: int, body: dict[str, Any], kind: int) -> Channel:
        assert parent.guild is not None
        thread = Channel(
            thread_id,
            kind,
            str(body.get("name") or "thread"),
            self.state,
            parent.guild,
            parent_id=parent.id,
            owner_id=self.state.bot_user.id,
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            invitable=bool(body.get("invitable", True)),
            create_timestamp=iso(),
        )
        thread.thread_members[self.state.bot_user.id] = iso()
        parent.guild.channels[thread.id] = thread
        self.state.channels[thread.id] = thread
        self.state.dispatch("THREAD_CREATE", lambda: {**thread.payload(), "newly_created": True}, parent.guild.id)
        return thread

    async def create_thread(self, request: web.Request) -> web.Response:
        parent = self._channel(request)
        if parent.type not in (GUILD_TEXT, 5):
            raise errors.bad_request("Cannot execute action on this channel type", 50024)
        body = request[BODY_KEY] or {}
        kind = int(body.get("type") or PRIVATE_THREAD)
        if kind not in THREAD_TYPES:
            raise errors.invalid_form_body("type", "Value must be a thread type.")
        granted = self._perms(parent)
        self._require(granted, P.CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS)
        thread = self._open_thread(parent, self.state.ids.next(), body, kind)
        return json_response(thread.payload(), 201)

    async def thread_from_message(self, request: web.Request) -> web.Response:
        parent = self._channel(request)
        message = self._message(parent, request.match_info["message_id"])
        if message.thread_id is not None:
            raise errors.DiscordHTTPError(400, 160004, "A thread has already been created for this message")
        self._require(self._perms(parent), P.CREATE_PUBLIC_THREADS)
        # A thread started from a message shares the message's id, as on Discord.
        thread = self._open_thread(parent, message.id, request[BODY_KEY] or {}, PUBLIC_THREAD)
        message.thread_id = thread.id
        return json_response(thread.payload(), 201)

    def _thread(self, request: web.Request) -> Channel:
        thread = self._channel(request)
        if not thread.is_thread:
            raise errors.bad_request("Cannot execute action on this channel type", 50024)
        return thread

    def _thread_members_event(self, thread: Channel, added: list[int], removed: list[int]) -> None:
        assert thread.guild is not None
        guild = thread.guild
        data: dict[str, Any] = {
            "id": str(thread.id),
            "guild_id": str(guild.id),
            "member_count": len(thread.thread_members),
        }
        if added:
            data["added_members"] = [
                {"id": str(thread.id), "user_id": str(u), "join_timestamp": thread.thread_members[u], "flags": 0}
                for u in added
            ]
        if removed:
            data["removed_member_ids"] = [str(u) for u in removed]
        self.state.dispatch("THREAD_MEMBERS_UPDATE", data, guild.id)

    async def list_thread_members(self, request: web.Request) -> web.Response:
        thread = self._thread(request)
        return json_response(
            [
                {"id": str(thread.id), "user_id": str(uid), "join_timestamp": ts, "flags": 0}
                for uid, ts in thread.thread_members.items()
            ]
        )

    async def _thread_member(self, request: web.Request, user_id: int, add: bool) -> web.Response:
        thread = self._thread(request)
        assert thread.guild is not None
        if user_id not in thread.guild.members:
            raise errors.unknown("Member")
        if add and user_id != self.state.bot_user.id:
            self._require(self._perms(thread), P.SEND_MESSAGES_IN_THREADS)
        if not add and user_id != self.state.bot_user.id and thread.owner_id != self.state.bot_user.id:
            self._require(self._perms(thread), P.MANAGE_THREADS)
        if add and user_id not in thread.thread_members:
            thread.thread_members[user_id] = iso()
            self._thread_members_event(thread, [user_id], [])
        elif not add and thread.thread_members.pop(user_id, None) is not None:
            self._thread_members_event(thread, [], [user_id])
        return no_content()

    async def join_thread(self, request: web.Request) -> web.Response:
        return await self._thread_member(request, self.state.bot_user.id, True)

    async def leave_thread(self, request: web.Request) -> web.Response:
        return await self._thread_member(request, self.state.bot_user.id, False)

    async def add_thread_member(self, request: web.Request) -> web.Response:
        return await self._thread_member(request, _int(request.match_info["user_id"], "User"), True)

    async def remove_thread_member(self, request: web.Request) -> web.Response:
        return await self._thread_member(request, _int(request.match_info["user_id"], "User"), False)

    # ------------------------------------------------------------------ guilds & channels
    async def get_guild(self, request: web.Request) -> web.Response:
        return json_response(self._guild(request).payload(with_counts=_query_bool(request, "with_counts")))

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

    # ------------------------------------------------------------------ roles
    async def list_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([r.payload() for r in guild.roles.values()])

    def _role(self, guild: Guild, raw: str) -> Any:
        role = guild.roles.get(_int(raw, "Role"))
        if role is None:
            raise errors.unknown("Role")
        return role

    async def create_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        granted = self._perms(None, guild)
        self._require(granted, P.MANAGE_ROLES)
        body = request[BODY_KEY] or {}
        permissions = (
            int(body.get("permissions") or 0) if body.get("permissions") is not None else guild.everyone.permissions
        )
        if granted != perms.ALL and permissions & ~granted:
            raise errors.missing_permissions()
        role = guild.add_role(
            str(body.get("name") or "new role"),
            permissions=permissions,
            color=int(body.get("color") or 0),
            hoist=bool(body.get("hoist")),
            mentionable=bool(body.get("mentionable")),
        )
        return json_response(role.payload())

    def _check_role_manageable(self, guild: Guild, role: Any) -> int:
        granted = self._perms(None, guild)
        self._require(granted, P.MANAGE_ROLES)
        if not perms.can_manage_role(self._me(guild), role):
            raise errors.missing_permissions()
        return granted

    async def edit_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        role = self._role(guild, request.match_info["role_id"])
        granted = self._check_role_manageable(guild, role) if not role.is_everyone else self._perms(None, guild)
        if role.is_everyone:
            self._require(granted, P.MANAGE_ROLES)
        body = request[BODY_KEY] or {}
        if body.get("permissions") is not None:
            new = int(body["permissions"])
            if granted != perms.ALL and (new & ~role.permissions) & ~granted:
                raise errors.missing_permissions()
            role.permissions = new
        for key in ("name", "color", "hoist", "mentionable"):
            if body.get(key) is not None:
                setattr(role, key, body[key])
        self.state.dispatch("GUILD_ROLE_UPDATE", lambda: {"guild_id": str(guild.id), "role": role.payload()}, guild.id)
        return json_response(role.payload())

    async def move_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        me = self._me(guild)
        for item in request[BODY_KEY] or []:
            role = self._role(guild, str(item.get("id")))
            self._check_role_manageable(guild, role)
            position = item.get("position")
            if position is not None:
                if int(position) >= perms.top_position(me) and guild.owner_id != me.id:
                    raise errors.missing_permissions()
                role.position = int(position)
            self.state.dispatch(
                "GUILD_ROLE_UPDATE", lambda r=role: {"guild_id": str(guild.id), "role": r.payload()}, guild.id
            )
        return json_response([r.payload() for r in guild.roles.values()])

    async def delete_role(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        role = self._role(guild, request.match_info["role_id"])
        if role.is_everyone or role.managed:
            raise errors.bad_request("Invalid Role", 50028)
        self._check_role_manageable(guild, role)
        del guild.roles[role.id]
        for member in guild.members.values():
            if role.id in member.role_ids:
                member.role_ids.remove(role.id)
        for channel in guild.channels.values():
            channel.overwrites.pop(role.id, None)
        self.state.dispatch("GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}, guild.id)
        return no_content()

    # ------------------------------------------------------------------ members
    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = min(max(_query_int(request, "limit", 1) or 1, 1), 1000)
        after = _query_int(request, "after", 0) or 0
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)[:limit]
        return json_response([m.payload() for m in members])

    async def search_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        query = (request.query.get("query") or "").lower()
        limit = min(max(_query_int(request, "limit", 1) or 1, 1), 1000)
        found = [
            m
            for m in guild.members.values()
            if m.name.lower().startswith(query) or (m.nick or "").lower().startswith(query)
        ][:limit]
        return json_response([m.payload() for m in found])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response(self._member(guild, request.match_info["user_id"]).payload())

    async def edit_me(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        me = self._me(guild)
        body = request[BODY_KEY] or {}
        if "nick" in body:
            me.nick = body["nick"] or None
            self._dispatch_member_update(me)
        return json_response(me.payload())

    async def edit_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = self._member(guild, request.match_info["user_id"])
        me = self._me(guild)
        granted = self._perms(None, guild)
        body = request[BODY_KEY] or {}
        if "nick" in body:
            if member.id == me.id:
                self._require(granted, P.CHANGE_NICKNAME)
            else:
                self._require(granted, P.MANAGE_NICKNAMES)
                if not perms.can_manage_member(me, member):
                    raise errors.missing_permissions()
            member.nick = body["nick"] or None
        if body.get("roles") is not None:
            self._require(granted, P.MANAGE_ROLES)
            wanted = [int(r) for r in body["roles"]]
            changed = set(wanted) ^ set(member.role_ids)
            for role_id in changed:
                role = guild.roles.get(role_id)
                if role is None:
                    raise errors.unknown("Role")
                if role.managed or not perms.can_manage_role(me, role):
                    raise errors.missing_permissions()
            member.role_ids = list(dict.fromkeys(r for r in wanted if r != guild.id))
        if "communication_disabled_until" in body:
            self._require(granted, P.MODERATE_MEMBERS)
            if not perms.can_manage_member(me, member) or perms.base_permissions(member) & P.ADMINISTRATOR:
                raise errors.missing_permissions()
            until = body["communication_disabled_until"]
            if until is not None:
                parsed = _dt.datetime.fromisoformat(str(until))
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=_dt.UTC)
                until = parsed.isoformat()
            member.communication_disabled_until = until
        self._dispatch_member_update(member)
        return json_response(member.payload())

    async def kick_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = self._member(guild, request.match_info["user_id"])
        self._require(self._perms(None, guild), P.KICK_MEMBERS)
        if not perms.can_manage_member(self._me(guild), member):
            raise errors.missing_permissions()
        del guild.members[member.id]
        self.state.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": member.user.payload()}, guild.id)
        return no_content()

    # ------------------------------------------------------------------ bans
    def _ban_payload(self, user_id: int, reason: str | None) -> dict[str, Any]:
        user = self.state.users.get(user_id)
        return {"user": user.payload() if user else {"id": str(user_id)}, "reason": reason}

    async def list_bans(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        self._require(self._perms(None, guild), P.BAN_MEMBERS)
        return json_response([self._ban_payload(u, r) for u, r in guild.bans.items()])

    async def get_ban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        self._require(self._perms(None, guild), P.BAN_MEMBERS)
        user_id = _int(request.match_info["user_id"], "Ban")
        if user_id not in guild.bans:
            raise errors.unknown("Ban")
        return json_response(self._ban_payload(user_id, guild.bans[user_id]))

    async def ban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        self._require(self._perms(None, guild), P.BAN_MEMBERS)
        user_id = _int(request.match_info["user_id"], "User")
        user = self.state.users.get(user_id)
        if user is None:
            raise errors.unknown("User")
        member = guild.members.get(user_id)
        if member is not None and not perms.can_manage_member(self._me(guild), member):
            raise errors.missing_permissions()
        reason = request.headers.get("X-Audit-Log-Reason")
        guild.bans[user_id] = reason
        if member is not None:
            del guild.members[user_id]
            self.state.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": user.payload()}, guild.id)
        self.state.dispatch("GUILD_BAN_ADD", {"guild_id": str(guild.id), "user": user.payload()}, guild.id)
        return no_content()

    async def unban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        self._require(self._perms(None, guild), P.BAN_MEMBERS)
        user_id = _int(request.match_info["user_id"], "Ban")
        if guild.bans.pop(user_id, 0) == 0:
            raise errors.unknown("Ban")
        user = self.state.users.get(user_id)
        if user is not None:
            self.state.dispatch("GUILD_BAN_REMOVE", {"guild_id": str(guild.id), "user": user.payload()}, guild.id)
        return no_content()

    async def _member_role(self, request: web.Request, add: bool) -> web.Response:
        guild = self._guild(request)
        member = self._member(guild, request.match_info["user_id"])
        role = self._role(guild, request.match_info["role_id"])
        self._require(self._perms(None, guild), P.MANAGE_ROLES)
        if role.managed or role.is_everyone or not perms.can_manage_role(self._me(guild), role):
            raise errors.missing_permissions()
        if add and role.id not in member.role_ids:
            member.role_ids.append(role.id)
            self._dispatch_member_update(member)
        elif not add and role.id in member.role_ids:
            member.role_ids.remove(role.id)
            self._dispatch_member_update(member)
        return no_content()

    async def add_member_role(self, request: web.Request) -> web.Response:
        return await self._member_role(request, True)

    async def remove_member_role(self, request: web.Request) -> web.Response:
        return await self._member_role(request, False)

    # ------------------------------------------------------------------ interactions & webhooks
    async def interaction_callback(self, request: web.Request) -> web.Response:
        log = self.emu.interactions
        interaction = log.for_callback(
            _int(request.match_info["interaction_id"], "interaction"), request.match_info["interaction_token"]
        )
        try:
            result = log.callback(interaction, request[BODY_KEY] or {}, request[FILES_KEY])
        except errors.DiscordHTTPError as exc:
            if interaction.response_type is None:
                # wake the waiting driver: this interaction will not get an answer
                interaction.callback_error = interaction.callback_error or exc.message
                interaction._acked.set()
            raise
        finally:
            self.emu._touch()
        if _query_bool(request, "with_response"):
            return json_response(result)
        return no_content()

    def _webhook_interaction(self, request: web.Request) -> Any:
        return self.emu.interactions.for_webhook(
            _int(request.match_info["webhook_id"], "Webhook"), request.match_info["webhook_token"]
        )

    def _message_ref(self, request: web.Request) -> str:
        return request.match_info.get("message_id", "@original")

    async def webhook_execute(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        body = request[BODY_KEY] or {}
        files = request[FILES_KEY]
        if not has_visible_content(body, files):
            raise errors.empty_message()
        message = self.emu.interactions.followup(interaction, body, files)
        if _query_bool(request, "wait"):
            return json_response(message.payload())
        return no_content()

    async def webhook_get(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        return json_response(self.emu.interactions.find_message(interaction, self._message_ref(request)).payload())

    async def webhook_edit(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        message = self.emu.interactions.edit(
            interaction, self._message_ref(request), request[BODY_KEY] or {}, request[FILES_KEY]
        )
        return json_response(message.payload())

    async def webhook_delete(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        self.emu.interactions.delete(interaction, self._message_ref(request))
        return no_content()

    # ------------------------------------------------------------------ files
    async def serve_attachment(self, request: web.Request) -> web.Response:
        raw = request.match_info["attachment_id"]
        attachment = self.state.attachments.get(int(raw)) if raw.isdigit() else None
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=attachment.data, content_type=attachment.content_type or "application/octet-stream")
