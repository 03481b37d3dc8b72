"""The server picker, a server's overview and its plugin switches."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import get_session

from alphapy.dashboard.access import GuildChoices
from alphapy.dashboard.discord_api import DiscordAPIError
from alphapy.dashboard.keys import ACCESS_KEY, OPTIONS_KEY
from alphapy.dashboard.overview import health_view, period_of, usage_view
from alphapy.dashboard.render import page, refuse, wants_json
from alphapy.dashboard.store import PERIODS
from alphapy.errors import UserError
from alphapy.plugin_switch import switch_plugin

NOT_YOURS = "You need the Manage Server permission in that server, and the bot must be in it, to open its dashboard."
DISCORD_DOWN = "Discord did not answer when we checked your servers; please try again in a moment."
NOTICE_KEY = "notice"


async def _choices(request: web.Request) -> GuildChoices:
    session = await get_session(request)
    return await request.app[ACCESS_KEY].choices(session["sid"], session["token"])


def _invite_url(request: web.Request, guild_id: int) -> str:
    api = request.app[OPTIONS_KEY].api
    query = {"client_id": str(api.client_id), "scope": "bot applications.commands", "guild_id": str(guild_id),
             "disable_guild_select": "true"}
    return api.authorize_base + "?" + urlencode(query)


async def picker(request: web.Request) -> web.StreamResponse:
    try:
        choices = await _choices(request)
    except DiscordAPIError:
        return await refuse(request, 502, DISCORD_DOWN)
    invites = [(g, _invite_url(request, g.id)) for g in choices.without_bot]
    return await page(request, "picker.html", {"guilds": choices.with_bot, "invites": invites})


async def guild_or_refusal(request: web.Request) -> tuple[int, web.Response | None]:
    raw = request.match_info["guild_id"]
    guild_id = int(raw) if raw.isdigit() else 0
    try:
        choices = await _choices(request)
    except DiscordAPIError:
        return guild_id, await refuse(request, 502, DISCORD_DOWN)
    if choices.find(guild_id) is None:
        return guild_id, await refuse(request, 403, NOT_YOURS)
    return guild_id, None


async def overview(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    options = request.app[OPTIONS_KEY]
    guild = (await _choices(request)).find(guild_id)
    plugins = [(name, await options.settings.is_enabled(guild_id, name)) for name in options.plugins.loaded]
    session = await get_session(request)
    notice = session.pop(NOTICE_KEY, None)
    period = period_of(request.query.get("period"))
    usage = await usage_view(options.usage_cache, options.db, guild_id, period,
                             await options.settings.get(guild_id, "core", "timezone"))
    health = await health_view(options.db, options.health_stale_after)
    return await page(request, "overview.html", {"guild": guild, "plugins": plugins, "notice": notice,
                                                  "periods": PERIODS.values(), "period": period, "usage": usage,
                                                  "health": health})


async def switch(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    options = request.app[OPTIONS_KEY]
    session = await get_session(request)
    wanted = (await request.post()).get("enabled")
    if wanted not in ("on", "off"):
        return await refuse(request, 400, "Choose on or off for the plugin.")
    enabled: bool | None = None  # None: refused, the switch stays as it was
    try:
        result = await switch_plugin(options.settings, options.plugins, guild_id, request.match_info["plugin"],
                                     wanted == "on", changed_by=int(session["user_id"]))
        sentence, enabled = result.sentence(bold=""), result.on
    except UserError as exc:
        sentence = exc.message
    if wants_json(request):  # the page's script updates the switch in place: no reload, no notice kept
        return web.json_response({"enabled": enabled, "sentence": sentence})
    session[NOTICE_KEY] = sentence
    raise web.HTTPSeeOther(f"/guilds/{guild_id}")


def routes() -> list[web.RouteDef]:
    return [
        web.get("/", picker),
        web.get("/guilds/{guild_id}", overview),
        web.post("/guilds/{guild_id}/plugins/{plugin}", switch),
    ]
