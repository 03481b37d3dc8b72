"""CSRF: every form carries the session's token, and a write without it is refused.

A session-bound token (created at login, kept in the encrypted cookie) compared in constant
time; ``SameSite=Lax`` cookies are the second wall.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from aiohttp_session import Session, get_session

from alphapy.dashboard.keys import Handler
from alphapy.dashboard.render import refuse

FIELD = "csrf_token"
REFUSAL = "This form has expired or did not come from this dashboard; please reload the page and try again."
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(session: Session) -> str:
    """The session's token, created on first use."""
    token = session.get(FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[FIELD] = token
    return str(token)


@web.middleware
async def csrf_protect(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE_METHODS:
        return await handler(request)
    session = await get_session(request)
    expected = session.get(FIELD)
    sent = (await request.post()).get(FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, str(expected)):
        return await refuse(request, 403, REFUSAL)
    return await handler(request)
