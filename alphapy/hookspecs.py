"""The plugin contract: every hook a plugin may implement.

A plugin is a module (or object) registered under a name, usually through the
``alphapy.plugins`` entry-point group; it implements any of the hooks below with
``@alphapy.hookimpl`` and takes only the arguments it needs, in the style of datasette
and llm. ``register_*`` hooks contribute something at start; the others are
lifecycle events and questions the core asks.

pluggy itself knows nothing of asyncio. Hooks marked *async* may be implemented with
``async def`` (or a plain function); the core calls them through
:meth:`alphapy.plugins.PluginManager.call_async`, which awaits each answer, isolates
each plugin's exception and timeout, and never lets one plugin break another. So no
hook here uses ``firstresult``: a coroutine would count as an answer.

Some arguments are supplied by the core rather than by whoever fires the hook
(:meth:`alphapy.plugins.PluginManager.provide`): ``bot`` (the running bot, ``None`` on
the command line) and ``db`` (the core's pools). A plugin firing an event of its own
(tickets' ``ticket_summarized``) passes only the event's arguments; an implementation
names ``bot`` to get it.

A plugin may declare hooks of its own for other plugins: a module of ``@hookspec``
functions exposed as ``alphapy_hookspecs`` on its plugin module (see
``alphapy_tickets.hookspecs``). Another plugin implements such a hook with
``@hookimpl(optionalhook=True)``, so that it still loads where the declaring plugin is
not installed.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from alphapy import hookspec

if TYPE_CHECKING:
    from importlib.abc import Traversable
    from pathlib import Path

    from aiohttp import web
    from discord.ext import commands

    from alphapy.bot import AlphapyBot
    from alphapy.dashboard.plugin_pages import DashboardPages
    from alphapy.db import Database
    from alphapy.demo.tour import Tour
    from alphapy.premium import PremiumStatus
    from alphapy.settings import SettingSpec, SettingType

#: what ``register_cli(commands)`` receives: argparse's sub-parser collection
SubParsers = argparse._SubParsersAction  # argparse names no public type for it


class RegisterSetting(Protocol):
    """What ``register_settings(register)`` receives: declares one setting of the plugin."""

    def __call__(self, key: str, type: str | SettingType, **options: Any) -> SettingSpec: ...


@hookspec
def register_migrations() -> str | Path | Traversable:  # type: ignore[empty-body]  # a spec: never run
    """Return the folder of this plugin's SQL migrations.

    Usually ``importlib.resources.files(__package__) / "migrations"``. Every file in it
    must be named ``<plugin>_<number>_<what>.sql`` (the ids of all plugins share one
    namespace) and may start with ``-- depends: core_0001_init`` to order itself after
    another owner's migration. A ``<id>.rollback.sql`` beside it undoes it, which
    ``alphapy migrate --rollback <plugin>`` uses. The folder must exist: a missing one is
    an error, not an empty set.
    """


@hookspec
def register_settings(register: RegisterSetting) -> None:
    """Declare this plugin's per-guild settings by calling ``register(...)``.

    ``register(key, type, default=..., help=..., premium=False, **bounds)`` declares one
    setting in the plugin's own scope (its name). Hosts change them with ``/settings`` or
    ``alphapy settings``; every change is validated against its declaration and kept in
    ``settings_history``. Read them with ``bot.settings.get(guild_id, scope, key)``.
    """


@hookspec
def register_cogs(
    bot: AlphapyBot,
) -> commands.Cog | Iterable[commands.Cog] | Awaitable[commands.Cog | Iterable[commands.Cog]] | None:
    """Return the discord.py Cogs that hold this plugin's commands and listeners.

    May be a plain or an ``async`` function and may return one Cog or a list. The core
    adds them to the bot, puts every command and listener behind the per-guild gate (a
    plugin switched off in a guild does nothing there) and records command usage.
    """


@hookspec
def register_routes(app: web.Application, db: Database) -> None:
    """Add aiohttp routes (webhooks, JSON APIs) to the core's health server.

    Use paths under ``/api/<plugin>/``. The server listens on ``HEALTH_HOST`` (loopback
    by default); routes that take input from the outside must authenticate it. ``db``
    (supplied by the core) is the process's :class:`alphapy.db.Database`, for handlers.
    """


@hookspec
def register_dashboard(pages: DashboardPages) -> None:
    """Add this plugin's pages to the hosts' web dashboard.

    ``pages`` is an :class:`alphapy.DashboardPages` bound to this plugin:
    ``pages.server_page(path, handler, title=..., access="host"|"staff"|"member",
    methods=("GET", "POST"))`` serves ``/guilds/{guild_id}/<plugin>/<path>`` and lists
    it in that server's menu; ``pages.user_page(path, handler, title=...)`` serves
    ``/me/<plugin>/<path>``, a page about the signed-in person, linked in the header;
    ``pages.templates(folder)`` adds the plugin's Jinja2 templates as ``<plugin>/<file>``
    (they extend ``base.html``). The core authorizes every request (at most a minute
    old), checks CSRF and the write rate limit on every POST, hides the pages where the
    plugin is switched off, shows a ``UserError``'s sentence, and hides other errors
    behind a polite 500 page. A handler takes an :class:`alphapy.PageContext` and returns
    ``await ctx.render("<plugin>/page.html", {...})`` or ``ctx.redirect(url)``.
    """


@hookspec
def register_cli(commands: SubParsers[argparse.ArgumentParser]) -> None:
    """Add operator commands to the ``alphapy`` command line.

    ``commands`` is argparse's sub-parser collection: ``commands.add_parser("tickets", ...)``.
    Set ``handler=`` with ``parser.set_defaults`` to a function of the parsed arguments
    returning an exit code; use :func:`alphapy.cli.context.run` to get the database and
    settings the bot uses. Keep imports inside the handler: ``alphapy --help`` loads this.
    """


@hookspec
def startup(bot: AlphapyBot) -> Awaitable[None] | None:
    """*async* The bot is about to connect: start background tasks here.

    Runs after migrations, pools and core services are up and the cogs are added.
    Keep it short; long work belongs in a task started here and stopped in
    :func:`shutdown`.
    """


@hookspec
def shutdown(bot: AlphapyBot) -> Awaitable[None] | None:
    """*async* The bot is stopping: stop tasks and flush what must not be lost.

    Runs before the pools close; each plugin gets a bounded time.
    """


@hookspec
def health(bot: AlphapyBot) -> Awaitable[dict[str, Any] | None] | dict[str, Any] | None:
    """*async* Report this plugin's own health for ``/api/health`` and ``/readyz``.

    Return a dict with at least ``status`` (``"ok"``, ``"degraded"`` or ``"down"``) and
    any figures worth showing. ``"down"`` makes ``/readyz`` answer 503.
    """


@hookspec
def premium_status(
    user_id: int, guild_id: int, bot: AlphapyBot | None, db: Database,
) -> Awaitable[PremiumStatus | None] | PremiumStatus | None:
    """*async* Answer whether ``user_id`` has premium in ``guild_id``.

    Implemented by the premium plugin; other plugins ask ``bot.premium_status(...)`` (or
    :func:`alphapy.premium.has_premium`), never the premium plugin itself. Return
    ``None`` when this implementation has no opinion, else an
    :class:`alphapy.premium.PremiumStatus`. The first non-``None`` answer wins.
    ``bot`` and ``db`` are supplied by the core (see above), so that the answering
    plugin reaches its own tables without a global.
    """


@hookspec
def premium_features() -> list[str]:  # type: ignore[empty-body]  # a spec: never run
    """What premium unlocks in this plugin: one sentence per feature, for hosts.

    The premium plugin's host page lists them under "What premium unlocks", by plugin, for
    the plugins switched on in that server (a plugin gating a feature with
    :func:`alphapy.premium.has_premium` says so here, or hosts never learn of it). Name the
    feature and the figure a host compares (a limit and the setting that holds it), in plain
    words: "Up to 500 reminders in a server instead of 50 (reminders.premium_max_per_guild)."
    Return an empty list when premium changes nothing in this plugin.
    """


@hookspec
def register_demo(tour: Tour) -> None:
    """Add this plugin's chapter to ``alphapy demo``: ``tour.chapter(title, steps)``.

    ``steps`` is ``async def steps(t)``; ``t`` acts like the people in the demo guild
    (``await t.slash(t.host, "reminder add", ...)``, ``t.click``, ``t.post``,
    ``t.member_join``) and checks what the bot answered (``t.expect(ok, "what")``). Every
    action and answer is printed as a transcript; a failed check makes the demo exit
    non-zero. See :mod:`alphapy.demo`.
    """


@hookspec
def user_data(user_id: int, db: Database) -> Awaitable[dict[str, Any] | None] | dict[str, Any] | None:
    """*async* Export what this plugin holds about a person (a data subject access request).

    ``db`` is the core's :class:`alphapy.db.Database` (the hook also runs from the
    ``alphapy user-data`` command, where no bot exists). Return a JSON-serialisable dict
    of this plugin's records about ``user_id`` (across guilds), or ``None`` when the
    plugin holds nothing.
    """


@hookspec
def forget_user(
    user_id: int, guild_id: int | None, db: Database, bot: AlphapyBot | None,
) -> Awaitable[int | None] | int | None:
    """*async* Erase what this plugin holds about a person, in one guild or (``None``) all.

    ``db`` is the core's :class:`alphapy.db.Database`. Delete or anonymise the records
    and return how many were affected. Runs from ``alphapy forget-user``. ``bot`` (supplied
    by the core, ``None`` there) lets an implementation drop what its cog has cached.
    """
