"""The role rules (alphapy.authority) through /settings, against the emulator and a real database.

A test plugin declares a role the bot gives, a role it pings and JSON carrying both,
exactly as a third-party plugin would; every change goes through ``/settings``.
"""

from __future__ import annotations

from typing import Any

import pytest

from alphapy import hookimpl
from alphapy.testing.emulator import P

GIVE = "You cannot choose @{} as a role I give: "


class RolesPlugin:
    """A plugin whose settings make the bot give and ping roles (declared, not re-implemented)."""

    @staticmethod
    @hookimpl
    def register_settings(register: Any) -> None:
        register("given", "role", purpose="grant", help="the role the bot gives")
        register("pinged", "role", purpose="ping", help="the role the bot pings")
        register("layout", "json", granted_role_keys=["role"], pinged_role_keys=["ping"],
                 help="steps, each with a role the bot gives and one it pings")


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("roles", RolesPlugin)]


class World:
    """The test guild's people and roles, from the bottom of the role list up."""

    def __init__(self, guild: Any) -> None:
        self.guild = guild
        self.manager = guild.add_member("manager", permissions=["manage_guild", "manage_roles"])
        self.admins = guild.add_role("Admins", permissions=P.ADMINISTRATOR)  # the lowest role
        self.quiet = guild.add_role("Quiet")  # not mentionable
        self.loud = guild.add_role("Loud", mentionable=True)
        self.seniors = guild.add_role("Seniors", position=self.manager.top_role.position + 1)
        self.over_bot = guild.add_role("Over the bot", position=guild.bot_role.position + 1)


@pytest.fixture
async def world(bot: Any, emulator: Any, guild: Any) -> World:
    made = World(guild)
    guild.everyone.permissions &= ~P.MENTION_EVERYONE  # nobody may ping roles that are not mentionable
    for role in guild.roles.values():  # as Discord does: the roles pushed up and @everyone are updated
        emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, guild.id)
    await emulator.settle()
    return made


async def set_setting(emulator: Any, who: Any, name: str, value: str) -> str:
    reply = await emulator.slash(who, "settings set", setting=name, value=value)
    assert reply.ephemeral
    return reply.content


async def test_manage_server_alone_cannot_make_the_bot_give_administrator(bot, emulator, guild, host, world) -> None:
    refused = await set_setting(emulator, host, "roles.given", world.admins.mention)
    assert refused == ("roles.given: " + GIVE.format("Admins")
                       + "you need the Manage Roles permission to give roles yourself.")
    assert await bot.settings.get(guild.id, "roles", "given") is None  # nothing written
    assert await bot.settings.history(guild.id) == []


async def test_a_role_below_your_highest_with_manage_roles_is_accepted(bot, emulator, guild, world) -> None:
    accepted = await set_setting(emulator, world.manager, "roles.given", world.admins.mention)
    assert accepted.startswith(f"**roles.given** = <@&{world.admins.id}>")  # Discord would let them too
    refused = await set_setting(emulator, world.manager, "roles.given", world.seniors.mention)
    assert refused == ("roles.given: " + GIVE.format("Seniors") + "it must be below your highest role, as Discord "
                       "would only let you give those.")
    assert await bot.settings.get(guild.id, "roles", "given") == world.admins.id


async def test_the_owner_may_choose_any_role_the_bot_can_give(bot, emulator, guild, world) -> None:
    owner = guild.owner
    accepted = await set_setting(emulator, owner, "roles.given", world.seniors.mention)
    assert accepted.startswith(f"**roles.given** = <@&{world.seniors.id}>")
    above = await set_setting(emulator, owner, "roles.given", world.over_bot.mention)
    assert above == ("roles.given: I cannot give @Over the bot: it must be below my highest role "
                     "(move my role above it in Server Settings → Roles).")
    assert await bot.settings.get(guild.id, "roles", "given") == world.seniors.id


async def test_everyone_and_managed_roles_are_never_given(bot, emulator, guild, world) -> None:
    owner = guild.owner
    assert await set_setting(emulator, owner, "roles.given", str(guild.id)) == \
        "roles.given: @everyone cannot be given as a role."
    assert await set_setting(emulator, owner, "roles.given", guild.bot_role.mention) == \
        f"roles.given: @{guild.bot_role.name} is managed by an integration or a bot, so nobody can give it."
    assert await bot.settings.get(guild.id, "roles", "given") is None


async def test_a_role_to_ping_must_be_one_you_could_mention(bot, emulator, guild, host, world) -> None:
    refused = await set_setting(emulator, host, "roles.pinged", world.quiet.mention)
    assert refused == ("roles.pinged: You cannot choose @Quiet as a role I ping: it is not mentionable, and "
                       "mentioning it needs the Mention Everyone permission.")
    assert (await set_setting(emulator, host, "roles.pinged", world.loud.mention)).startswith("**roles.pinged** =")
    pinger = guild.add_member("pinger", permissions=["manage_guild", "mention_everyone"])
    await emulator.settle()
    assert (await set_setting(emulator, pinger, "roles.pinged", world.quiet.mention)).startswith("**roles.pinged** =")
    assert await set_setting(emulator, guild.owner, "roles.pinged", str(guild.id)) == \
        "roles.pinged: @everyone can never be chosen as a role for me to ping."
    assert await bot.settings.get(guild.id, "roles", "pinged") == world.quiet.id


async def test_json_values_carrying_roles_meet_the_same_rules(bot, emulator, guild, host, world) -> None:
    layout = '{"steps": [{"title": "Welcome", "role": "%s", "ping": "%s"}]}'
    refused = await set_setting(emulator, host, "roles.layout", layout % (world.admins.mention, world.loud.mention))
    assert refused.startswith("roles.layout: " + GIVE.format("Admins"))
    refused = await set_setting(emulator, world.manager, "roles.layout", layout % (world.admins.id, world.quiet.id))
    assert refused.startswith("roles.layout: You cannot choose @Quiet as a role I ping")
    assert await bot.settings.get(guild.id, "roles", "layout") is None
    accepted = await set_setting(emulator, world.manager, "roles.layout", layout % (world.admins.id, world.loud.id))
    assert accepted.startswith("**roles.layout** =")
    bad = await set_setting(emulator, world.manager, "roles.layout", '{"role": "the admins"}')
    assert bad == "roles.layout must be JSON whose 'role' values are roles of this server (@role mentions or ids)"


async def test_a_rollback_is_judged_for_whoever_asks_for_it(bot, emulator, guild, host, world) -> None:
    await set_setting(emulator, guild.owner, "roles.given", world.admins.mention)
    await emulator.slash(guild.owner, "settings reset", setting="roles.given")
    refused = await emulator.slash(host, "settings rollback", history_id=1)
    assert refused.content.startswith("roles.given: " + GIVE.format("Admins"))
    assert await bot.settings.get(guild.id, "roles", "given") is None


async def test_the_bot_pings_no_role_unless_a_send_names_it(bot, emulator, channel, world) -> None:
    await bot.get_channel(channel.id).send(f"{world.loud.mention} hello")
    sent = emulator.requests.matching("POST", "/channels/{channel_id}/messages")[-1]
    assert "roles" not in sent.json["allowed_mentions"]["parse"]
    assert "everyone" not in sent.json["allowed_mentions"]["parse"]


def test_a_purpose_that_is_not_grant_or_ping_is_refused_at_declaration() -> None:
    from alphapy.settings import SettingsRegistry

    registry = SettingsRegistry()
    with pytest.raises(ValueError, match="unknown role purpose 'give'"):
        registry.declare("roles", "given", "role", purpose="give")
    assert ("roles", "given") not in registry
