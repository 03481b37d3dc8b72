"""A server's settings page: every declared setting with an input fit for its type.

Saving goes through ``SettingsService.set(..., from_text=True, actor=...)`` exactly as
``/settings set`` does, with the web user's :class:`~alphapy.authority.Standing` (built from
Discord's REST data) as the actor, so the type's sentences and the role rules are the
same. A refused value re-renders the page with the sentence beside its field and the text
as typed; nothing is saved. A saved one redirects (post/redirect/get) with a notice.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from alphapy.dashboard.discord_api import DiscordAPIError
from alphapy.dashboard.guild_data import DISCORD_DOWN, GuildDirectory
from alphapy.dashboard.keys import GUILDS_KEY, OPTIONS_KEY
from alphapy.dashboard.render import page, refuse
from alphapy.dashboard.settings_form import (
    SettingField,
    as_text,
    build_field,
    posted_text,
    shown,
    timezone_names,
)
from alphapy.dashboard.views.pages import NOTICE_KEY, guild_or_refusal
from alphapy.settings import CORE_SCOPE, PLUGINS_SCOPE, SettingsError, SettingSpec
from alphapy.settings.types import InvalidValue

NO_SUCH_SETTING = "There is no such setting in this server; please reload the settings page."
NOTICE_FOR_KEY = "notice_for"  # the setting a notice is about: shown beside it, where the redirect lands


def settings_url(guild_id: int, spec: SettingSpec | None = None) -> str:
    anchor = f"#setting-{spec.full_name}" if spec is not None else ""
    return f"/guilds/{guild_id}/settings{anchor}"


def _scope_order(scope: str) -> tuple[int, str]:
    return (0 if scope == CORE_SCOPE else 1, scope)


async def render_settings(request: web.Request, guild_id: int, *, refused: tuple[SettingSpec, str, str] | None = None,
                          status: int = 200) -> web.Response:
    """The page; ``refused`` is ``(spec, text as typed, sentence)`` for a value that was not saved."""
    options = request.app[OPTIONS_KEY]
    directory: GuildDirectory = request.app[GUILDS_KEY]
    try:
        snapshot = await directory.snapshot(guild_id)
    except DiscordAPIError:
        return await refuse(request, 502, DISCORD_DOWN)
    sections: dict[str, list[SettingField]] = {}
    for item in await options.settings.describe(guild_id):
        if item.spec.scope == PLUGINS_SCOPE:
            continue  # the plugin switches live on the overview
        if refused is not None and refused[0] == item.spec:
            built = build_field(item, snapshot, typed=refused[1], error=refused[2])
        else:
            built = build_field(item, snapshot)
        sections.setdefault(item.spec.scope, []).append(built)
    session = await get_session(request)
    context: dict[str, Any] = {
        "guild_id": guild_id,
        "sections": sorted(sections.items(), key=lambda pair: _scope_order(pair[0])),
        "notice": session.pop(NOTICE_KEY, None),
        "notice_for": session.pop(NOTICE_FOR_KEY, None),
        "timezones": timezone_names() if any(f.widget == "timezone" for fs in sections.values() for f in fs) else [],
    }
    return await page(request, "settings.html", context, status=status)


async def settings_page(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    return await render_settings(request, guild_id)


def _spec(request: web.Request) -> SettingSpec | None:
    spec: SettingSpec | None = request.app[OPTIONS_KEY].settings.registry.lookup(
        request.match_info["scope"], request.match_info["key"])
    return spec


async def save(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    spec = _spec(request)
    if spec is None:
        return await refuse(request, 404, NO_SUCH_SETTING)
    text = posted_text(spec, await request.post())
    session = await get_session(request)
    user_id = int(session["user_id"])
    directory: GuildDirectory = request.app[GUILDS_KEY]
    settings = request.app[OPTIONS_KEY].settings
    try:
        actor = await directory.standing(guild_id, user_id)
    except DiscordAPIError:
        return await render_settings(request, guild_id, refused=(spec, text, DISCORD_DOWN), status=502)
    try:
        entry = await settings.set(guild_id, spec.scope, spec.key, text, changed_by=user_id, from_text=True,
                                   actor=actor)
    except SettingsError as exc:
        return await render_settings(request, guild_id, refused=(spec, text, str(exc)), status=400)
    snapshot = await directory.snapshot(guild_id)
    session[NOTICE_KEY] = f"{spec.full_name} = {shown(spec, entry.new_value, snapshot)} (history #{entry.id})."
    session[NOTICE_FOR_KEY] = spec.full_name
    raise web.HTTPSeeOther(settings_url(guild_id, spec))


async def reset(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    spec = _spec(request)
    if spec is None:
        return await refuse(request, 404, NO_SUCH_SETTING)
    session = await get_session(request)
    try:
        entry = await request.app[OPTIONS_KEY].settings.reset(guild_id, spec.scope, spec.key,
                                                               changed_by=int(session["user_id"]))
    except SettingsError as exc:
        current = await request.app[OPTIONS_KEY].settings.get(guild_id, spec.scope, spec.key)
        return await render_settings(request, guild_id, refused=(spec, as_text(spec, current), str(exc)), status=400)
    snapshot = await request.app[GUILDS_KEY].snapshot(guild_id)
    default = shown(spec, spec.default, snapshot)
    if entry is None:
        session[NOTICE_KEY] = f"{spec.full_name} already has its default ({default})."
    else:
        session[NOTICE_KEY] = f"{spec.full_name} is back to its default {default} (history #{entry.id})."
    session[NOTICE_FOR_KEY] = spec.full_name
    raise web.HTTPSeeOther(settings_url(guild_id, spec))


CHECK_SUFFIX = "/check"


def is_check(request: web.Request) -> bool:
    """A live check, rate-limited apart from the writes so typing never uses up the saves: a
    POST to a setting's ``/check``, or to a plugin page registered with ``preview=True``.
    The route decides, never a header: a save cannot be passed off as a check."""
    if request.path.startswith("/guilds/") and request.path.endswith(CHECK_SUFFIX):
        return True
    from alphapy.dashboard.plugin_routes import is_preview

    return is_preview(request)


def _carries_roles(spec: SettingSpec, value: Any) -> bool:
    try:
        return value is not None and bool(spec.type.role_uses(value))
    except InvalidValue:
        return True  # judge_roles gives the sentence


async def check(request: web.Request) -> web.StreamResponse:
    """What saving this text would answer, without saving: the page's live validation.

    The same steps as :func:`save` (authorization, CSRF, the type's parsing, the server's
    channels and roles, the web user's role authority, premium) and the same sentences,
    stopping before the write. ``{"ok": true}`` or ``{"ok": false, "sentence": ...}``.
    """
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    spec = _spec(request)
    if spec is None:
        return web.json_response({"ok": False, "sentence": NO_SUCH_SETTING}, status=404)
    text = posted_text(spec, await request.post())
    user_id = int((await get_session(request))["user_id"])
    settings = request.app[OPTIONS_KEY].settings
    try:
        value = await settings.validate(guild_id, spec, text, from_text=True)
        if _carries_roles(spec, value):  # only then is the web user's standing needed (a REST call)
            actor = await request.app[GUILDS_KEY].standing(guild_id, user_id)
            await settings.judge_roles(guild_id, spec, value, actor)
        await settings._check_premium(guild_id, spec, user_id)  # the gate save() passes through set()
    except SettingsError as exc:
        return web.json_response({"ok": False, "sentence": str(exc)})
    except DiscordAPIError:
        return web.json_response({"ok": False, "sentence": DISCORD_DOWN}, status=502)
    return web.json_response({"ok": True, "sentence": ""})


def routes() -> list[web.RouteDef]:
    return [
        web.get("/guilds/{guild_id}/settings", settings_page),
        web.post("/guilds/{guild_id}/settings/{scope}/{key}", save),
        web.post("/guilds/{guild_id}/settings/{scope}/{key}/reset", reset),
        web.post("/guilds/{guild_id}/settings/{scope}/{key}" + CHECK_SUFFIX, check),
    ]
