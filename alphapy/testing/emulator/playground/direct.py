"""Direct messages: what the bot sent the person the visitor acts as (a join DM with a
Start button, a verification result, a reminder that could not be posted), with its
buttons and menus usable, through the same drivers as in a server."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from alphapy.dashboard.render import page

from ..state import Channel, User
from .actions import act_and_follow
from .context import base_context, identity
from .keys import STATE_KEY, PlaygroundState
from .pages import REACTIONS
from .view import Names, attachment_is_image, component_blocks, find_message, messages_for

routes = web.RouteTableDef()
DM_URL = "/dm"


async def _viewer(request: web.Request) -> tuple[PlaygroundState, Any, User, Channel | None]:
    state = request.app[STATE_KEY]
    session, chosen = await identity(request)
    users = state.emu.state.users
    user = users.get(chosen) if chosen is not None else None
    if user is None or user.bot:
        guilds = state.emu.guilds
        user = guilds[0].owner.user if guilds else None
    if user is None:
        raise web.HTTPNotFound(text="The emulator has nobody to act as yet.")
    return state, session, user, state.emu.state.dm_channels.get(user.id)


@routes.get(DM_URL)
async def direct_messages(request: web.Request) -> web.StreamResponse:
    state, session, user, channel = await _viewer(request)
    names = Names(state.emu, None)
    messages = messages_for(state.emu, channel, user) if channel is not None else []
    guilds = state.emu.guilds
    return await page(request, "dm.html", {
        **base_context(session), "messages": messages, "names": names, "me": user, "dm": True,
        "blocks": lambda m: component_blocks(m.components, names), "is_image": attachment_is_image,
        "reactions": REACTIONS, "channel_url": DM_URL, "channel": channel, "members": [], "roles": [],
        "channels": [], "back": f"/g/{guilds[0].id}" if guilds else "/"})


@routes.post(DM_URL + "/m/{message_id:\\d+}/{action:click|select}")
async def use_component(request: web.Request) -> web.StreamResponse:
    state, session, user, channel = await _viewer(request)
    message_id = int(request.match_info["message_id"])
    message = find_message(state.emu, channel, message_id, user) if channel is not None else None
    if message is None:
        raise web.HTTPNotFound(text="That message is gone or not yours to see.")
    form = await request.post()
    custom_id = str(form.get("custom_id", ""))
    emu = state.emu
    if request.match_info["action"] == "click":
        action = emu.click(message, custom_id, by=user)
    else:
        action = emu.select(message, [str(v) for v in form.getall("values", [])], by=user, custom_id=custom_id)
    return await act_and_follow(state, session, action, DM_URL)

