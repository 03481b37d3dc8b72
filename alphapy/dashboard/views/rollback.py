"""Rolling a setting back from the history page: a confirmation, then the change.

The confirmation shows what the setting is now and what it will become; only its POST
(CSRF-checked like every form) calls ``SettingsService.rollback(..., actor=...)`` with the
web user's :class:`~alphapy.authority.Standing`, so a value the user could not set by hand
(a role above theirs) cannot come back through history either. The history page's filters
ride along, so the user lands back on the list they were reading.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import get_session

from alphapy.dashboard.discord_api import DiscordAPIError
from alphapy.dashboard.guild_data import DISCORD_DOWN, GuildDirectory
from alphapy.dashboard.keys import GUILDS_KEY, OPTIONS_KEY
from alphapy.dashboard.render import page, refuse
from alphapy.dashboard.settings_form import shown
from alphapy.dashboard.views.pages import NOTICE_KEY, guild_or_refusal
from alphapy.settings import HistoryEntry, SettingsError

FILTERS = ("scope", "key")


def _history_id(request: web.Request) -> int:
    raw = request.match_info["history_id"]
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


def _filters(source: Any) -> dict[str, str]:
    return {name: str(source.get(name)) for name in FILTERS if source.get(name)}


def history_url(guild_id: int, filters: dict[str, str]) -> str:
    query = urlencode(filters)
    return f"/guilds/{guild_id}/history" + (f"?{query}" if query else "")


def restores_default(entry: HistoryEntry) -> bool:
    """A rollback to this entry deletes the value (as ``SettingsService.rollback`` decides)."""
    return entry.change_type == "deleted" or (entry.change_type == "rollback" and entry.new_value is None)


async def render_confirm(request: web.Request, guild_id: int, history_id: int, filters: dict[str, str], *,
                         problem: str | None = None, status: int = 200) -> web.Response:
    settings = request.app[OPTIONS_KEY].settings
    directory: GuildDirectory = request.app[GUILDS_KEY]
    try:
        entry = await settings.history_entry(guild_id, history_id)
        spec = settings.spec(entry.scope, entry.key)
    except SettingsError as exc:
        return await refuse(request, 404, str(exc))
    try:
        snapshot = await directory.snapshot(guild_id)
    except DiscordAPIError:
        return await refuse(request, 502, DISCORD_DOWN)
    now = await settings.get(guild_id, entry.scope, entry.key)
    becomes = spec.default if restores_default(entry) else entry.new_value
    return await page(request, "rollback.html", {
        "guild_id": guild_id, "entry": entry, "setting": spec.full_name,
        "now": shown(spec, now, snapshot), "becomes": shown(spec, becomes, snapshot),
        "to_default": restores_default(entry), "filters": filters, "back": history_url(guild_id, filters),
        "problem": problem,
    }, status=status)


async def confirm_page(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    return await render_confirm(request, guild_id, _history_id(request), _filters(request.query))


async def confirm(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    history_id = _history_id(request)
    filters = _filters(await request.post())
    session = await get_session(request)
    user_id = int(session["user_id"])
    try:
        actor = await request.app[GUILDS_KEY].standing(guild_id, user_id)
    except DiscordAPIError:
        return await render_confirm(request, guild_id, history_id, filters, problem=DISCORD_DOWN, status=502)
    try:
        entry = await request.app[OPTIONS_KEY].settings.rollback(guild_id, history_id, changed_by=user_id,
                                                                 actor=actor)
    except SettingsError as exc:
        return await render_confirm(request, guild_id, history_id, filters, problem=str(exc), status=400)
    session[NOTICE_KEY] = (f"{entry.scope}.{entry.key} rolled back to history #{history_id} "
                           f"(history #{entry.id}).")
    raise web.HTTPSeeOther(history_url(guild_id, filters))


def routes() -> list[web.RouteDef]:
    return [
        web.get("/guilds/{guild_id}/history/{history_id}/rollback", confirm_page),
        web.post("/guilds/{guild_id}/history/{history_id}/rollback", confirm),
    ]
