"""Pages and refusals rendered the same way everywhere (one template, one sentence)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

#: the header ``static/enhance.js`` sends when it wants a small JSON answer instead of a page
ENHANCED_HEADER = "X-Alphapy-Enhanced"


def wants_json(request: web.Request) -> bool:
    """Asked by the page's script (progressive enhancement), not by a plain form post."""
    return request.headers.get(ENHANCED_HEADER) == "1"


async def page(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template(template, request, context, status=status)


async def refuse(request: web.Request, status: int, sentence: str) -> web.Response:
    """A refusal page: the status and one polite sentence, nothing about why beyond it."""
    return aiohttp_jinja2.render_template("message.html", request, {"message": sentence}, status=status)
