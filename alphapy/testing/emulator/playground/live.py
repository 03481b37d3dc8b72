"""Live pages: a server-sent event stream that says "changed" whenever the emulator saw
something happen (the bot made a request, a visitor acted, an ephemeral answer came), and
the bot's autocomplete choices while a visitor types.

The stream wakes on the emulator's own activity signal (``wait_until``), not on a timer,
and carries no content: the page then fetches its message list, rendered on the server
for that visitor, so the stream cannot leak what another identity may see.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from ..drivers import EmulatorTimeout
from ..errors import DiscordHTTPError
from .commands import FormError, option_values
from .context import place
from .keys import STATE_KEY, PlaygroundState
from .pages import find_form

#: a comment line this often keeps proxies and the browser from closing an idle stream
KEEPALIVE_SECONDS = 15.0
#: choices Discord shows at most
MAX_CHOICES = 25

routes = web.RouteTableDef()


@routes.get("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/events")
async def events(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    state = request.app[STATE_KEY]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await response.prepare(request)
    seen = state.stamp()
    rendered = request.query.get("since")
    try:
        if rendered is not None and rendered != state.stamp_text():
            await response.write(f"event: changed\ndata: {where.channel.id}\n\n".encode())
        while not state.stopping.is_set():
            try:
                await state.emu.wait_until(_changed_since(state, seen), timeout=KEEPALIVE_SECONDS)
            except EmulatorTimeout:
                await response.write(b": keepalive\n\n")
                continue
            if state.stopping.is_set():
                break
            seen = state.stamp()
            await response.write(f"event: changed\ndata: {where.channel.id}\n\n".encode())
    except (ConnectionResetError, RuntimeError):
        pass  # the visitor left
    return response


def _changed_since(state: PlaygroundState, seen: tuple[int, int, int]) -> Callable[[], bool]:
    return lambda: state.stopping.is_set() or state.stamp() != seen


@routes.get("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/autocomplete")
async def autocomplete(request: web.Request) -> web.StreamResponse:
    """The bot's choices for the focused option, given what the form holds so far."""
    where = await place(request)
    query = dict(request.query)
    path = query.pop("command", "")
    focused = query.pop("focused", "")
    form = find_form(where, path)
    spec = form.field(focused) if form is not None else None
    if form is None or spec is None or not spec.autocomplete:
        return web.json_response({"choices": []}, status=404)
    typed = query.pop(focused, "")
    try:
        others = option_values(form, {k: v for k, v in query.items() if k != focused}, where.guild)
        choices = await where.state.emu.autocomplete(where.member, path, focused=focused, value=typed,
                                                     in_channel=where.channel, options=others)
    except (FormError, EmulatorTimeout, DiscordHTTPError, LookupError, PermissionError, ValueError, TypeError):
        return web.json_response({"choices": []})
    return web.json_response({"choices": [{"name": c.name, "value": str(c.value)} for c in choices[:MAX_CHOICES]]})
