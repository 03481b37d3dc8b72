"""The role a verified member gets is one the host could give in Discord themselves (the core's role rule)."""

from __future__ import annotations

from alphapy.testing import P


async def test_manage_server_alone_cannot_make_verification_give_administrator(bot, emulator, guild, host) -> None:
    admins = guild.add_role("Admins", permissions=P.ADMINISTRATOR)
    await emulator.settle()
    refused = await emulator.slash(host, "settings set", setting="verification.verified_role", value=admins.mention)
    assert refused.content == ("verification.verified_role: You cannot choose @Admins as a role I give: you need "
                               "the Manage Roles permission to give roles yourself.")
    assert await bot.settings.get(guild.id, "verification", "verified_role") is None

    manager = guild.add_member("manager", permissions=["manage_guild", "manage_roles"])
    verified = guild.add_role("Verified")  # below the manager's own role
    await emulator.settle()
    accepted = await emulator.slash(manager, "settings set", setting="verification.verified_role",
                                    value=verified.mention)
    assert accepted.content.startswith(f"**verification.verified_role** = <@&{verified.id}>")
