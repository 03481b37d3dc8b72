"""The REST routes a bot uses, answering in Discord's shapes and refusing what Discord refuses.

Each handler reads the parsed body from the request (see :mod:`.server`), checks the bot's
permissions with :mod:`.permissions` (403 50013 / 50001, 50007 for closed DMs, 404 with
the right ``Unknown ...`` code), changes :mod:`.state`, sends the gateway event Discord
would send (discord.py updates its caches from those events, not from REST answers), and
answers with the payload the OpenAPI description documents. Route templates use the
spec's own parameter names, so the request log and the spec validator share them.

One module per Discord resource, each a mixin of :class:`RestAPI` that lists its own routes
(``users``, ``gateway``, ``commands``, ``entitlements``, ``channels``, ``messages``, ``threads``, ``guilds``,
``roles``, ``members``, ``interactions``, ``oauth2``); :mod:`.base` holds the lookups and checks they share.
"""

from __future__ import annotations

from aiohttp import web

from .. import errors
from ..server import API_PREFIX
from .base import Route
from .channels import ChannelRoutes
from .commands import CommandRoutes
from .entitlements import EntitlementRoutes
from .gateway import GatewayRoutes
from .guilds import GuildRoutes
from .interactions import InteractionRoutes
from .members import MemberRoutes
from .messages import MessageRoutes
from .oauth2 import OAuth2Routes
from .roles import RoleRoutes
from .threads import ThreadRoutes
from .users import UserRoutes


class RestAPI(
    UserRoutes,
    GatewayRoutes,
    CommandRoutes,
    EntitlementRoutes,
    ChannelRoutes,
    MessageRoutes,
    ThreadRoutes,
    GuildRoutes,
    RoleRoutes,
    MemberRoutes,
    InteractionRoutes,
    OAuth2Routes,
):
    """The route handlers, bound to one emulator."""

    def routes(self) -> list[Route]:
        """(method, spec path template, handler) of every resource, in registration order."""
        return [
            *self.user_routes(),
            *self.gateway_routes(),
            *self.command_routes(),
            *self.entitlement_routes(),
            *self.channel_routes(),
            *self.message_routes(),
            *self.thread_routes(),
            *self.guild_routes(),
            *self.role_routes(),
            *self.member_routes(),
            *self.interaction_routes(),
            *self.oauth2_routes(),
        ]

    def install(self, app: web.Application) -> None:
        for method, template, handler in self.routes():
            app.router.add_route(method, API_PREFIX + template, handler)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self.unknown_route)
        self.install_consent_page(app)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self.serve_attachment)

    async def unknown_route(self, request: web.Request) -> web.Response:
        raise errors.not_found()


__all__ = ["RestAPI"]
