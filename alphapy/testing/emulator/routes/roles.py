"""Guild roles: creating, editing, reordering and deleting them within the bot's hierarchy."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import errors, permissions as perms
from ..permissions import P
from ..server import BODY_KEY, json_response, no_content
from ..state import Guild, Role
from .base import Route, RouteBase


class RoleRoutes(RouteBase):
    """Handlers of the roles resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def role_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("GET", "/guilds/{guild_id}/roles", self.list_roles),
            ("POST", "/guilds/{guild_id}/roles", self.create_role),
            ("PATCH", "/guilds/{guild_id}/roles", self.move_roles),
            ("PATCH", "/guilds/{guild_id}/roles/{role_id}", self.edit_role),
            ("DELETE", "/guilds/{guild_id}/roles/{role_id}", self.delete_role),
        ]

    async def list_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([r.payload() for r in guild.roles.values()])

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
            def update(r: Role = role) -> dict[str, Any]:  # built when sent, with the final positions
                return {"guild_id": str(guild.id), "role": r.payload()}

            self.state.dispatch("GUILD_ROLE_UPDATE", update, guild.id)
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
