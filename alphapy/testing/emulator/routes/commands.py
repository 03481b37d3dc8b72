"""Application commands, global and per guild, checked against Discord's command rules."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from alphapy.discord_rules import INVALID_FORM_BODY
from alphapy.discord_rules.commands import command_errors

from .. import errors, limits
from ..messages import _strip_none
from ..server import BODY_KEY, json_response, no_content
from ..state import ApplicationCommand
from .base import Route, RouteBase, parse_id


class CommandRoutes(RouteBase):
    """Handlers of the commands resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def command_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
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
        ]

    def _command_store(self, request: web.Request) -> tuple[dict[int, ApplicationCommand], int | None]:
        app = self.state.application
        if parse_id(request.match_info["application_id"], "Application") != app.id:
            raise errors.unknown("Application")
        raw_guild = request.match_info.get("guild_id")
        if raw_guild is None:
            return app.commands, None
        guild_id = parse_id(raw_guild, "Guild")
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
        command = store.get(parse_id(request.match_info["command_id"], "Application Command"))
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
