"""Premium entitlements of the application: listing and consuming them."""

from __future__ import annotations

from aiohttp import web

from .. import errors
from ..server import json_response, no_content
from .base import Route, RouteBase, parse_id, query_bool, query_int


class EntitlementRoutes(RouteBase):
    """Handlers of the entitlements resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def entitlement_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("GET", "/applications/{application_id}/entitlements", self.list_entitlements),
            ("POST", "/applications/{application_id}/entitlements/{entitlement_id}/consume", self.consume_entitlement),
        ]

    async def list_entitlements(self, request: web.Request) -> web.Response:
        app = self.state.application
        if parse_id(request.match_info["application_id"], "Application") != app.id:
            raise errors.unknown("Application")
        found = list(app.entitlements)
        user_id = query_int(request, "user_id")
        guild_id = query_int(request, "guild_id")
        sku_ids = {int(s) for s in request.query.get("sku_ids", "").split(",") if s.strip()}
        before = query_int(request, "before")
        after = query_int(request, "after")
        limit = min(max(query_int(request, "limit", 100) or 100, 1), 100)
        if user_id is not None:
            found = [e for e in found if e.user_id == user_id]
        if guild_id is not None:
            found = [e for e in found if e.guild_id == guild_id]
        if sku_ids:
            found = [e for e in found if e.sku_id in sku_ids]
        if query_bool(request, "exclude_ended"):
            found = [e for e in found if not e.ended]
        if query_bool(request, "exclude_deleted", True):
            found = [e for e in found if not e.deleted]
        if before is not None:
            found = [e for e in found if e.id < before]
        if after is not None:
            found = [e for e in found if e.id > after]
        return json_response([e.payload() for e in found[:limit]])

    async def consume_entitlement(self, request: web.Request) -> web.Response:
        entitlement_id = parse_id(request.match_info["entitlement_id"], "Entitlement")
        for e in self.state.application.entitlements:
            if e.id == entitlement_id:
                e.consumed = True
                return no_content()
        raise errors.unknown("Entitlement")
