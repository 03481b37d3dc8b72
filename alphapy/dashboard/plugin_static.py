"""A plugin's own CSS and JavaScript, served from the dashboard's origin.

The Content-Security-Policy allows script and style from ``'self'`` only, never inline: a
plugin that wants a script (drag-and-drop, a live preview) ships it as a file, declared with
``pages.static(folder)`` and served here at ``/static/plugins/<plugin>/<file>``.

Only files inside the declared folder, of the kinds a page loads, are served: anything
else (``..``, an absolute path, a link leading out, a ``.py`` file) is a plain 404, so the
folder cannot become a window onto the disk. :func:`static_url` adds the file's content hash
to its address; an address with the current hash is cached for a year (a changed file gets a
new address), any other one is revalidated on each use.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

ROUTE = "/static/plugins/{plugin}/{name:.+}"
CONTENT_TYPES: dict[str, str] = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".woff2": "font/woff2",
}
CACHED_FOR_A_YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def static_file(folders: Mapping[str, Path], plugin: str, name: str) -> Path | None:
    """The file ``name`` of ``plugin``'s static folder, or None when it is not one to serve."""
    folder = folders.get(plugin)
    if folder is None or "\\" in name or "\x00" in name:
        return None
    root = folder.resolve()
    wanted = (root / name).resolve()
    if not wanted.is_relative_to(root) or wanted.suffix.lower() not in CONTENT_TYPES or not wanted.is_file():
        return None
    if any(part.startswith(".") for part in wanted.relative_to(root).parts):
        return None
    return wanted


def fingerprint(path: Path) -> str:
    """A short hash of the file's bytes: part of its address, so a changed file is fetched anew."""
    stat = path.stat()
    return _hash_of(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _hash_of(path: Path, _mtime_ns: int, _size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def routes(folders: Mapping[str, Path]) -> list[web.RouteDef]:
    """The route serving every plugin's static files (one route; unknown plugins get a 404)."""

    async def serve(request: web.Request) -> web.StreamResponse:
        found = static_file(folders, request.match_info["plugin"], request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound(text="There is no such file.")
        response = web.FileResponse(found, headers={"Content-Type": CONTENT_TYPES[found.suffix.lower()]})
        current = request.query.get("v") == fingerprint(found)
        response.headers["Cache-Control"] = CACHED_FOR_A_YEAR if current else REVALIDATE
        return response

    return [web.get(ROUTE, serve, allow_head=True)]


def static_url_helper(folders: Mapping[str, Path]) -> Any:
    """The template global ``static_url(name, plugin=None)``: the address of one of a plugin's
    static files, with its fingerprint. The plugin defaults to the one whose page is being
    rendered (``page_plugin``, set by ``PageContext.render``); a missing file raises, so a
    typo fails the page's test instead of loading nothing in production."""

    @jinja2.pass_context
    def static_url(context: jinja2.runtime.Context, name: str, plugin: str | None = None) -> str:
        owner = plugin or str(context.get("page_plugin") or "")
        found = static_file(folders, owner, name)
        if found is None:
            raise LookupError(f"plugin {owner!r} has no static file {name!r} (declare it with pages.static)")
        return f"/static/plugins/{owner}/{name}?v={fingerprint(found)}"

    return static_url
