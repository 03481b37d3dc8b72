"""Guild members and bans: reading, searching, editing, kicking, banning and their roles."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from aiohttp import web

from .. import errors, permissions as perms
from ..permissions import P
from ..server import BODY_KEY, json_response, no_content
from .base import Route, RouteBase, parse_id, query_int


class MemberRoutes(RouteBase):
    """Handlers of the members resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def member_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
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
        ]

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = min(max(query_int(request, "limit", 1) or 1, 1), 1000)
        after = query_int(request, "after", 0) or 0
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)[:limit]
        return json_response([m.payload() for m in members])

    async def search_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        query = (request.query.get("query") or "").lower()
        limit = min(max(query_int(request, "limit", 1) or 1, 1), 1000)
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
        user_id = parse_id(request.match_info["user_id"], "Ban")
        if user_id not in guild.bans:
            raise errors.unknown("Ban")
        return json_response(self._ban_payload(user_id, guild.bans[user_id]))

    async def ban(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        self._require(self._perms(None, guild), P.BAN_MEMBERS)
        user_id = parse_id(request.match_info["user_id"], "User")
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
        user_id = parse_id(request.match_info["user_id"], "Ban")
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
