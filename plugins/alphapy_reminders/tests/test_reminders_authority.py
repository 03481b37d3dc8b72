"""Pings the reminders send follow the core's ping rule: never @everyone, and only roles the host could mention."""

from __future__ import annotations

from alphapy.testing import P


async def test_everyone_is_never_a_role_to_ping(bot, emulator, host, guild, channel) -> None:
    assert guild.everyone.permissions & P.MENTION_EVERYONE  # the host could type @everyone themselves
    reply = await emulator.slash(host, "reminder add", channel=channel, name="All hands", days="mon", time="19:00",
                                 message="Meeting", mention=guild.everyone)
    assert reply.content == "@everyone can never be chosen as a role for me to ping."
    assert await bot.db.fetchval("SELECT count(*) FROM reminders") == 0
    setting = await emulator.slash(host, "settings set", setting="reminders.event_role", value=str(guild.id))
    assert setting.content == "reminders.event_role: @everyone can never be chosen as a role for me to ping."


async def test_the_event_role_must_be_one_the_host_could_mention(bot, emulator, host, guild) -> None:
    quiet = guild.add_role("Quiet raiders")
    loud = guild.add_role("Raiders", mentionable=True)
    guild.everyone.permissions &= ~P.MENTION_EVERYONE
    emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": guild.everyone.payload()},
                            guild.id)
    await emulator.settle()
    refused = await emulator.slash(host, "settings set", setting="reminders.event_role", value=quiet.mention)
    assert refused.content == ("reminders.event_role: You cannot choose @Quiet raiders as a role I ping: it is not "
                               "mentionable, and mentioning it needs the Mention Everyone permission.")
    accepted = await emulator.slash(host, "settings set", setting="reminders.event_role", value=loud.mention)
    assert accepted.content.startswith(f"**reminders.event_role** = <@&{loud.id}>")
    assert await bot.settings.get(guild.id, "reminders", "event_role") == loud.id
