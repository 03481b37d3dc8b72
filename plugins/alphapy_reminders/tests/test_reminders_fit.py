"""The largest reminders the plugin accepts still make messages Discord accepts."""

from __future__ import annotations

from reminders_helpers import make_due, row

from alphapy.testing import P, assert_sent_within_limits

NAME = ("*~_`|" * 20)[:99]  # every character doubles when escaped


async def test_a_full_page_of_long_stopped_reminders_fits(bot, emulator, host, guild) -> None:
    quiet = guild.add_text_channel("quiet")
    await emulator.settle()
    for number in range(10):
        reply = await emulator.slash(host, "reminder add", channel=quiet, name=f"{number}{NAME}",
                                     days="mon,tue,wed,thu,fri,sat,sun", time="19:00", call_time="19:30",
                                     message="x" * 2000)
        assert reply.content.startswith("Saved"), reply.content
    quiet.set_overwrite(guild.me, deny=P.SEND_MESSAGES)  # someone took the bot's right to post there
    for number in range(1, 11):
        await make_due(bot.db, number)

    async def all_stopped() -> bool:
        return all([(await row(bot.db, n))["disabled_reason"] for n in range(1, 11)])

    await emulator.wait_until(all_stopped)
    await emulator.settle()
    start = emulator.requests[-1].seq + 1
    listing = await emulator.slash(host, "reminder list")
    description = listing.embed["description"]
    assert len(description) <= 4096 and description.count("⚠️ stopped") >= 1
    assert assert_sent_within_limits(emulator, start) == 1


async def test_the_largest_reminder_and_its_replies_fit(bot, emulator, host, guild, channel) -> None:
    role = guild.add_role("Raiders " + "r" * 90, mentionable=True)
    await emulator.settle()
    start = emulator.requests[-1].seq + 1
    saved = await emulator.slash(host, "reminder add", channel=channel, name=f"0{NAME}", days="mon,tue,wed",
                                 time="19:00", call_time="19:30", message=("**m** <@1> `c` " * 200)[:2000],
                                 mention=role)
    assert saved.content.startswith("Saved"), saved.content
    preview = await emulator.slash(host, "reminder test", reminder=1)
    assert preview.embeds or preview.followups
    for command in ("reminder pause", "reminder resume", "reminder delete"):
        await emulator.slash(host, command, reminder=1)
    assert assert_sent_within_limits(emulator, start) >= 5
