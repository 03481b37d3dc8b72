"""What a plugin's ``register_dashboard(pages)`` adds: pages, who may see them, templates.

Plugins describe pages; the core (:mod:`alphapy.dashboard.plugin_routes`) serves them
behind the same login, authorization, CSRF check, write rate limit and plugin switch as
its own pages, so a plugin author writes a handler and a template, never a security check.

Two kinds of page:

- **server pages** at ``/guilds/{guild_id}/<plugin>/<path>``, in that server's menu, for
  ``host`` (Manage Server or owner), ``staff`` (host, ``core.staff_role`` or the plugin's
  own staff-role setting) or ``member`` (anyone in a server the bot shares);
- **your pages** at ``/me/<plugin>/<path>``, about the signed-in person across servers
  ("Your premium"), linked in the header for everyone signed in.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from alphapy.staff_roles import DEFAULT_PLUGIN_KEY

if TYPE_CHECKING:
    from aiohttp import web

    from alphapy.dashboard.page_context import PageContext

PageAccess = Literal["host", "staff", "member"]
PageKind = Literal["server", "user"]
PageHandler = Callable[["PageContext"], Awaitable["web.StreamResponse"]]

ACCESS_RANK: dict[str, int] = {"member": 0, "staff": 1, "host": 2}
METHODS = frozenset({"GET", "POST"})
SEGMENT = r"(?:[a-z0-9][a-z0-9_-]*|\{[a-z][a-z0-9_]*\})"
PATH = re.compile(rf"(?:{SEGMENT}(?:/{SEGMENT})*)?")
RESERVED_PLACEHOLDERS = frozenset({"guild_id"})
CORE_SEGMENTS = frozenset({"plugins", "history", "settings", "overview", "static"})
"""Words the core's own server pages use after ``/guilds/{guild_id}/``: no plugin's pages go there."""


class PageRegistrationError(ValueError):
    """A page a plugin tried to add is malformed or clashes with another; the message says which."""


@dataclass(frozen=True, slots=True)
class PluginPage:
    """One page of one plugin, as registered."""

    plugin: str
    kind: PageKind
    path: str
    handler: PageHandler
    title: str | None
    methods: tuple[str, ...]
    access: PageAccess
    staff_setting: str
    preview: bool = False

    @property
    def route(self) -> str:
        """The aiohttp route (with ``{guild_id}`` for server pages)."""
        base = f"/guilds/{{guild_id}}/{self.plugin}" if self.kind == "server" else f"/me/{self.plugin}"
        return f"{base}/{self.path}" if self.path else base

    def url(self, guild_id: int | None = None, **parts: str | int) -> str:
        """The page's address, its placeholders filled in."""
        return self.route.format(guild_id=guild_id, **parts)

    @property
    def in_menu(self) -> bool:
        """Titled, opened with GET, and with no placeholder a menu could not fill."""
        return bool(self.title) and "GET" in self.methods and "{" not in self.path

    def allows(self, level: PageAccess | None) -> bool:
        return level is not None and ACCESS_RANK[level] >= ACCESS_RANK[self.access]


class DashboardPages:
    """The ``pages`` argument of ``register_dashboard``: bound to one plugin.

    ``pages.server_page("", overview, title="Tickets", access="staff")`` adds
    ``/guilds/{guild_id}/tickets`` to each server's menu for staff;
    ``pages.user_page("", mine, title="Your premium")`` adds ``/me/premium`` to the header;
    ``pages.templates(files(__package__) / "templates")`` makes ``<plugin>/page.html``
    available to :meth:`PageContext.render`. A page without a ``title`` is reachable but
    not in a menu (a confirmation step, a detail page).
    """

    def __init__(self, plugin: str) -> None:
        self.plugin = plugin
        self.pages: list[PluginPage] = []
        self.template_folder: Path | None = None
        self.static_folder: Path | None = None

    def server_page(self, path: str, handler: PageHandler, *, title: str | None = None,
                    access: PageAccess = "host", methods: Iterable[str] = ("GET",),
                    staff_setting: str = DEFAULT_PLUGIN_KEY, preview: bool = False) -> PluginPage:
        """A page of one server. ``staff_setting`` names this plugin's role setting that also
        counts as staff for ``access="staff"`` (when the plugin declares it).

        ``preview=True`` marks a page that answers what a form would do and never saves (a
        page's script asks it as the host types): its POSTs count against the live-check
        limit instead of the save limit, so typing never uses up the saves. Which limit
        applies is decided here, by the route, never by the request.
        """
        if access not in ACCESS_RANK:
            raise PageRegistrationError(f"access must be host, staff or member, not {access!r}")
        return self._add("server", path, handler, title, methods, access, staff_setting, preview)

    def user_page(self, path: str, handler: PageHandler, *, title: str | None = None,
                  methods: Iterable[str] = ("GET",)) -> PluginPage:
        """A page about the signed-in person (their subscription, their reminders everywhere)."""
        return self._add("user", path, handler, title, methods, "member", DEFAULT_PLUGIN_KEY)

    def templates(self, folder: str | Path | Any) -> None:
        """This plugin's templates folder; its files are ``<plugin>/<file>`` and may extend ``base.html``."""
        self.template_folder = Path(str(folder))
        if not self.template_folder.is_dir():
            raise PageRegistrationError(f"the templates folder {self.template_folder} does not exist")

    def static(self, folder: str | Path | Any) -> None:
        """This plugin's CSS and JavaScript, served at ``/static/plugins/<plugin>/<file>``; a
        template links one with ``{{ static_url("editor.js") }}``. The dashboard refuses inline
        script, so a page's script lives here."""
        self.static_folder = Path(str(folder))
        if not self.static_folder.is_dir():
            raise PageRegistrationError(f"the static folder {self.static_folder} does not exist")

    def _add(self, kind: PageKind, path: str, handler: PageHandler, title: str | None, methods: Iterable[str],
             access: PageAccess, staff_setting: str, preview: bool = False) -> PluginPage:
        path = path.strip("/")
        if self.plugin in CORE_SEGMENTS:
            raise PageRegistrationError(f"a plugin named {self.plugin!r} cannot add pages: the core's pages use that name")
        if not PATH.fullmatch(path):
            raise PageRegistrationError(
                f"page path {path!r}: use lower-case words, digits, - and _, and {{placeholders}}, between /")
        if RESERVED_PLACEHOLDERS & set(re.findall(r"\{(\w+)\}", path)):
            raise PageRegistrationError(f"page path {path!r}: {{guild_id}} is the core's; name it otherwise")
        wanted = tuple(sorted({m.upper() for m in methods}))
        if not wanted or not set(wanted) <= METHODS:
            raise PageRegistrationError(f"page methods must be GET and/or POST, not {list(methods)!r}")
        if not callable(handler):
            raise PageRegistrationError(f"the handler of page {path!r} is not callable")
        page = PluginPage(self.plugin, kind, path, handler, title, wanted, access, staff_setting, preview)
        for other in self.pages:
            if other.route == page.route and set(other.methods) & set(wanted):
                raise PageRegistrationError(f"page {page.route} is registered twice")
        self.pages.append(page)
        return page


@dataclass
class PageRegistry:
    """Every plugin's pages and template folders, collected once when the app is made."""

    pages: list[PluginPage] = field(default_factory=list)
    template_folders: dict[str, Path] = field(default_factory=dict)
    static_folders: dict[str, Path] = field(default_factory=dict)

    def add(self, registered: DashboardPages) -> None:
        self.pages.extend(registered.pages)
        if registered.template_folder is not None:
            self.template_folders[registered.plugin] = registered.template_folder
        if registered.static_folder is not None:
            self.static_folders[registered.plugin] = registered.static_folder

    def server_menu(self) -> list[PluginPage]:
        return [p for p in self.pages if p.kind == "server" and p.in_menu]

    def user_menu(self) -> list[PluginPage]:
        return [p for p in self.pages if p.kind == "user" and p.in_menu]

    def serves_get(self, page: PluginPage) -> bool:
        """Whether the page's address also answers GET (it may be registered as its own page)."""
        return any(p.route == page.route and "GET" in p.methods for p in self.pages)

    def home_of(self, plugin: str, kind: PageKind) -> PluginPage | None:
        """Where a refused form goes back to: the plugin's first menu page of that kind."""
        return next((p for p in self.pages if p.plugin == plugin and p.kind == kind and p.in_menu), None)


def collect_pages(plugins: Any) -> PageRegistry:
    """Ask every plugin's ``register_dashboard``; a plugin whose registration fails adds nothing."""
    from alphapy.log import get_logger
    from alphapy.redaction import describe_exception

    registry = PageRegistry()
    bound: dict[str, DashboardPages] = {}

    def pages_for(name: str) -> dict[str, Any]:
        bound[name] = DashboardPages(name)
        return {"pages": bound[name]}

    for result in plugins.call_each("register_dashboard", per_plugin=pages_for):
        if result.error is not None:
            get_logger(__name__).error("dashboard.pages_refused", plugin=result.plugin,
                                       error=describe_exception(result.error))
            continue
        registry.add(bound[result.plugin])
    return registry
