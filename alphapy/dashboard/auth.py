"""Log in with Discord (OAuth2 authorization code) and log out.

The ``state`` sent to Discord is random and kept in the session; a callback whose ``state``
differs (a forged or replayed link) is refused. A successful login starts a fresh session,
so a cookie planted before login is worth nothing after it.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from aiohttp_session import get_session, new_session

from alphapy.dashboard.csrf import csrf_token
from alphapy.dashboard.discord_api import DiscordAPIError
from alphapy.dashboard.keys import ACCESS_KEY, OPTIONS_KEY
from alphapy.dashboard.render import refuse

STATE_KEY = "oauth_state"
BAD_STATE = "This login link is no longer valid; please log in again."
CANCELLED = "The login was cancelled; you can log in again whenever you like."
DISCORD_DOWN = "Discord did not answer the login; please try again in a moment."


def callback_url(request: web.Request) -> str:
    return request.app[OPTIONS_KEY].public_url + "/callback"


async def login(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = state
    raise web.HTTPFound(request.app[OPTIONS_KEY].api.authorize_url(callback_url(request), state))


async def callback(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    expected = session.pop(STATE_KEY, None)
    sent = request.query.get("state", "")
    if not expected or not hmac.compare_digest(sent, str(expected)):
        return await refuse(request, 400, BAD_STATE)
    if "code" not in request.query:
        return await refuse(request, 400, CANCELLED)
    api = request.app[OPTIONS_KEY].api
    try:
        token = await api.exchange_code(request.query["code"], callback_url(request))
        me = await api.me(token)
    except DiscordAPIError:
        return await refuse(request, 502, DISCORD_DOWN)
    fresh = await new_session(request)
    fresh["user_id"] = int(me["id"])
    fresh["user_name"] = str(me.get("global_name") or me.get("username") or me["id"])
    fresh["token"] = token
    fresh["sid"] = secrets.token_urlsafe(16)
    csrf_token(fresh)
    raise web.HTTPFound("/")


async def logout(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    token, sid = session.get("token"), session.get("sid")
    if sid:
        request.app[ACCESS_KEY].forget(sid)
    if token:
        try:
            await request.app[OPTIONS_KEY].api.revoke(token)
        except DiscordAPIError:
            pass  # the session ends anyway; the token expires on its own
    session.invalidate()
    return await refuse(request, 200, "You are logged out.")


def routes() -> list[web.RouteDef]:
    return [web.get("/login", login), web.get("/callback", callback), web.post("/logout", logout)]
