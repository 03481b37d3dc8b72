"""OAuth2 for web apps: the consent page, codes, tokens, and the two Bearer routes a
"log in with Discord" dashboard reads (``/users/@me`` and ``/users/@me/guilds``).

The consent page lets a test or a person offline choose which emulated user they are.
Token answers follow Discord's documented shapes (``access_token``, ``token_type``,
``expires_in``, ``refresh_token``, ``scope``) and its RFC 6749 errors (``invalid_client``,
``invalid_grant``); the two user routes are validated against the OpenAPI description like
every other route.
"""

from __future__ import annotations

import base64
import html
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .. import errors
from ..permissions import base_permissions
from ..server import GRANT_KEY, json_response
from ..state import Guild, User
from ..state.oauth2 import ACCESS_TOKEN_SECONDS, Grant
from .base import Route, RouteBase, query_bool, query_int

#: Where Discord serves the consent page: on the site, not under ``/api``.
AUTHORIZE_PATH = "/oauth2/authorize"


def _oauth_error(error: str, description: str, status: int = 400) -> web.Response:
    return json_response({"error": error, "error_description": description}, status)


class OAuth2Routes(RouteBase):
    """Handlers of the OAuth2 resource, mixed into :class:`~alphapy.testing.emulator.routes.RestAPI`."""

    def oauth2_routes(self) -> list[Route]:
        """(method, spec path template, handler), literal segments before variables."""
        return [
            ("POST", "/oauth2/token/revoke", self.revoke_token),
            ("POST", "/oauth2/token", self.exchange_token),
            ("GET", "/users/@me/guilds", self.list_my_guilds),
        ]

    def install_consent_page(self, app: web.Application) -> None:
        app.router.add_get(AUTHORIZE_PATH, self.consent_page)
        app.router.add_post(AUTHORIZE_PATH, self.consent_answer)

    # -- consent page (HTML, outside the API)
    async def consent_page(self, request: web.Request) -> web.Response:
        query = request.query
        problem = self._authorize_problem(query.get("client_id", ""), query.get("response_type", "code"))
        if problem or not query.get("redirect_uri"):
            return web.Response(status=400, text=problem or "redirect_uri is required.")
        people = [u for u in self.state.users.values() if not u.bot]
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(query.get(name, ""))}">'
            for name in ("client_id", "redirect_uri", "scope", "state")
        )
        choices = "".join(
            f'<p><label><input type="radio" name="user_id" value="{u.id}"{" checked" if i == 0 else ""}> '
            f"{html.escape(u.display_name)} ({html.escape(u.name)})</label></p>"
            for i, u in enumerate(people)
        )
        app_name = html.escape(self.state.application.name)
        scopes = html.escape(query.get("scope", ""))
        page = (
            "<!doctype html><html lang=en><head><meta charset=utf-8><title>Authorize "
            f"{app_name}</title></head><body><h1>{app_name} wants to access your account</h1>"
            f"<p>Scopes: {scopes}</p><form method=post action={AUTHORIZE_PATH}>{hidden}"
            f"<fieldset><legend>Who are you?</legend>{choices}</fieldset>"
            '<button name="action" value="authorize">Authorize</button> '
            '<button name="action" value="cancel">Cancel</button></form></body></html>'
        )
        return web.Response(text=page, content_type="text/html")

    async def consent_answer(self, request: web.Request) -> web.Response:
        form = await request.post()
        client_id, redirect_uri = str(form.get("client_id", "")), str(form.get("redirect_uri", ""))
        problem = self._authorize_problem(client_id, "code")
        if problem or not redirect_uri:
            return web.Response(status=400, text=problem or "redirect_uri is required.")
        answer: dict[str, str] = {}
        user = self.state.users.get(int(str(form.get("user_id", 0) or 0))) if str(form.get("user_id", "")).isdigit() else None
        if form.get("action") != "authorize" or user is None or user.bot:
            answer["error"] = "access_denied"
        else:
            scopes = tuple(str(form.get("scope", "")).split())
            answer["code"] = self.emu.oauth2.issue_code(user.id, scopes, redirect_uri)
        if form.get("state"):
            answer["state"] = str(form["state"])
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(redirect_uri + separator + urlencode(answer))

    def _authorize_problem(self, client_id: str, response_type: str) -> str:
        if client_id != str(self.emu.oauth2.client_id):
            return "Unknown client_id."
        if response_type != "code":
            return "Only response_type=code is supported."
        return ""

    # -- tokens (form-encoded, client credentials in the body or HTTP Basic)
    async def exchange_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self._client_ok(request, form):
            return _oauth_error("invalid_client", "Client authentication failed.", 401)
        oauth2 = self.emu.oauth2
        grant_type = form.get("grant_type")
        grant: Grant | None
        if grant_type == "authorization_code":
            grant = oauth2.redeem_code(str(form.get("code", "")), str(form.get("redirect_uri", "")))
        elif grant_type == "refresh_token":
            grant = oauth2.refresh(str(form.get("refresh_token", "")))
        else:
            return _oauth_error("unsupported_grant_type", f"Unsupported grant type {grant_type!r}.")
        if grant is None:
            return _oauth_error("invalid_grant", "The code or refresh token is invalid, used or expired.")
        access, refresh = oauth2.issue_tokens(grant)
        return json_response(
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": refresh,
                "scope": " ".join(grant.scopes),
            }
        )

    async def revoke_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if not self._client_ok(request, form):
            return _oauth_error("invalid_client", "Client authentication failed.", 401)
        self.emu.oauth2.revoke(str(form.get("token", "")))
        return json_response({})

    def _client_ok(self, request: web.Request, form: Any) -> bool:
        client_id, secret = str(form.get("client_id", "")), str(form.get("client_secret", ""))
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
        oauth2 = self.emu.oauth2
        return client_id == str(oauth2.client_id) and secret == oauth2.client_secret

    # -- Bearer routes
    def bearer_user(self, request: web.Request, scope: str) -> User | None:
        """The person behind a Bearer token (None for the bot token); 401 without ``scope``."""
        grant: Grant | None = request.get(GRANT_KEY)
        if grant is None:
            return None
        if scope not in grant.scopes:
            raise errors.unauthorized()
        return self.state.users[grant.user_id]

    async def list_my_guilds(self, request: web.Request) -> web.Response:
        user = self.bearer_user(request, "guilds") or self.state.bot_user
        before = query_int(request, "before")
        after = query_int(request, "after", 0) or 0
        limit = query_int(request, "limit", 200) or 200
        if not 1 <= limit <= 200:
            raise errors.invalid_form_body("limit", "int value should be between 1 and 200.")
        with_counts = query_bool(request, "with_counts")
        mine = sorted(
            (g for g in self.state.guilds.values() if user.id in g.members),
            key=lambda g: g.id,
        )
        picked = [g for g in mine if g.id > after and (before is None or g.id < before)][:limit]
        return json_response([self._my_guild(g, user, with_counts) for g in picked])

    @staticmethod
    def _my_guild(guild: Guild, user: User, with_counts: bool) -> dict[str, Any]:
        """``MyGuildResponse``: ``permissions`` is the user's guild-wide total, as Discord computes it."""
        data: dict[str, Any] = {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "banner": None,
            "owner": guild.owner_id == user.id,
            "permissions": str(base_permissions(guild.members[user.id])),
            "features": list(guild.features),
        }
        if with_counts:
            data["approximate_member_count"] = len(guild.members)
            data["approximate_presence_count"] = len(guild.members)
        return data


__all__ = ["AUTHORIZE_PATH", "OAuth2Routes"]
