"""Reading request bodies on the core's web server, for plugin routes.

``request.content.read(n)`` returns what happens to be buffered, not the body: a
delivery that arrives in several TCP segments, or chunked, comes back cut short (and
then fails its signature check). A route that needs the whole body reads it here, with
a limit that holds however the body is framed (Content-Length or chunked), and parses
JSON with :func:`parse_json`, which refuses bodies nested deeply enough to exhaust the
parser instead of letting ``RecursionError`` become a 500::

    try:
        body = await read_body(request, limit=64 * 1024)
    except BodyTooLarge:
        return web.json_response({"error": "body too large"}, status=413)
    try:
        data = parse_json(body)
    except NotJson as exc:
        return web.json_response({"error": str(exc)}, status=400)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import StreamReader, web

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot

#: set by the core's web server: the running bot of this process, or None before it connects
BOT_SOURCE: web.AppKey[Callable[[], AlphapyBot | None]] = web.AppKey("alphapy.bot_source")


def bot_of(request: web.Request) -> AlphapyBot | None:
    """The running bot, for a plugin's route handler (``None`` before it connects).

    The core's web server starts before the bot, so ``register_routes`` cannot be given
    the bot; a handler asks for it per request and reaches its plugin's state the way a
    component handler does: ``XCog.find(bot_of(request))``.
    """
    source = request.app.get(BOT_SOURCE)
    return source() if source is not None else None


class BodyTooLarge(Exception):
    """The body is longer than the route accepts (answer 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


class NotJson(ValueError):
    """The body is not JSON the route can use (answer 400); the message is for the sender."""


async def read_body(source: web.Request | StreamReader, limit: int) -> bytes:
    """The whole body, up to ``limit`` bytes; :class:`BodyTooLarge` as soon as it passes it.

    Content-Length is not trusted: a body is refused once more than ``limit`` bytes have
    arrived, so a lying or absent length (chunked transfer) cannot make us buffer more.
    """
    if isinstance(source, web.Request):
        if source.content_length is not None and source.content_length > limit:
            raise BodyTooLarge(limit)
        stream = source.content
    else:
        stream = source
    chunks: list[bytes] = []
    size = 0
    while chunk := await stream.read(limit + 1 - size):
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(body: bytes | str) -> Any:
    """The decoded JSON value; :class:`NotJson` for text that is not JSON or nests too deeply."""
    try:
        return json.loads(body)
    except RecursionError:
        raise NotJson("the body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise NotJson("the body is not JSON") from None


__all__ = ["BodyTooLarge", "NotJson", "parse_json", "read_body"]
