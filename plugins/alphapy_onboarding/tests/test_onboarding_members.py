"""Roles, screening, DMs, redo, preview, privacy and isolation between servers."""

from __future__ import annotations

import json

from alphapy.testing import P


async def role_changed(emulator, guild, *roles) -> None:
    """A host changed roles in Server Settings: Discord tells the bot (GUILD_ROLE_UPDATE)."""
    for role in roles:
        emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}, guild.id)
    await emulator.settle()


async def test_a_role_the_bot_cannot_grant_is_reported_once(bot, emulator, guild, ob) -> None:
    vip = guild.add_role("VIP")
    fan = guild.add_role("Fan")
    log = guild.add_text_channel("mod-log")
    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "log_channel", log.id)
    added = await emulator.slash(ob.host, "onboarding question add", options={
        "question": "Which tier?", "type": "multiselect",
        "options": json.dumps([{"label": "VIP", "role": str(vip.id)}, {"label": "Fan", "role": str(fan.id)}])})
    assert added.content.startswith("Question `#")
    vip.position = guild.bot_role.position + 1  # then moved above the bot's own role in Server Settings
    await role_changed(emulator, guild, vip)

    for name in ("ann", "ben"):
        person = guild.add_member(name)
        await emulator.settle()
        screen = await emulator.select(await ob.start(person), ["vip", "fan"], by=person)
        done = await ob.personalize(screen, person)
        assert person.has_role("Fan") and not person.has_role("VIP")
        assert "could not be given" in done.embed["description"]
        assert (await ob.row(person))["responses"]["personalized_opt_in"] == "full"  # completed anyway

    reports = [m for m in log.messages if "could not give" in m.content]
    assert len(reports) == 1  # once, not once per member
    assert f"<@&{vip.id}>" in reports[0].content and "above my highest role" in reports[0].content

    # Fixed by the host, then broken again: reported anew.
    vip.position = 1
    guild.bot_role.position = max(r.position for r in guild.roles.values()) + 1
    await role_changed(emulator, guild, vip, guild.bot_role)
    cal = guild.add_member("cal")
    await emulator.settle()
    await ob.personalize(await emulator.select(await ob.start(cal), ["vip"], by=cal), cal)
    assert cal.has_role("VIP")
    guild.bot_role.permissions &= ~P.MANAGE_ROLES
    await role_changed(emulator, guild, guild.bot_role)
    dee = guild.add_member("dee")
    await emulator.settle()
    await ob.personalize(await emulator.select(await ob.start(dee), ["vip"], by=dee), dee)
    reports = [m for m in log.messages if "could not give" in m.content]
    assert len(reports) == 2 and "Manage Roles" in reports[1].content


async def test_members_in_screening_wait_until_they_pass(bot, emulator, guild, ob) -> None:
    done = guild.add_role("Onboarded")
    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "completed_role", done.id)
    await bot.settings.set(guild.id, "onboarding", "dm_on_join", True)
    newcomer = await emulator.member_join(guild, "newcomer", pending=True)
    assert emulator.dms(newcomer) == []  # no DM while screening
    refused = await ob.start(newcomer)
    assert refused.ephemeral and "membership screening" in refused.content
    assert await ob.progress(newcomer) is None and not newcomer.has_role("Onboarded")

    await emulator.pass_screening(newcomer)
    [dm] = emulator.dms(newcomer)
    assert dm.button_labels == ["Start"] and "Welcome to Test Guild" in dm.embeds[0]["title"]
    screen = await emulator.click(dm, "Start", by=newcomer)  # in the DM: no guild on the interaction
    assert not screen.ephemeral and screen.embed["title"] == "Personalized reminders and tips"
    await ob.personalize(screen, newcomer)
    assert newcomer.has_role("Onboarded")


async def test_closed_dms_leave_the_panel_as_the_way(bot, emulator, guild, ob) -> None:
    await bot.settings.set(guild.id, "onboarding", "dm_on_join", True)
    closed = await emulator.member_join(guild, "closed", dms_open=False)
    assert emulator.dms(closed) == []
    assert [r.status for r in emulator.requests.matching("POST", "/channels/{channel_id}/messages")][-1] == 403
    open_dms = await emulator.member_join(guild, "open")
    assert len(emulator.dms(open_dms)) == 1
    await ob.personalize(await ob.start(closed), closed)
    assert (await ob.row(closed)) is not None


async def test_a_dm_start_is_refused_when_the_plugin_is_off(bot, emulator, guild, ob) -> None:
    await bot.settings.set(guild.id, "onboarding", "dm_on_join", True)
    person = await emulator.member_join(guild, "person")
    await bot.settings.set_enabled(guild.id, "onboarding", False)
    refused = await emulator.click(emulator.dms(person)[-1], "Start", by=person)
    assert refused.content == "The onboarding plugin is disabled in this server."
    assert await ob.progress(person) is None


async def test_redo_replaces_the_answers(emulator, member, ob) -> None:
    question = await ob.add_question(question="Colour?", type="select", options='["Red", "Blue"]',
                                     followup='{"red": "Why red?"}')
    screen = await emulator.select(await ob.start(member), ["red"], by=member)
    form = await emulator.click(screen, "Answer", by=member)
    screen = await emulator.submit_modal(form, {"answer": "Warm"}, by=member)
    await ob.personalize(screen, member)
    first = await ob.row(member)
    assert first["responses"][f"{question}.red"] == "Warm"

    again = await ob.start(member)
    assert again.embed["title"] == "You already completed onboarding"
    redo = await emulator.click(again, "Start again", by=member)
    assert redo.embed["description"] == "Colour?"
    assert (await ob.row(member))["responses"] == first["responses"]  # kept until the new run finishes
    screen = await emulator.select(redo, ["blue"], by=member)
    await ob.personalize(screen, member, opt_in="No, thanks", language="English")
    second = await ob.row(member)
    assert second["responses"] == {str(question): "blue", "personalized_opt_in": "no", "preferred_language": "en"}
    assert second["timestamp"] >= first["timestamp"]


async def test_the_preview_walks_everything_and_stores_nothing(bot, emulator, guild, host, ob) -> None:
    role = guild.add_role("Picked")
    await emulator.settle()
    await ob.add_rule(title="Rule one", description="Be nice.")
    colour = await ob.add_question(
        question="Colours?", type="multiselect", options=json.dumps(["Red", {"label": "Blue", "role": str(role.id)}]),
        followup=json.dumps({"red": "Why red?", "blue": {"question": "Mail?", "type": "email", "required": False}}))
    preview = await emulator.slash(host, "onboarding preview")
    assert preview.ephemeral and preview.embeds[0]["footer"]["text"].startswith("Preview")
    step = await emulator.click(preview, "I accept the rules", by=host)
    step = await emulator.select(step, ["red", "blue"], by=host)
    assert step.embed["description"] == "Why red?"
    assert step.response.components[0]["components"][0]["custom_id"].endswith(f"{colour}.red:p3")
    form = await emulator.click(step, "Answer", by=host)
    step = await emulator.submit_modal(form, {"answer": "Warm"}, by=host)
    assert step.embed["description"] == "Mail?"  # the second follow-up: the id carried the first answer
    form = await emulator.click(step, "Enter e-mail address", by=host)
    step = await emulator.submit_modal(form, {"answer": "nope"}, by=host)
    assert step.content.startswith("⚠️ That is not a valid e-mail address")
    step = await emulator.click(step, "Skip", by=host)
    step = await emulator.click(step, "Yes, please!", by=host)
    end = await emulator.click(step, "English", by=host)
    assert end.embed["title"] == "Preview complete"
    for table in ("onboarding", "onboarding_progress", "onboarding_role_problems"):
        assert await bot.db.fetchval(f"SELECT count(*) FROM {table}") == 0
    assert not host.has_role("Picked")


async def test_another_servers_ids_are_refused(bot, emulator, guild, host, member, ob) -> None:
    other = emulator.add_guild("Elsewhere", owner_name="else-owner", text_channels=("lobby",))
    other_host = other.add_member("other-host", permissions=["manage_guild"])
    await emulator.settle()
    theirs = await emulator.slash(other_host, "onboarding question add",
                                  options={"question": "Theirs?", "type": "text"})
    their_id = int(theirs.content.split("`#")[1].split("`")[0])
    mine = await ob.add_question(question="Mine?", type="text")

    for command, options in [("onboarding question edit", {"question_id": their_id, "question": "Hacked"}),
                             ("onboarding question remove", {"question_id": their_id}),
                             ("onboarding question move", {"question_id": their_id, "position": 1})]:
        reply = await emulator.slash(host, command, options=options)
        assert reply.ephemeral and reply.content == f"There is no onboarding question #{their_id} in this server."
    listing = await emulator.slash(host, "onboarding question list")
    assert "Theirs?" not in listing.embed["description"] and "Mine?" in listing.embed["description"]
    assert await bot.db.fetchval("SELECT question FROM guild_onboarding_questions WHERE id = $1", their_id) == "Theirs?"
    choices = await emulator.autocomplete(host, "onboarding question edit", focused="question_id", value="")
    assert [c.value for c in choices] == [mine]

    screen = await ob.start(member)  # a forged button pointing at the other server's question
    screen.response.components[0]["components"][0]["custom_id"] = f"onboarding:open:{other.id}:{their_id}"
    refused = await emulator.click(screen, "Answer", by=member)
    assert refused.content == "This button belongs to another server."
    assert await bot.db.fetchval("SELECT count(*) FROM onboarding_progress WHERE guild_id = $1", other.id) == 0


async def test_user_data_and_forget_user(bot, emulator, guild, member, ob) -> None:
    await ob.add_question(question="Mail?", type="email")
    form = await emulator.click(await ob.start(member), "Enter e-mail address", by=member)
    screen = await emulator.submit_modal(form, {"answer": "me@example.org"}, by=member)
    await ob.personalize(screen, member)
    other = emulator.add_guild("Second", owner_name="second-owner")
    await emulator.settle()
    await bot.db.execute("INSERT INTO onboarding_progress (guild_id, user_id, answers) VALUES ($1, $2, $3)",
                         other.id, member.id, {"personalized_opt_in": "no"})

    [exported] = [r.value for r in await bot.plugins.call_async("user_data", user_id=member.id) if r.value]
    assert [r["guild_id"] for r in exported["responses"]] == [guild.id]
    assert "me@example.org" in exported["responses"][0]["answers"].values()
    assert exported["in_progress"][0]["answers"] == {"personalized_opt_in": "no"}

    [removed] = [r.value for r in await bot.plugins.call_async("forget_user", user_id=member.id, guild_id=guild.id)]
    assert removed == 1 and await ob.row(member) is None
    assert await bot.db.fetchval("SELECT count(*) FROM onboarding_progress WHERE user_id = $1", member.id) == 1
    [removed] = [r.value for r in await bot.plugins.call_async("forget_user", user_id=member.id, guild_id=None)]
    assert removed == 1
    assert [r.value for r in await bot.plugins.call_async("user_data", user_id=member.id)] == [None]


async def test_the_panel_is_kept(bot, emulator, guild, host, ob) -> None:
    panel = ob.panel
    await emulator.slash(host, "onboarding panel")  # again: the same message, refreshed
    assert [m.id for m in ob.welcome.messages if m.buttons] == [panel.id]
    await bot.settings.set(guild.id, "onboarding", "panel_text", "Hi there, press Start!")
    await emulator.slash(host, "onboarding panel")
    assert ob.panel.embeds[0]["description"] == "Hi there, press Start!"

    async def reposted() -> bool:  # a new panel is up and recorded
        shown = [m.id for m in ob.welcome.messages if m.buttons]
        kept = await bot.db.fetchval("SELECT message_id FROM onboarding_panels WHERE guild_id = $1", guild.id)
        return len(shown) == 1 and shown[0] == kept

    await bot.http.delete_message(ob.welcome.id, panel.id)  # someone deletes it
    await emulator.wait_until(reposted)
    assert ob.panel.id != panel.id and ob.panel.button_labels == ["Start"]
    second = ob.panel.id
    await bot.http.delete_messages(ob.welcome.id, [second, panel.id - 1])  # a purge takes it with others
    await emulator.wait_until(lambda: any(m.buttons for m in ob.welcome.messages))
    await emulator.wait_until(reposted)
    assert ob.panel.id != second

    lobby = guild.add_text_channel("lobby")  # the host moves the welcome channel
    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "channel", lobby.id)
    moved = await emulator.slash(host, "onboarding panel")
    assert moved.content == f"The Start panel is in <#{lobby.id}>."
    await emulator.settle()
    assert [m.button_labels for m in lobby.messages] == [["Start"]]
    assert not any(m.buttons for m in ob.welcome.messages)  # the old one is gone, and not put back
