"""The pages a visitor reads: a server's channel with its messages, members and the
command bar; a command's form; a modal the bot opened."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from alphapy.dashboard.csrf import csrf_token
from alphapy.dashboard.render import page

from ..permissions import P
from .commands import CommandForm, command_forms
from .context import Place, base_context, channel_url, first_channel, identity, place
from .keys import STATE_KEY
from .view import (
    Names,
    acting_member,
    attachment_is_image,
    component_blocks,
    label_of,
    member_groups,
    messages_for,
    people,
    visible_channels,
)

#: reactions offered on every message
REACTIONS = ("👍", "✅", "❤️", "🎉", "😂")
#: messages a channel page shows (the newest); older ones are a scroll away on Discord
SHOWN_MESSAGES = 100

routes = web.RouteTableDef()


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    emu = request.app[STATE_KEY].emu
    guilds = emu.guilds
    if not guilds:
        return await page(request, "message.html", {"message": "The emulator has no server yet."})
    raise web.HTTPFound(f"/g/{guilds[0].id}")


@routes.get("/g/{guild_id:\\d+}")
async def guild_home(request: web.Request) -> web.StreamResponse:
    emu = request.app[STATE_KEY].emu
    guild = emu.state.guilds.get(int(request.match_info["guild_id"]))
    if guild is None:
        raise web.HTTPNotFound(text="There is no such server in the emulator.")
    _session, chosen = await identity(request)
    channel = first_channel(guild, acting_member(guild, chosen))
    if channel is None:
        return await page(request, "message.html", {"message": "This person cannot see any channel here."})
    raise web.HTTPFound(channel_url(guild, channel))


def message_context(where: Place) -> dict[str, Any]:
    """What the message list needs (the channel page and the live fragment)."""
    emu = where.state.emu
    shown = messages_for(emu, where.channel, where.member.user)[-SHOWN_MESSAGES:]
    names = Names(emu, where.guild)
    return {
        "messages": shown, "names": names, "blocks": lambda m: component_blocks(m.components, names),
        "is_image": attachment_is_image, "me": where.member, "reactions": REACTIONS,
        "bot_id": emu.bot_user.id, "guild": where.guild, "channel": where.channel,
        "channel_url": where.url, "csrf_token": csrf_token(where.session),
        "members": list(where.guild.members.values()), "roles": sorted(where.guild.roles.values(),
                                                                       key=lambda r: -r.position),
        "channels": visible_channels(where.guild, where.member), "stamp": where.state.stamp_text(),
    }


@routes.get("/g/{guild_id:\\d+}/c/{channel_id:\\d+}")
async def channel_page(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    draft = where.session.pop("draft", "")
    return await page(request, "channel.html", {**base_context(where.session), **_frame(where),
                                                **message_context(where), "draft": draft})


@routes.get("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/messages")
async def message_fragment(request: web.Request) -> web.StreamResponse:
    """The message list alone, for the page's live updates."""
    where = await place(request)
    return aiohttp_jinja2.render_template("messages.html", request, message_context(where))


def _frame(where: Place) -> dict[str, Any]:
    """The sidebar, the identity switcher, the member list and the command bar."""
    emu = where.state.emu
    granted = where.member.guild_permissions
    return {
        "guilds": emu.guilds, "guild": where.guild, "channel": where.channel, "me": where.member,
        "my_label": label_of(where.member), "people": [(m, label_of(m)) for m in people(where.guild)],
        "channels": visible_channels(where.guild, where.member), "member_groups": member_groups(where.guild),
        "commands": usable_commands(where), "channel_url": where.url,
        "can_manage_roles": bool(granted & (P.MANAGE_ROLES | P.ADMINISTRATOR)),
        "assignable_roles": [r for r in sorted(where.guild.roles.values(), key=lambda r: -r.position)
                             if not r.is_everyone and not r.managed],
        "moved": moved_text(where.state.moved_seconds),
    }


def moved_text(seconds: float) -> str:
    """``+1 d 2 h 15 min``: how far the clock runs ahead, or an empty string."""
    minutes = int(seconds // 60)
    if minutes <= 0:
        return ""
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    return "+" + " ".join(parts)


def usable_commands(where: Place) -> list[CommandForm]:
    """The commands Discord's client would offer this member here (hidden ones left out)."""
    emu = where.state.emu
    allowed = []
    for command in emu.commands(where.guild):
        try:
            emu._check_command_allowed(where.member, where.channel, command)
        except PermissionError:
            continue
        allowed.append(command)
    return command_forms(allowed)


def find_form(where: Place, path: str) -> CommandForm | None:
    return next((f for f in usable_commands(where) if f.path == path), None)


@routes.get("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/command")
async def command_page(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    form = find_form(where, request.query.get("name", "").strip().lstrip("/"))
    if form is None:
        raise web.HTTPNotFound(text="There is no such command here for this person.")
    return await page(request, "command.html", command_context(where, form, {}, None))


def command_context(where: Place, form: CommandForm, values: dict[str, Any], error: str | None) -> dict[str, Any]:
    channels = [c for c in where.guild.channels.values() if not c.is_dm]
    return {**base_context(where.session), **_frame(where), "form": form, "values": values, "error": error,
            "pick_members": sorted(where.guild.members.values(), key=lambda m: m.name),
            "pick_roles": [r for r in sorted(where.guild.roles.values(), key=lambda r: -r.position)],
            "pick_channels": sorted(channels, key=lambda c: (c.type, c.position, c.name or ""))}
