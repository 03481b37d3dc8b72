"""A server's settings history, newest first, filtered by scope (plugin) and key.

Each row links to its rollback confirmation (:mod:`.rollback`), keeping the filters.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from alphapy.dashboard.keys import OPTIONS_KEY
from alphapy.dashboard.render import page
from alphapy.dashboard.views.pages import NOTICE_KEY, guild_or_refusal
from alphapy.settings.service import SettingsError

PAGE_SIZE = 50


async def history(request: web.Request) -> web.StreamResponse:
    guild_id, refusal = await guild_or_refusal(request)
    if refusal is not None:
        return refusal
    settings = request.app[OPTIONS_KEY].settings
    scope = request.query.get("scope") or None
    key = request.query.get("key") or None
    before = request.query.get("before", "")
    problem = None
    try:
        entries = await settings.history(guild_id, scope, key, before_id=int(before) if before.isdigit() else None,
                                         limit=PAGE_SIZE)
    except SettingsError as exc:
        entries, problem = [], str(exc)
    older = entries[-1].id if len(entries) == PAGE_SIZE else None
    return await page(request, "history.html", {
        "guild_id": guild_id, "entries": entries, "scopes": settings.registry.scopes(), "scope": scope or "",
        "key": key or "", "problem": problem, "older": older,
        "notice": (await get_session(request)).pop(NOTICE_KEY, None),
    })


def routes() -> list[web.RouteDef]:
    return [web.get("/guilds/{guild_id}/history", history)]
