"""What a plugin page's handler gets: who asks, where, and the helpers to answer.

The core builds one :class:`PageContext` per request, after it has authorized it, so a
handler starts from facts (``ctx.guild_id``, ``ctx.level``) and never re-checks them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import Session

from alphapy import authority
from alphapy.dashboard.discord_api import DiscordAPIError, MyGuild
from alphapy.dashboard.guild_data import DISCORD_DOWN, GuildDirectory
from alphapy.dashboard.keys import GUILDS_KEY, OPTIONS_KEY
from alphapy.dashboard.plugin_pages import PageAccess, PluginPage
from alphapy.errors import UserError
from alphapy.premium_features import PremiumFeature, premium_features
from alphapy.settings.types import GRANT
from alphapy.web import bot_of

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot
    from alphapy.db import Database
    from alphapy.settings import SettingsService

RoleJudge = Callable[[int], str | None]
"""``judge(role_id)``: why the web user may not name that role for the bot to give (one sentence), or None."""

NOTICE_KEY = "notice"
"""The session key of the one-time sentence shown on the next page (the overview uses it too)."""


#: what a page's script sends when it previews as the host types (:attr:`PageContext.live_preview`)
LIVE_PREVIEW_HEADER = "X-Live-Preview"


@dataclass(frozen=True, slots=True)
class WebUser:
    """The person signed in with Discord."""

    id: int
    name: str


@dataclass
class PageContext:
    """One authorized request to a plugin page.

    ``guild_id``, ``guild_name`` and ``level`` (``host``, ``staff`` or ``member``) are set
    on server pages and None on your-pages; ``guilds`` lists every server the person shares
    with the bot. Changes go through the core's and the plugin's services with
    ``changed_by=ctx.user.id``, as a slash command's do.
    """

    request: web.Request
    page: PluginPage
    user: WebUser
    guild_id: int | None
    guild_name: str | None
    level: PageAccess | None
    guilds: list[MyGuild]
    db: Database
    settings: SettingsService
    csrf_token: str
    session: Session

    @property
    def plugin(self) -> str:
        return self.page.plugin

    @property
    def live_preview(self) -> bool:
        """Asked by a page's script as the host types (``X-Live-Preview: 1``), not by a
        submitted form: a refusal is then the answer itself (200), not a failed request (400)."""
        return self.request.headers.get(LIVE_PREVIEW_HEADER) == "1"

    @property
    def bot(self) -> AlphapyBot | None:
        """The bot running in this process, or None (``alphapy dashboard`` alone, or before
        it connects). An action that must also act in Discord goes through it:
        ``TicketsCog.find(ctx.bot)`` reaches the plugin's state as a component handler does."""
        return bot_of(self.request)

    @property
    def query(self) -> Any:
        """The query string's values (``ctx.query.get("page", "1")``)."""
        return self.request.query

    async def form(self) -> dict[str, str]:
        """The posted form's text fields (the CSRF token was checked before the handler ran)."""
        return {name: value for name, value in (await self.request.post()).items() if isinstance(value, str)}

    def url(self, path: str = "", **parts: str | int) -> str:
        """An address among this plugin's pages of the same kind (this server's, or yours)."""
        base = (f"/guilds/{self.guild_id}/{self.plugin}" if self.page.kind == "server" else f"/me/{self.plugin}")
        path = path.strip("/").format(**parts)
        return f"{base}/{path}" if path else base

    def guild_named(self, guild_id: int) -> MyGuild | None:
        """One of the servers the person shares with the bot, or None."""
        return next((g for g in self.guilds if g.id == guild_id), None)

    async def setting(self, key: str) -> Any:
        """This plugin's setting in this server (server pages only)."""
        if self.guild_id is None:
            raise LookupError("a your-page has no server; read settings on server pages")
        return await self.settings.get(self.guild_id, self.plugin, key)

    async def premium_features(self) -> list[PremiumFeature]:
        """What premium unlocks, as the plugins declare it (``premium_features`` hook): on a
        server page only the plugins switched on in that server, since the others unlock
        nothing there."""
        features = premium_features(self.request.app[OPTIONS_KEY].plugins)
        if self.guild_id is None:
            return features
        switched_on = {plugin: await self.settings.is_enabled(self.guild_id, plugin)
                       for plugin in {feature.plugin for feature in features}}
        return [feature for feature in features if switched_on[feature.plugin]]

    async def role_judge(self, purpose: str = GRANT) -> RoleJudge:
        """The core's role rule for this web user in this server, as ``/settings set`` applies it:
        their standing and the bot's, and the server's roles, read afresh from Discord once, so a
        form naming several roles is judged on one picture. A web user has no ``discord.Member``
        to hand to :func:`alphapy.grant_refusal`; this is its equivalent on a server page."""
        if self.guild_id is None:
            raise LookupError("a your-page has no server; judge roles on server pages")
        guild_id = self.guild_id
        directory: GuildDirectory = self.request.app[GUILDS_KEY]
        try:
            snapshot = await directory.snapshot(guild_id, fresh=True)
            actor = await directory.standing(guild_id, self.user.id)
            bot = await directory.standing(guild_id, await directory.api.bot_user_id())
        except DiscordAPIError:
            raise UserError(DISCORD_DOWN) from None

        def judge(role_id: int) -> str | None:
            refused, _notes = authority.judge_roles(snapshot.roles, [(role_id, purpose)], actor, bot=bot)
            return refused

        return judge

    def flash(self, sentence: str) -> None:
        """One sentence for the next page this person sees (after a redirect)."""
        self.session[NOTICE_KEY] = sentence

    def redirect(self, location: str) -> NoReturn:
        """Post, redirect, get: answer a form with a 303 to ``location``."""
        raise web.HTTPSeeOther(location)

    async def render(self, template: str, context: dict[str, Any] | None = None, *,
                     status: int = 200) -> web.Response:
        """Render ``<plugin>/<file>.html`` (it extends ``base.html``) with the core's values added:
        ``guild_id``, ``guild_name``, ``user``, ``flash`` (the pending sentence, shown once) and
        ``csrf_token`` for the forms; ``page_plugin`` tells ``static_url`` whose files to link."""
        values = {"guild_id": self.guild_id, "guild_name": self.guild_name, "user": self.user,
                  "level": self.level, "flash": self.session.pop(NOTICE_KEY, None),
                  "csrf_token": self.csrf_token, "page_url": self.url, "page_plugin": self.page.plugin}
        values.update(context or {})
        return aiohttp_jinja2.render_template(template, self.request, values, status=status)
