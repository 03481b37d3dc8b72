"""Threads: opening them (alone or from a message) and their member lists."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import errors
from ..permissions import P
from ..server import BODY_KEY, json_response, no_content
from ..state import GUILD_TEXT, PRIVATE_THREAD, PUBLIC_THREAD, THREAD_TYPES, Channel, iso
from .base import Route, RouteBase, parse_id


class ThreadRoutes(RouteBase):
    """Handlers of the threads resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def thread_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self.thread_from_message),
            ("POST", "/channels/{channel_id}/threads", self.create_thread),
            ("GET", "/channels/{channel_id}/thread-members", self.list_thread_members),
            ("PUT", "/channels/{channel_id}/thread-members/@me", self.join_thread),
            ("DELETE", "/channels/{channel_id}/thread-members/@me", self.leave_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self.add_thread_member),
            ("DELETE", "/channels/{channel_id}/thread-members/{user_id}", self.remove_thread_member),
        ]

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
        return await self._thread_member(request, parse_id(request.match_info["user_id"], "User"), True)

    async def remove_thread_member(self, request: web.Request) -> web.Response:
        return await self._thread_member(request, parse_id(request.match_info["user_id"], "User"), False)
