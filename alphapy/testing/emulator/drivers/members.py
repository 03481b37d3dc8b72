"""People joining, leaving, passing screening and gaining or losing roles."""

from __future__ import annotations

from collections.abc import Iterable

from ..state import Guild, Member, Role
from .base import DriverBase


class MemberDriver(DriverBase):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    async def member_join(
        self,
        guild: Guild,
        name: str,
        *,
        pending: bool = False,
        dms_open: bool = True,
        roles: Iterable[Role | str] = (),
        bot: bool = False,
        settle: bool = True,
    ) -> Member:
        """A new person joins ``guild`` (GUILD_MEMBER_ADD); ``pending`` means they have not
        passed membership screening yet."""
        member = guild.add_member(name, pending=pending, dms_open=dms_open, roles=roles, bot=bot)
        if settle:
            await self.settle()
        return member

    async def member_leave(self, member: Member, *, settle: bool = True) -> None:
        """``member`` leaves their guild (GUILD_MEMBER_REMOVE)."""
        guild = member.guild
        guild.members.pop(member.id, None)
        for channel in guild.channels.values():
            channel.thread_members.pop(member.id, None)
        self.state.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(guild.id), "user": member.user.payload()}, guild.id)
        if settle:
            await self.settle()

    def _member_update(self, member: Member) -> None:
        guild = member.guild
        self.state.dispatch("GUILD_MEMBER_UPDATE", lambda: {**member.payload(), "guild_id": str(guild.id)}, guild.id)

    async def pass_screening(self, member: Member, *, settle: bool = True) -> Member:
        """``member`` accepts the rules: ``pending`` becomes false (GUILD_MEMBER_UPDATE)."""
        member.pending = False
        self._member_update(member)
        if settle:
            await self.settle()
        return member

    async def give_role(self, member: Member, role: Role | str, *, settle: bool = True) -> Member:
        """A moderator gives ``member`` a role (GUILD_MEMBER_UPDATE)."""
        target = member.guild.role(role)
        if target.id not in member.role_ids:
            member.role_ids.append(target.id)
            self._member_update(member)
        if settle:
            await self.settle()
        return member

    async def take_role(self, member: Member, role: Role | str, *, settle: bool = True) -> Member:
        """A moderator removes a role from ``member`` (GUILD_MEMBER_UPDATE)."""
        target = member.guild.role(role)
        if target.id in member.role_ids:
            member.role_ids.remove(target.id)
            self._member_update(member)
        if settle:
            await self.settle()
        return member
