"""A member's way through, end to end: the real bot, the emulator, PostgreSQL."""

from __future__ import annotations

import io
import json

from alphapy import configure_logging

SOURCE = json.dumps([
    {"label": "Invited by a friend", "value": "friend"},
    {"label": "Social media", "value": "social"},
    {"label": "Search", "value": "search"},
])


async def test_the_whole_flow_with_every_question_type(bot, emulator, guild, member, ob) -> None:
    gamer = guild.add_role("Gamer")
    done = guild.add_role("Onboarded")
    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "completed_role", done.id)
    await ob.add_rule(title="Be kind", description="No harassment.", thumbnail_url="https://example.org/t.png",
                      image_url="https://example.org/i.png")
    await ob.add_rule(title="No spam", description="Keep it on topic.")
    source = await ob.add_question(question="How did you find us?", type="select", options=SOURCE,
                                   followup=json.dumps({"friend": {"question": "Who invited you?"}}))
    games = await ob.add_question(question="What do you like?", type="multiselect", min_values=1, max_values=2,
                                  options=json.dumps([{"label": "Games", "role": f"<@&{gamer.id}>"}, "Music", "Art"]))
    intro = await ob.add_question(question="Tell us about yourself", type="text", max_length=200)
    mail = await ob.add_question(question="Your e-mail for the newsletter?", type="email", required=False)

    rules = await ob.start(member)
    assert rules.ephemeral and [e["title"] for e in rules.embeds] == ["Be kind", "No spam"]
    assert rules.embeds[0]["thumbnail"]["url"] == "https://example.org/t.png"
    assert rules.embeds[0]["image"]["url"] == "https://example.org/i.png"
    assert rules.response.button_labels == ["I accept the rules"]

    first = await emulator.click(rules, "I accept the rules", by=member)
    assert first.content.startswith("✅ Thank you for accepting the rules")
    assert first.embed["title"] == "Question 1 of 4" and first.embed["description"] == "How did you find us?"
    assert "Skip" not in first.response.button_labels  # required

    followup = await emulator.select(first, ["friend"], by=member)
    assert followup.content == "✅ Saved: **Invited by a friend**"
    assert followup.embed["title"] == "Question 1 of 4 · follow-up"
    form = await emulator.click(followup, "Answer", by=member)
    assert form.modal is not None and form.modal.custom_id == f"onboarding:form:{guild.id}:{source}.friend"
    second = await emulator.submit_modal(form, {"answer": "Alice"}, by=member)
    assert second.content == "✅ Saved: **Alice**" and second.embed["description"] == "What do you like?"

    third = await emulator.select(second, ["games", "music"], by=member)
    assert third.content == "✅ Saved: **Games, Music**"
    form = await emulator.click(third, "Answer", by=member)
    assert form.modal.fields[0].max_length == 200
    fourth = await emulator.submit_modal(form, {"answer": "I paint **birds** @everyone"}, by=member)
    assert fourth.content == "✅ Saved: **I paint \\*\\*birds\\*\\* @\u200beveryone**"  # no markdown, no ping
    assert "Skip" in fourth.response.button_labels  # the e-mail question is optional

    form = await emulator.click(fourth, "Enter e-mail address", by=member)
    bad = await emulator.submit_modal(form, {"answer": "not-an-address"}, by=member)
    assert bad.content.startswith("⚠️ That is not a valid e-mail address")
    assert bad.embed["description"] == "Your e-mail for the newsletter?"  # asked again
    form = await emulator.click(bad, "Enter e-mail address", by=member)
    opt_in = await emulator.submit_modal(form, {"answer": "Member@Example.org"}, by=member)
    assert opt_in.content == "✅ Saved: **M•••@example.org**"  # masked, even to the member
    assert opt_in.embed["title"] == "Personalized reminders and tips"

    finished = await ob.personalize(opt_in, member)
    assert f"<@&{gamer.id}>" in finished.embed["description"] and f"<@&{done.id}>" in finished.embed["description"]
    assert member.has_role("Gamer") and member.has_role("Onboarded")

    row = await ob.row(member)
    assert row["responses"] == {
        str(source): "friend", f"{source}.friend": "Alice", str(games): ["games", "music"],
        str(intro): "I paint **birds** @everyone", str(mail): "Member@example.org",
        "personalized_opt_in": "full", "preferred_language": "nl",
    }
    assert row["timestamp"] is not None and row["timestamp"].tzinfo is None  # TIMESTAMP, in UTC
    assert await ob.progress(member) is None


async def test_skip_an_optional_question(emulator, member, ob) -> None:
    await ob.add_question(question="Pick one", type="select", options='["A", "B"]')
    optional = await ob.add_question(question="Anything else?", type="text", required=False)
    screen = await ob.start(member)
    assert screen.response.button_labels == []  # a select menu and no Skip
    screen = await emulator.select(screen, ["a"], by=member)
    skipped = await emulator.click(screen, "Skip", by=member)
    assert skipped.content == "✅ Saved: **skipped**"
    await ob.personalize(skipped, member, opt_in="No, thanks", language="English")
    responses = (await ob.row(member))["responses"]
    assert responses[str(optional)] is None
    assert responses["personalized_opt_in"] == "no" and responses["preferred_language"] == "en"


async def test_a_required_question_cannot_be_skipped_by_a_forged_click(guild, emulator, member, ob) -> None:
    required = await ob.add_question(question="Pick one", type="select", options='["A", "B"]')
    screen = await ob.start(member)
    row = screen.response.components[0]["components"]  # a modified client swaps the menu for a Skip button
    row[:] = [{"type": 2, "style": 2, "label": "Skip", "custom_id": f"onboarding:skip:{guild.id}:{required}"}]
    refused = await emulator.click(screen, "Skip", by=member)
    assert refused.content == "⚠️ This question cannot be skipped."
    assert (await ob.progress(member))["answers"] == {}


async def test_another_language_and_events_only(emulator, member, ob) -> None:
    screen = await ob.start(member)  # no rules, no questions: only the personalization
    assert screen.embed["title"] == "Personalized reminders and tips"
    language = await emulator.click(screen, "Only events and sessions", by=member)
    form = await emulator.click(language, "Another language…", by=member)
    assert form.modal.title == "Your language"
    await ob.finished(await emulator.submit_modal(form, {"answer": "Deutsch"}, by=member))
    row = await ob.row(member)
    assert row["responses"] == {"personalized_opt_in": "events_only", "preferred_language": "other: Deutsch"}


async def test_followups_of_every_kind(emulator, member, ob) -> None:
    colour = await ob.add_question(
        question="Favourite colours?", type="multiselect", options='["Red", "Blue", "Green"]',
        followup=json.dumps({"red": {"question": "Which red?", "type": "select", "options": ["Cherry", "Brick"]},
                             "blue": {"question": "Your blue e-mail?", "type": "email"}}))
    city = await ob.add_question(question="Your city?", type="text", followup='{"*": "What do you love about it?"}')
    screen = await ob.start(member)
    red = await emulator.select(screen, ["red", "blue"], by=member)
    assert red.embed["description"] == "Which red?"
    blue = await emulator.select(red, ["brick"], by=member)
    assert blue.embed["description"] == "Your blue e-mail?"
    form = await emulator.click(blue, "Enter e-mail address", by=member)
    town = await emulator.submit_modal(form, {"answer": "blue@example.org"}, by=member)
    assert town.embed["description"] == "Your city?"
    form = await emulator.click(town, "Answer", by=member)
    love = await emulator.submit_modal(form, {"answer": "Utrecht"}, by=member)
    assert love.embed["description"] == "What do you love about it?"
    form = await emulator.click(love, "Answer", by=member)
    end = await emulator.submit_modal(form, {"answer": "The canals"}, by=member)
    await ob.personalize(end, member)
    assert (await ob.row(member))["responses"] == {
        str(colour): ["red", "blue"], f"{colour}.red": "brick", f"{colour}.blue": "blue@example.org",
        str(city): "Utrecht", f"{city}.*": "The canals", "personalized_opt_in": "full", "preferred_language": "nl"}


async def test_an_old_button_shows_where_the_member_really_is(emulator, member, ob) -> None:
    await ob.add_question(question="First?", type="select", options='["Yes", "No"]')
    await ob.add_question(question="Second?", type="select", options='["Yes", "No"]')
    first = await ob.start(member)
    old_menu = first.response.components  # the first question's menu, kept before it is replaced
    second = await emulator.select(first, ["yes"], by=member)
    assert second.embed["description"] == "Second?"
    second.response.components = old_menu  # as if the member clicked an older copy of the message
    again = await emulator.select(second, ["no"], by=member)
    assert again.content == "That step is already behind you; here is where you are."
    assert again.embed["description"] == "Second?"
    assert list((await ob.progress(member))["answers"].values()) == ["yes"]  # the first answer stands


async def test_answers_never_reach_the_logs(emulator, member, ob) -> None:
    await ob.add_question(question="E-mail?", type="email")
    await ob.add_question(question="Secret?", type="text")
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    try:
        screen = await ob.start(member)
        form = await emulator.click(screen, "Enter e-mail address", by=member)
        screen = await emulator.submit_modal(form, {"answer": "hidden.person@example.org"}, by=member)
        form = await emulator.click(screen, "Answer", by=member)
        screen = await emulator.submit_modal(form, {"answer": "my-secret-answer"}, by=member)
        await ob.personalize(screen, member)
    finally:
        configure_logging("warning", "json")
    logs = stream.getvalue()
    assert "onboarding.completed" in logs  # the log saw the run ...
    assert "hidden.person" not in logs and "my-secret-answer" not in logs  # ... but none of its answers
