"""Where to connect: ``GET /gateway`` and ``GET /gateway/bot`` (shards and the identify budget)."""

from __future__ import annotations

from aiohttp import web

from ..server import json_response
from .base import Route, RouteBase


class GatewayRoutes(RouteBase):
    """Handlers of the gateway resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def gateway_routes(self) -> list[Route]:
        return [
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
        ]

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.emu.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        """The recommended shard count and ``session_start_limit``, which every process of a
        sharded bot reads before it identifies (``max_concurrency`` sets the buckets)."""
        return json_response(
            {
                "url": self.emu.gateway_url,
                "shards": self.emu.shard_count,
                "session_start_limit": self.emu.gateway.start_limit.payload(),
            }
        )
