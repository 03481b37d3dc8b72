"""The onboarding chapter of ``alphapy demo``: a host sets it up, a newcomer goes through."""

from __future__ import annotations

import json
from typing import Any


async def chapter(t: Any) -> None:
    guild, emulator = t.guild, t.emulator
    welcome = guild.channel("welcome")
    gamer = guild.add_role("Gamer")
    onboarded = guild.add_role("Onboarded")
    await emulator.settle()

    t.say("The host chooses the welcome channel and the role for finishing, and posts the Start panel.")
    await t.slash(t.host, "settings set", setting="onboarding.channel", value=f"<#{welcome.id}>")
    await t.slash(t.host, "settings set", setting="onboarding.completed_role", value=f"<@&{onboarded.id}>")
    panel = await t.slash(t.host, "onboarding panel")
    t.expect(panel.content == f"The Start panel is in <#{welcome.id}>.", "the panel is posted in #welcome")

    t.say("The host writes a rule and three questions; one option gives a role, one answer asks a follow-up.")
    await t.slash(t.host, "onboarding rule add", title="Be kind", description="No harassment, no spam.",
                  thumbnail_url="https://example.org/kind.png")
    await t.slash(t.host, "onboarding question add", options={
        "question": "How did you find us?", "type": "select",
        "options": json.dumps(["A friend", "Social media", "Search"]),
        "followup": json.dumps({"a-friend": {"question": "Who invited you?"}})})
    await t.slash(t.host, "onboarding question add", options={
        "question": "What do you like?", "type": "multiselect",
        "options": json.dumps([{"label": "Games", "role": f"<@&{gamer.id}>"}, "Music", "Art"])})
    await t.slash(t.host, "onboarding question add", options={
        "question": "Your e-mail for the newsletter?", "type": "email", "required": False})
    bad = await t.slash(t.host, "onboarding question add", options={
        "question": "Too many?", "type": "select", "options": json.dumps([f"Option {n}" for n in range(26)])})
    t.expect(bad.content.startswith("A question can have at most 25 options"), "26 options are refused politely")
    moved = await t.slash(t.host, "onboarding question list")
    t.expect("How did you find us?" in (moved.embed or {}).get("description", ""), "the host sees the questions")

    t.say("The host tries it first: the preview walks the flow and stores nothing.")
    preview = await t.slash(t.host, "onboarding preview")
    t.expect(preview.embeds and preview.embeds[0].get("title") == "Be kind", "the preview starts with the rules")
    step = await t.click(t.host, preview, "I accept the rules")
    t.expect(step.embed and step.embed.get("description") == "How did you find us?", "then the first question")
    stored = await t.bot.db.fetchval("SELECT count(*) FROM onboarding_progress")
    t.expect(stored == 0, "nothing is stored by the preview")

    t.say("A newcomer joins and presses Start on the panel.")
    newcomer = await t.member_join("newcomer")
    panel_message = next(m for m in reversed(welcome.messages) if m.buttons)
    rules = await t.click(newcomer, panel_message, "Start")
    t.expect(rules.ephemeral and rules.embeds[0].get("title") == "Be kind", "the rules come first, only for them")
    screen = await t.click(newcomer, rules, "I accept the rules")
    screen = await t.select(newcomer, screen, ["a-friend"])
    form = await t.click(newcomer, screen, "Answer")
    screen = await t.submit_modal(newcomer, form, {"answer": "Alice"})
    screen = await t.select(newcomer, screen, ["games", "music"])
    form = await t.click(newcomer, screen, "Enter e-mail address")
    screen = await t.submit_modal(newcomer, form, {"answer": "newcomer@@example"})
    t.expect(screen.content.startswith("⚠️ That is not a valid e-mail address"), "a bad e-mail address is asked again")
    form = await t.click(newcomer, screen, "Enter e-mail address")
    screen = await t.submit_modal(newcomer, form, {"answer": "newcomer@example.org"})
    screen = await t.click(newcomer, screen, "Yes, please!")
    done = await t.click(newcomer, screen, "English")
    await emulator.wait_until(lambda: done.response is not None and done.response.embeds
                              and "complete" in (done.response.embeds[0].get("title") or ""))
    t.expect(newcomer.has_role("Gamer") and newcomer.has_role("Onboarded"), "the newcomer got Gamer and Onboarded")

    t.say("The host downloads the answers: the only place e-mail addresses appear.")
    export = await t.slash(t.host, "onboarding responses")
    data = export.attachments[0].data.decode("utf-8-sig") if export.attachments else ""
    t.expect("newcomer@example.org" in data and "Alice" in data, "the CSV holds the newcomer's answers")
    responses: Any = await t.bot.db.fetchval("SELECT responses FROM onboarding WHERE user_id = $1", newcomer.id)
    t.expect(responses and responses.get("preferred_language") == "en", "personalization is stored with them")
