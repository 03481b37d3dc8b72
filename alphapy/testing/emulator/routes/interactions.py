"""Interaction callbacks and the interaction webhooks (original response and followups)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from .. import errors
from ..messages import has_visible_content
from ..server import BODY_KEY, FILES_KEY, json_response, no_content
from .base import Route, RouteBase, parse_id, query_bool


class InteractionRoutes(RouteBase):
    """Handlers of the interactions resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def interaction_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", self.interaction_callback),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.webhook_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.webhook_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", self.webhook_delete),
            ("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.webhook_get),
            ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.webhook_edit),
            ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", self.webhook_delete),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self.webhook_execute),
        ]

    async def interaction_callback(self, request: web.Request) -> web.Response:
        log = self.emu.interactions
        interaction = log.for_callback(
            parse_id(request.match_info["interaction_id"], "interaction"), request.match_info["interaction_token"]
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
        if query_bool(request, "with_response"):
            return json_response(result)
        return no_content()

    def _webhook_interaction(self, request: web.Request) -> Any:
        return self.emu.interactions.for_webhook(
            parse_id(request.match_info["webhook_id"], "Webhook"), request.match_info["webhook_token"]
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
        if query_bool(request, "wait"):
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
