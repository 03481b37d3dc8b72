"""One copy of the role rules: a person's Standing made from the bot's ``discord.Member`` and
the one made from Discord's REST payloads (the dashboard's web user) must be the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from alphapy.authority import RoleFacts, Standing
from alphapy.testing.emulator import P


def rest_standing(guild: Any, person: Any) -> Standing:
    roles = {role.id: RoleFacts.from_payload(role.payload(), guild.id) for role in guild.roles.values()}
    return Standing.from_payload(guild.member(person.id).payload(), roles, guild.owner_id, guild.id)


async def test_standing_from_rest_equals_standing_from_the_gateway_member(bot, emulator, guild, host, member) -> None:
    admins = guild.add_role("Admins", permissions=P.ADMINISTRATOR)
    twins = [guild.add_role("Twin", permissions="manage_roles", position=2) for _ in range(2)]
    admin = guild.add_member("ada", roles=[admins])
    both = guild.add_member("bo", roles=twins, permissions=["mention_everyone", "manage_guild"])
    quiet = guild.add_member("quinn", permissions=["manage_guild", "manage_roles"])
    quiet.communication_disabled_until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    emulator.state.dispatch("GUILD_MEMBER_UPDATE", {**quiet.payload(), "guild_id": str(guild.id)}, guild.id)
    for role in guild.roles.values():  # as Discord does: the roles pushed up are updated too
        emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, guild.id)
    await emulator.settle()
    cached = bot.get_guild(guild.id)
    for person in (guild.member(guild.owner_id), host, member, admin, both, quiet, guild.member(bot.user.id)):
        assert rest_standing(guild, person) == Standing.of(cached.get_member(person.id)), person.name
    for role in guild.roles.values():
        assert RoleFacts.from_payload(role.payload(), guild.id) == RoleFacts.of(cached.get_role(role.id)), role.name
    assert rest_standing(guild, quiet).permissions.manage_roles is False  # a timeout takes the power away
    assert rest_standing(guild, guild.member(guild.owner_id)).owner
