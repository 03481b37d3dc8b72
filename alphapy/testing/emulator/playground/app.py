"""The playground's aiohttp application, assembled like the dashboard's: the same security
headers (strict CSP, no inline script), an encrypted session cookie that remembers who the
visitor is acting as, and the dashboard's CSRF check on every form."""

from __future__ import annotations

import secrets
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from alphapy.dashboard.csrf import csrf_protect
from alphapy.dashboard.keys import Handler
from alphapy.dashboard.render import refuse
from alphapy.dashboard.security import security_headers

from . import actions, direct, live, pages
from .context import identity
from .keys import STATE_KEY, PlaygroundState
from .view import acting_member

HERE = Path(__file__).resolve().parent
COOKIE_NAME = "alphapy_playground"
#: an image for verification fits; Discord's own upload limit
MAX_BODY = 11 * 1024 * 1024


def create_app(state: PlaygroundState, *, session_key: bytes | None = None) -> web.Application:
    storage = EncryptedCookieStorage(session_key or secrets.token_bytes(32), cookie_name=COOKIE_NAME,
                                     httponly=True, samesite="Lax")
    app = web.Application(middlewares=[security_headers, loopback_only, polite_errors, session_middleware(storage),
                                       csrf_protect],
                          client_max_size=MAX_BODY)
    app[STATE_KEY] = state
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    app.router.add_routes(pages.routes)
    app.router.add_routes(actions.routes)
    app.router.add_routes(live.routes)
    app.router.add_routes(direct.routes)
    app.router.add_get("/attachments/{attachment_id:\\d+}/{filename}", attachment)
    app.router.add_static("/static/", HERE / "static")
    app.on_shutdown.append(_stop_streams)
    return app


async def _stop_streams(app: web.Application) -> None:
    app[STATE_KEY].stopping.set()


#: the names a browser on this machine uses for the playground
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@web.middleware
async def loopback_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a request addressed to another host name: a web page elsewhere that rebinds
    its own name to 127.0.0.1 (DNS rebinding) must not read what anyone here may see."""
    if (request.url.host or "").lower().strip("[]") not in LOOPBACK_HOSTS:
        raise web.HTTPMisdirectedRequest(text="The playground answers on 127.0.0.1 only.")
    return await handler(request)


@web.middleware
async def polite_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refused or missing page is the one-sentence message page, not aiohttp's default."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (403, 404) and exc.text and not exc.text.startswith(str(exc.status)):
            return await refuse(request, exc.status, exc.text)
        raise


async def attachment(request: web.Request) -> web.StreamResponse:
    """A file someone attached, served from this origin (the page's CSP loads nothing else),
    only to someone who may see the channel it was posted in."""
    state = request.app[STATE_KEY]
    found = state.emu.state.attachments.get(int(request.match_info["attachment_id"]))
    if found is None or not await _may_see(request, found.url):
        raise web.HTTPNotFound(text="That file is gone or not yours to see.")
    content_type = found.content_type or "application/octet-stream"
    inline = content_type in ("image/png", "image/jpeg", "image/gif", "image/webp")
    return web.Response(body=found.data, content_type=content_type if inline else "application/octet-stream",
                        headers={"Content-Disposition": "inline" if inline else "attachment"})


async def _may_see(request: web.Request, url: str) -> bool:
    """Whether the visitor's identity may view the channel in the attachment's address
    (``.../attachments/{channel_id}/{id}/{name}``, as the emulator stores it)."""
    parts = url.split("/attachments/", 1)[-1].split("/")
    channel = request.app[STATE_KEY].emu.state.channels.get(int(parts[0])) if parts[0].isdigit() else None
    if channel is None:
        return False
    _session, chosen = await identity(request)
    if channel.guild is None:
        return chosen is not None and any(user.id == chosen for user in channel.recipients)
    return channel.visible_to(acting_member(channel.guild, chosen))
