"""Users and the application: who the bot is (where to connect: :mod:`.gateway`)."""

from __future__ import annotations

from aiohttp import web

from .. import errors
from ..server import BODY_KEY, GRANT_KEY, json_response
from .base import Route, RouteBase, parse_id


class UserRoutes(RouteBase):
    """Handlers of the users resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def user_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("GET", "/users/@me", self.get_me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
        ]

    async def get_me(self, request: web.Request) -> web.Response:
        """The bot, or with an OAuth2 Bearer token (scope ``identify``) the person who logged in."""
        grant = request.get(GRANT_KEY)
        if grant is not None and "identify" not in grant.scopes:
            raise errors.unauthorized()
        user = self.state.users[grant.user_id] if grant is not None else self.state.bot_user
        data = user.payload()
        data.update(mfa_enabled=False, locale="en-US", verified=True, email=None)
        return json_response(data)

    async def get_user(self, request: web.Request) -> web.Response:
        raw = request.match_info["user_id"]
        user = self.state.users.get(parse_id(raw, "User"))
        if user is None:
            raise errors.unknown("User")
        return json_response(user.payload())

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(self.state.application.payload())

    async def create_dm(self, request: web.Request) -> web.Response:
        body = request[BODY_KEY] or {}
        user = self.state.users.get(parse_id(body.get("recipient_id"), "User"))
        if user is None:
            raise errors.unknown("User")
        return json_response(self.state.dm_channel(user).payload())
