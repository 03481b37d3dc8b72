"""The privacy recipe of ``docs/testing.md``, as written there."""

from alphapy import export_user, forget_user


async def test_a_welcome_is_exported_and_forgotten(bot, emulator, guild, channel):
    await bot.settings.set(guild.id, "greeter", "channel", channel.id)
    newcomer = await emulator.member_join(guild, "newcomer")

    async def greeter_part():
        return (await export_user(bot.db, bot.plugins, newcomer.id)).get("greeter")

    assert (await emulator.wait_until(greeter_part))["welcomed"]  # your user_data's answer, under your name
    removed = await forget_user(bot.db, bot.plugins, newcomer.id, None)  # or a guild id: that guild only
    assert removed["greeter"] == 1                                # what your forget_user returned
    assert "greeter" not in await export_user(bot.db, bot.plugins, newcomer.id)
