"""Serving plugin pages: every handler wrapped in the core's rules, and the menus they fill.

Before a plugin's handler runs, the login (middleware), the CSRF check on a POST
(middleware) and the write rate limit (middleware) have passed; here come the per-request
authorization (the page's access level against the person's level in that server,
at most a minute old) and the plugin switch (switched off in that server: a polite 404,
and gone from the menu). After it: a :class:`~alphapy.errors.UserError` becomes its
sentence on the page, any other exception a 500 page that says nothing about it.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from aiohttp_session import get_session

from alphapy.dashboard import plugin_static
from alphapy.dashboard.csrf import csrf_token
from alphapy.dashboard.discord_api import DiscordAPIError
from alphapy.dashboard.keys import OPTIONS_KEY, Handler
from alphapy.dashboard.page_access import guild_choices, level_in
from alphapy.dashboard.page_context import NOTICE_KEY, PageContext, WebUser
from alphapy.dashboard.plugin_pages import PageRegistry, PluginPage, collect_pages
from alphapy.dashboard.render import refuse
from alphapy.errors import UserError
from alphapy.log import get_logger
from alphapy.redaction import describe_exception
from alphapy.staff_roles import staff_role_ids

log = get_logger(__name__)

DISCORD_DOWN = "Discord did not answer when we checked your servers; please try again in a moment."
REFUSALS = {
    "host": "You need the Manage Server permission in that server, and the bot must be in it, to open this page.",
    "staff": "Only the staff of that server can open this page.",
    "member": "You need to be a member of that server, and the bot must be in it, to open this page.",
}
SWITCHED_OFF = "There is no such page here: its plugin is switched off in this server."
MAX_MEMBER_SERVERS = 100
BROKEN = "Something went wrong on our side while making this page; please try again in a moment."


PAGES_KEY: Any = web.AppKey("alphapy_dashboard_plugin_pages", object)


def setup(app: web.Application, plugins: Any, core_templates: Path) -> jinja2.BaseLoader:
    """Collect every plugin's pages, route them, and return the template loader: the core's
    folder, then each plugin's as ``<plugin>/<file>`` (never shadowing the core's)."""
    app[PAGES_KEY] = registry = collect_pages(plugins)
    app.router.add_routes(routes(registry))
    app.router.add_routes(plugin_static.routes(registry.static_folders))  # before the core's /static/
    plugin_folders = {name: jinja2.FileSystemLoader(folder) for name, folder in registry.template_folders.items()}
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(core_templates), jinja2.PrefixLoader(plugin_folders)])


def routes(registry: PageRegistry) -> list[web.RouteDef]:
    return [web.route(method, page.route, _serving(page)) for page in registry.pages for method in page.methods]


def is_preview(request: web.Request) -> bool:
    """Whether the matched route is a plugin page registered with ``preview=True``."""
    registry: PageRegistry | None = request.app.get(PAGES_KEY)
    if registry is None:
        return False
    route = request.match_info.route.resource
    canonical = route.canonical if route is not None else None
    return any(page.preview and page.route == canonical for page in registry.pages)


def _serving(page: PluginPage) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        try:
            ctx_or_refusal = await _authorize(request, page)
        except DiscordAPIError:
            return await refuse(request, 502, DISCORD_DOWN)
        if isinstance(ctx_or_refusal, web.Response):
            return ctx_or_refusal
        return await _run(ctx_or_refusal)

    return serve


async def _authorize(request: web.Request, page: PluginPage) -> PageContext | web.Response:
    options = request.app[OPTIONS_KEY]
    session = await get_session(request)
    choices = await guild_choices(request)
    guild_id, guild_name, level = None, None, None
    if page.kind == "server":
        raw = request.match_info["guild_id"]
        guild_id = int(raw) if raw.isdigit() else 0
        level = await level_in(request, guild_id, page.plugin, staff_setting=page.staff_setting,
                               ask_roles=page.access != "member")
        if not page.allows(level):
            return await refuse(request, 403, REFUSALS[page.access])
        if not await options.settings.is_enabled(guild_id, page.plugin):
            return await refuse(request, 404, SWITCHED_OFF)
        shared = choices.find_shared(guild_id)
        guild_name = shared.name if shared is not None else None
    user = WebUser(int(session["user_id"]), str(session.get("user_name") or session["user_id"]))
    return PageContext(request=request, page=page, user=user, guild_id=guild_id, guild_name=guild_name,
                       level=level, guilds=list(choices.shared), db=options.settings.db,
                       settings=options.settings, csrf_token=csrf_token(session), session=session)


async def _run(ctx: PageContext) -> web.StreamResponse:
    try:
        return await ctx.page.handler(ctx)
    except web.HTTPException:
        raise  # redirects and the handler's own answers
    except UserError as exc:
        return await _show_refusal(ctx, exc.message)
    except Exception as exc:
        log.error("dashboard.page_failed", plugin=ctx.plugin, route=ctx.page.route, error=describe_exception(exc),
                  traceback="".join(traceback.format_exception(exc)))
        return await refuse(ctx.request, 500, BROKEN)


async def _show_refusal(ctx: PageContext, sentence: str) -> web.StreamResponse:
    """A refused form goes back to its page (or the plugin's first page) with the sentence on
    it; a refused page that is itself that place shows the sentence alone."""
    request = ctx.request
    registry: PageRegistry = request.app[PAGES_KEY]
    if request.method == "POST" and registry.serves_get(ctx.page):
        back: str | None = request.path
    else:
        home = registry.home_of(ctx.plugin, ctx.page.kind)
        back = home.url(ctx.guild_id) if home is not None else None
    if back is None or (request.method == "GET" and back == request.path):
        return await refuse(request, 400, sentence)
    ctx.session[NOTICE_KEY] = sentence
    raise web.HTTPSeeOther(back)


async def menus(request: web.Request) -> dict[str, Any]:
    """``user_pages`` for the header, and ``server_pages`` on a server's pages: only what this
    person may open, only of plugins switched on there."""
    registry: PageRegistry | None = request.app.get(PAGES_KEY)
    if registry is None:
        return {}
    found: dict[str, Any] = {"user_pages": [(p.title, p.url(), p.url() == request.path)
                                            for p in registry.user_menu()]}
    raw = request.match_info.get("guild_id", "")
    if raw.isdigit() and registry.server_menu():
        found["server_pages"] = await _server_menu(request, registry, int(raw))
    if request.path == "/" and any(p.access != "host" for p in registry.server_menu()):
        found["member_servers"] = await _member_servers(request, registry)
    return found


async def _member_servers(request: web.Request, registry: PageRegistry) -> list[tuple[str, list[tuple[str, str]]]]:
    """For the picker: servers the person is in but does not manage, with the pages they may
    open there: every member's, and a plugin's staff pages where they hold its staff role
    (the picker lists managed servers itself). Discord is asked for their roles only in a
    server where such a role is set."""
    settings = request.app[OPTIONS_KEY].settings
    shown_pages = [p for p in registry.server_menu() if p.access != "host"]
    listed = []
    try:
        choices = await guild_choices(request)
        managed = {g.id for g in choices.with_bot}
        for guild in choices.shared[:MAX_MEMBER_SERVERS]:
            if guild.id in managed:
                continue
            pages = [(p.title or p.plugin, p.url(guild.id)) for p in shown_pages
                     if await settings.is_enabled(guild.id, p.plugin) and await _may_open(request, guild.id, p)]
            if pages:
                listed.append((guild.name, pages))
    except DiscordAPIError:
        return listed  # the servers found so far; the picker itself says what it could not check
    return listed


async def _may_open(request: web.Request, guild_id: int, page: PluginPage) -> bool:
    """A member page: yes. A staff page: if the plugin's staff role is set there and held."""
    if page.access == "member":
        return True
    if not await staff_role_ids(request.app[OPTIONS_KEY].settings, guild_id, page.plugin, page.staff_setting):
        return False
    return page.allows(await level_in(request, guild_id, page.plugin, staff_setting=page.staff_setting))


async def _server_menu(request: web.Request, registry: PageRegistry, guild_id: int) -> list[tuple[str, str, bool]]:
    """(title, address, whether it is this page) of each page to list."""
    settings = request.app[OPTIONS_KEY].settings
    shown = []
    try:
        for page in registry.server_menu():
            level = await level_in(request, guild_id, page.plugin, staff_setting=page.staff_setting,
                                         ask_roles=page.access != "member")
            if page.allows(level) and await settings.is_enabled(guild_id, page.plugin):
                url = page.url(guild_id)
                shown.append((page.title or page.plugin, url, url == request.path))
    except DiscordAPIError:
        return []  # the page itself says Discord is down, or did not need it
    return shown
