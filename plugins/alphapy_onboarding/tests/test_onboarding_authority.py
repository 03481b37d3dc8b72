"""Only roles the host could give in Discord themselves: the core's role rule on every role onboarding gives."""

from __future__ import annotations

import json

from alphapy.testing import P

REFUSED = "You cannot choose @Admins as a role I give: you need the Manage Roles permission to give roles yourself."


async def test_manage_server_alone_cannot_make_onboarding_give_administrator(bot, emulator, guild, ob) -> None:
    mod = guild.add_member("mod", permissions=["manage_guild"])
    admins = guild.add_role("Admins", permissions=P.ADMINISTRATOR)
    await emulator.settle()

    completed = await emulator.slash(mod, "settings set", setting="onboarding.completed_role", value=admins.mention)
    assert completed.content == f"onboarding.completed_role: {REFUSED}"
    assert await bot.settings.get(guild.id, "onboarding", "completed_role") is None

    option = await emulator.slash(mod, "onboarding question add", options={
        "question": "Staff?", "type": "select", "options": json.dumps([{"label": "Yes", "role": admins.mention}, "No"])})
    assert option.content == f"Option 'Yes': {REFUSED}"
    followup = await emulator.slash(mod, "onboarding question add", options={
        "question": "Staff?", "type": "select", "options": json.dumps(["Yes", "No"]),
        "followup": json.dumps({"yes": {"question": "Which?", "type": "select",
                                        "options": [{"label": "All", "role": str(admins.id)}, "None"]}})})
    assert followup.content == f"Option 'All': {REFUSED}"
    assert await bot.db.fetchval("SELECT count(*) FROM guild_onboarding_questions") == 0

    # Whoever could give the role in Discord may: a manager with Manage Roles, the role below theirs.
    allowed = await emulator.slash(ob.host, "onboarding question add", options={
        "question": "Staff?", "type": "select", "options": json.dumps([{"label": "Yes", "role": admins.mention}, "No"])})
    assert allowed.content.startswith("Question `#")


async def test_a_role_above_the_bot_or_the_host_is_refused(bot, emulator, guild, ob) -> None:
    above_host = guild.add_role("Seniors", position=ob.host.top_role.position + 1)
    above_bot = guild.add_role("Over", position=guild.bot_role.position + 1)
    for role in guild.roles.values():  # the roles pushed up, as Discord reports them
        emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, guild.id)
    await emulator.settle()
    higher = await emulator.slash(ob.host, "onboarding question add", options={
        "question": "Q?", "type": "select", "options": json.dumps([{"label": "A", "role": above_host.mention}, "B"])})
    assert higher.content == ("Option 'A': You cannot choose @Seniors as a role I give: it must be below your "
                              "highest role, as Discord would only let you give those.")
    owner_tries = await emulator.slash(guild.owner, "onboarding question add", options={
        "question": "Q?", "type": "select", "options": json.dumps([{"label": "A", "role": above_bot.mention}, "B"])})
    assert owner_tries.content == ("Option 'A': I cannot give @Over: it must be below my highest role "
                                   "(move my role above it in Server Settings → Roles).")
