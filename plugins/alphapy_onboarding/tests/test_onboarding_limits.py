"""The largest input onboarding accepts still makes messages Discord accepts."""

from __future__ import annotations

import json
import re

from test_onboarding_members import role_changed

from alphapy.testing import assert_sent_within_limits

LONG_LABEL = "**Bold** <@123456789012345678> `code` and a very long label that goes on and on to a hundred".ljust(100, "x")


def options(count: int = 25, roles: list | None = None) -> str:
    assert len(LONG_LABEL) == 100
    return json.dumps([{"label": LONG_LABEL[:-2] + f"{n:02}", "value": f"o{n}",
                        **({"role": str(roles[n].id)} if roles else {"description": "d" * 60})}
                       for n in range(count)])


async def test_saved_after_picking_every_long_option_fits(bot, emulator, guild, member, ob) -> None:
    await ob.add_question(question="Q " * 500, type="multiselect", min_values=1, max_values=25, options=options())
    await ob.add_question(question="Tell me " * 125, type="text", max_length=4000)
    start = emulator.requests[-1].seq
    screen = await ob.start(member)
    saved = await emulator.select(screen, [f"o{n}" for n in range(25)], by=member)
    assert saved.content.startswith("✅ Saved: **") and "…" in saved.content
    assert len(saved.content) <= 2000
    form = await emulator.click(saved, "Answer", by=member)
    await emulator.submit_modal(form, {"answer": "**x** <@1> " * 363}, by=member)
    assert assert_sent_within_limits(emulator, start) >= 3


async def test_the_role_report_of_25_roles_fits(bot, emulator, guild, ob) -> None:
    roles = [guild.add_role(f"Role {n} " + "r" * 90) for n in range(25)]
    log = guild.add_text_channel("mod-log")
    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "log_channel", log.id)
    await ob.add_question(question="Which?", type="multiselect", max_values=25, options=options(roles=roles))
    for number, role in enumerate(roles):  # then moved above the bot's own role in Server Settings
        role.position = guild.bot_role.position + 1 + number
    await role_changed(emulator, guild, *roles)
    person = guild.add_member("ann")
    await emulator.settle()
    start = emulator.requests[-1].seq
    await ob.personalize(await emulator.select(await ob.start(person), [f"o{n}" for n in range(25)], by=person),
                         person)
    reports = [m for m in log.messages if "could not give" in m.content]
    assert len(reports) == 1, "the report was refused: the host was never told"
    assert reports[0].content.count("<@&") < 25 and "more" in reports[0].content
    assert_sent_within_limits(emulator, start)


async def test_lists_of_the_longest_questions_and_rules_fit_and_say_what_is_left_out(bot, emulator, host, member,
                                                                                       ob) -> None:
    text = ("*_~`| <@123456789012345678> " * 40)[:1000]
    for _ in range(25):
        await ob.add_question(question=text, type="text", max_length=4000)
        await ob.add_rule(title=("__T__ " * 60)[:256], description=("**D** <#42> " * 400)[:4000])
    start = emulator.requests[-1].seq + 1
    for command in ("onboarding question list", "onboarding rule list"):
        listing = await emulator.slash(host, command)
        lines = listing.embed["description"].splitlines()
        left_out = int(lines.pop()[6:-5]) if lines[-1].startswith("… and ") else 0
        assert len(lines) + left_out == 25
        assert all(line.startswith("**") and line.endswith(("required", "chars", "`")) for line in lines), lines
        assert all(line.count("<@") == len(re.findall(r"<@\d+>", line)) for line in lines), "a mention was cut"
    page = await ob.start(member)
    while "Next rules ›" in page.response.button_labels:
        page = await emulator.click(page, "Next rules ›", by=member)
    assert assert_sent_within_limits(emulator, start) >= 10


async def test_the_refusal_of_roles_the_bot_cannot_give_fits(bot, emulator, guild, host, ob) -> None:
    roles = [guild.add_role("Above " + "a" * 94) for _ in range(25)]
    for number, role in enumerate(roles):
        role.position = guild.bot_role.position + 1 + number
    await role_changed(emulator, guild, *roles)
    start = emulator.requests[-1].seq + 1
    reply = await emulator.slash(host, "onboarding question add", options={
        "question": "Q " * 500, "type": "multiselect", "options": options(roles=roles)})
    assert reply.ephemeral and "cannot" in reply.content
    assert await bot.db.fetchval("SELECT count(*) FROM guild_onboarding_questions") == 0
    assert_sent_within_limits(emulator, start)
