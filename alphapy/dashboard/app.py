"""The dashboard's aiohttp application: middlewares in order, templates, routes.

Order matters: security headers wrap everything (refusals included); the session is read
next; then the rate limits, the login requirement and the CSRF check, before any view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from alphapy.dashboard import auth, plugin_routes
from alphapy.dashboard.access import Access
from alphapy.dashboard.csrf import csrf_protect, csrf_token
from alphapy.dashboard.discord_api import DiscordAPI
from alphapy.dashboard.guild_data import GuildDirectory, install_rest_checks
from alphapy.dashboard.keys import (
    ACCESS_KEY,
    CHECK_LIMIT_KEY,
    GUILDS_KEY,
    LOGIN_LIMIT_KEY,
    OPTIONS_KEY,
    WRITE_LIMIT_KEY,
    Handler,
)
from alphapy.dashboard.plugin_charts import chart_figure
from alphapy.dashboard.plugin_static import static_url_helper
from alphapy.dashboard.ratelimit import TokenBuckets
from alphapy.dashboard.render import refuse
from alphapy.dashboard.security import security_headers
from alphapy.dashboard.usage_cache import UsageCache
from alphapy.dashboard.views import history, pages, rollback, settings
from alphapy.web import BOT_SOURCE

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot

HERE = Path(__file__).resolve().parent
COOKIE_NAME = "alphapy_dashboard"
SESSION_SECONDS = 7 * 24 * 3600
PUBLIC_PATHS = ("/login", "/callback", "/static/")
TOO_MANY = "Too many requests in a short time; please wait a moment and try again."


@dataclass
class DashboardOptions:
    """What the dashboard needs: Discord, the core's services, and where it is reachable."""

    api: DiscordAPI
    settings: Any  # SettingsService
    plugins: Any  # PluginManager
    public_url: str
    session_key: bytes
    clock: Callable[[], float] = time.monotonic
    login_per_minute: float = 10
    writes_per_minute: float = 30
    #: live validation asks as the host types (debounced): its own, larger bucket, so checking
    #: never eats the saves' budget
    checks_per_minute: float = 120
    burst: int = field(default=10)
    db: Any = None  # Database: usage and health reads (alphapy.dashboard.store)
    health_stale_after: float = 180.0  # seconds before the bot's last health report reads as trouble
    usage_cache: UsageCache = field(default_factory=UsageCache)
    #: the bot of this process, for plugin pages that reach its state (``bot_of(request)``);
    #: ``alphapy dashboard`` alone has none and answers ``None``
    bot_source: Callable[[], AlphapyBot | None] = lambda: None

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def create_app(options: DashboardOptions) -> web.Application:
    storage = EncryptedCookieStorage(
        options.session_key, cookie_name=COOKIE_NAME, httponly=True, samesite="Lax",
        secure=options.secure_cookies, max_age=SESSION_SECONDS,
    )
    app = web.Application(middlewares=[security_headers, session_middleware(storage), rate_limit,
                                       require_login, csrf_protect])
    app[OPTIONS_KEY] = options
    app[BOT_SOURCE] = options.bot_source
    app[ACCESS_KEY] = Access(options.api, options.clock)
    app[LOGIN_LIMIT_KEY] = TokenBuckets(options.login_per_minute, options.burst, options.clock)
    app[WRITE_LIMIT_KEY] = TokenBuckets(options.writes_per_minute, options.burst, options.clock)
    app[CHECK_LIMIT_KEY] = TokenBuckets(options.checks_per_minute, options.burst * 2, options.clock)
    app[GUILDS_KEY] = GuildDirectory(options.api, options.clock)
    install_rest_checks(options.settings, app[GUILDS_KEY])
    jinja = aiohttp_jinja2.setup(
        app, loader=plugin_routes.setup(app, options.plugins, HERE / "templates"), autoescape=True,
        context_processors=[_page_context],
    )
    jinja.globals["chart_figure"] = chart_figure
    jinja.globals["static_url"] = static_url_helper(app[plugin_routes.PAGES_KEY].static_folders)
    app.router.add_routes(auth.routes())
    app.router.add_routes(pages.routes())
    app.router.add_routes(history.routes())
    app.router.add_routes(settings.routes())
    app.router.add_routes(rollback.routes())
    app.router.add_static("/static/", HERE / "static")
    app.on_cleanup.append(_close_api)
    return app


async def _close_api(app: web.Application) -> None:
    await app[OPTIONS_KEY].api.close()


async def _page_context(request: web.Request) -> dict[str, Any]:
    session = await get_session(request)
    signed_in = "user_id" in session
    found = {"user_name": session.get("user_name") if signed_in else None,
             "csrf_token": csrf_token(session) if signed_in else ""}
    if signed_in:
        found.update(await plugin_routes.menus(request))  # the plugin pages this person may open
    return found


def _is_public(path: str) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in PUBLIC_PATHS)


@web.middleware
async def rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Logins per address; writes, and live checks apart, per session (per address before login)."""
    address = request.remote or "unknown"
    if request.path == "/login":
        if not request.app[LOGIN_LIMIT_KEY].allow(address):
            return await refuse(request, 429, TOO_MANY)
    elif request.method == "POST":
        session = await get_session(request)
        buckets = request.app[CHECK_LIMIT_KEY if settings.is_check(request) else WRITE_LIMIT_KEY]
        if not buckets.allow(str(session.get("sid") or address)):
            return await refuse(request, 429, TOO_MANY)
    return await handler(request)


@web.middleware
async def require_login(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _is_public(request.path):
        session = await get_session(request)
        if "user_id" not in session:
            raise web.HTTPFound("/login")
    return await handler(request)
