"""Headers on every answer: what the browser may load, frame or leak.

No inline script and nothing from elsewhere (``default-src 'self'``), never in a frame,
no referrer leaving the site (the OAuth2 callback's URL carries a one-time code).
"""

from __future__ import annotations

from aiohttp import web

from alphapy.dashboard.keys import Handler

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _add(response, request)
        raise
    _add(response, request)
    return response


def _add(response: web.StreamResponse, request: web.Request) -> None:
    for name, value in HEADERS.items():
        if name == "Cache-Control" and request.path.startswith("/static/"):
            continue
        response.headers.setdefault(name, value)
