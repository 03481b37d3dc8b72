"""People deleting channels, and the bot's DM channel with someone."""

from __future__ import annotations

from ..state import Channel, Member, User
from .base import DriverBase


class ChannelDriver(DriverBase):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    async def delete_channel(self, channel: Channel, *, settle: bool = True) -> None:
        """A moderator deletes ``channel`` (CHANNEL_DELETE); its messages go with it and the
        bot's later requests to it answer ``404 10003 Unknown Channel``."""
        guild = channel.guild
        if guild is None:
            raise ValueError("only a guild channel can be deleted")
        payload = channel.payload()
        guild.channels.pop(channel.id, None)
        self.state.channels.pop(channel.id, None)
        self.state.dispatch("CHANNEL_DELETE", payload, guild.id)
        if settle:
            await self.settle()

    def dm_channel(self, user: Member | User) -> Channel:
        """The DM channel between the bot and ``user`` (to ``post`` in it as that user)."""
        return self.state.dm_channel(user)
