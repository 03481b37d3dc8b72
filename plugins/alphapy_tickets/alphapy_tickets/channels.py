"""The ticket's private channel: where it goes, who sees it, and what to say when Discord refuses.

Privacy is made by permission overwrites at creation, in one request: @everyone may not
view; the member, the staff roles and the bot may. Discord allows 50 channels in a category
and 500 in a server; a full ``tickets.category`` spills into ``tickets.overflow_category``,
and when both are full the member reads why instead of getting an error id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import discord

from alphapy import UserError
from alphapy_tickets.lifecycle import Ticket

CATEGORY_LIMIT = 50

#: What the member, staff and the bot may do in a ticket channel.
PARTICIPANT = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, read_message_history=True, attach_files=True, embed_links=True)
HIDDEN = discord.PermissionOverwrite(view_channel=False)
#: A closed ticket: the member can still read it, no longer write.
READ_ONLY = discord.PermissionOverwrite(
    view_channel=True, send_messages=False, read_message_history=True, attach_files=False, embed_links=False)

NEEDS_MANAGE_CHANNELS = ("I cannot open a ticket channel: I need the **Manage Channels** permission "
                         "(in the ticket category). Please tell the server staff.")
CATEGORY_FULL = ("Every ticket category is full (Discord allows 50 channels in a category). "
                 "Please try again later, once staff have archived some tickets.")
SERVER_FULL = ("This server has reached Discord's limit of 500 channels, so I cannot open a ticket "
               "channel. Please tell the server staff.")


@dataclass(frozen=True)
class Placement:
    """Where ticket channels go and who, besides the member and the bot, sees them."""

    category_ids: tuple[int, ...]  # tickets.category, then tickets.overflow_category
    staff_role_ids: tuple[int, ...]


def _categories(guild: discord.Guild, ids: Iterable[int]) -> list[discord.CategoryChannel]:
    found = []
    for category_id in ids:
        category = guild.get_channel(category_id)
        if not isinstance(category, discord.CategoryChannel):
            raise UserError("Tickets are not set up correctly here: `tickets.category` (or "
                            "`tickets.overflow_category`) is not a category. Please tell the server staff.")
        found.append(category)
    return found


def _is_category_full(error: discord.HTTPException) -> bool:
    return error.code == 50035 and "Maximum number of channels in category" in (error.text or "")


async def create(guild: discord.Guild, member: discord.Member, ticket: Ticket,
                 placement: Placement) -> discord.TextChannel:
    """Create the ticket's private channel, or raise :class:`UserError` saying why not."""
    overwrites: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
        guild.default_role: HIDDEN, member: PARTICIPANT, guild.me: PARTICIPANT}
    for role_id in placement.staff_role_ids:
        role = guild.get_role(role_id)
        if role is not None and role != guild.default_role:
            overwrites[role] = PARTICIPANT
    categories: list[discord.CategoryChannel | None] = list(_categories(guild, placement.category_ids)) or [None]
    for category in categories:
        mine = category.permissions_for(guild.me) if category is not None else guild.me.guild_permissions
        if not mine.manage_channels:
            raise UserError(NEEDS_MANAGE_CHANNELS)
        if category is not None and len(category.channels) >= CATEGORY_LIMIT:
            continue
        try:
            return await guild.create_text_channel(
                f"ticket-{ticket.id}", category=category, overwrites=overwrites,
                topic=f"Ticket #{ticket.id} opened by {member.name}",
                reason=f"ticket #{ticket.id} opened by {member.id}")
        except discord.Forbidden:
            raise UserError(NEEDS_MANAGE_CHANNELS) from None
        except discord.HTTPException as exc:
            if exc.code == 30013:
                raise UserError(SERVER_FULL) from None
            if not _is_category_full(exc):  # full since our cache last heard: try the next one
                raise
    raise UserError(CATEGORY_FULL)
