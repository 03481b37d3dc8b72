"""Who is looking at what: the visitor's identity (kept in their session), the guild and
the channel of a request, and the one-sentence notes shown after an action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp_session import Session, get_session

from alphapy.dashboard.csrf import csrf_token

from ..state import Channel, Guild, Member
from .keys import STATE_KEY, PlaygroundState
from .view import acting_member, visible_channels

IDENTITY = "as"
NOTE = "note"
NO_CHANNEL = "You cannot see that channel as this person; pick one from the list."


@dataclass(slots=True)
class Place:
    """A request's guild and channel, seen by the acting member."""

    state: PlaygroundState
    session: Session
    guild: Guild
    member: Member
    channel: Channel

    @property
    def url(self) -> str:
        return channel_url(self.guild, self.channel)


def channel_url(guild: Guild, channel: Channel) -> str:
    return f"/g/{guild.id}/c/{channel.id}"


async def identity(request: web.Request) -> tuple[Session, int | None]:
    session = await get_session(request)
    chosen = session.get(IDENTITY)
    return session, int(chosen) if isinstance(chosen, int) else None


def _int(text: str) -> int:
    if not text.isdigit():
        raise web.HTTPNotFound(text="There is nothing here.")
    return int(text)


async def place(request: web.Request) -> Place:
    """The guild and channel of the URL, refused (403) when the acting member cannot see it."""
    state = request.app[STATE_KEY]
    guild = state.emu.state.guilds.get(_int(request.match_info["guild_id"]))
    if guild is None:
        raise web.HTTPNotFound(text="There is no such server in the emulator.")
    session, chosen = await identity(request)
    member = acting_member(guild, chosen)
    channel = guild.channels.get(_int(request.match_info.get("channel_id", "0")))
    if channel is None or not channel.visible_to(member):
        raise web.HTTPForbidden(text=NO_CHANNEL)
    return Place(state, session, guild, member, channel)


def first_channel(guild: Guild, member: Member) -> Channel | None:
    channels = visible_channels(guild, member)
    return channels[0] if channels else None


def note(session: Session, sentence: str) -> None:
    """A sentence for the next page the visitor sees (after the redirect)."""
    session[NOTE] = sentence


def take_note(session: Session) -> str | None:
    sentence = session.pop(NOTE, None)
    return str(sentence) if sentence is not None else None


def base_context(session: Session) -> dict[str, Any]:
    return {"csrf_token": csrf_token(session), "note": take_note(session)}
