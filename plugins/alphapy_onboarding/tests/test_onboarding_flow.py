"""A member's way through, end to end: the real bot, the emulator, PostgreSQL."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from alphapy.log import configure_logging

SOURCE = json.dumps([
    {"label": "Invited by a friend", "value": "friend"},
    {"label": "Social media", "value": "social"},
    {"label": "Search", "value": "search"},
])


async def onboarding_row(bot: Any, guild: Any, member: Any) -> Any:
    return await bot.db.fetchrow("SELECT responses, timestamp FROM onboarding WHERE guild_id = $1 AND user_id = $2",
                                 guild.id, member.id)


async def progress_row(bot: Any, guild: Any, member: Any) -> Any:
    return await bot.db.fetchrow("SELECT answers, rules_accepted_at FROM onboarding_progress "
                                 "WHERE guild_id = $1 AND user_id = $2", guild.id, member.id)


async def add_question(emulator: Any, host: Any, **options: Any) -> int:
    reply = await emulator.slash(host, "onboarding question add", options=options)  # "options" clashes
    assert reply.content.startswith("Question `#"), reply.content
    return int(reply.content.split("`#")[1].split("`")[0])


async def start(emulator: Any, bot: Any, guild: Any, member: Any) -> Any:
    """Press Start on the panel in #welcome; returns the member's (ephemeral) flow message."""
    channel = guild.channel("welcome")
    panel = next(m for m in reversed(channel.messages) if m.buttons)
    return await emulator.click(panel, "Start", by=member)


async def personalize(emulator: Any, screen: Any, member: Any, opt_in: str = "Yes, please!",
                      language: str = "Nederlands") -> Any:
    step = await emulator.click(screen, opt_in, by=member)
    assert "✅ Saved" in step.content
    return await emulator.click(step, language, by=member)


@pytest.fixture
def welcome(guild: Any) -> Any:
    return guild.add_text_channel("welcome")


@pytest.fixture
async def setup(welcome: Any, bot: Any, emulator: Any, guild: Any, host: Any) -> Any:
    await emulator.settle()  # the channel may have been made after the bot connected
    await bot.settings.set(guild.id, "onboarding", "channel", welcome.id)
    reply = await emulator.slash(host, "onboarding panel")
    assert reply.content == f"The Start panel is in <#{welcome.id}>."
    return welcome


async def test_the_whole_flow_with_every_question_type(bot, emulator, guild, host, member, setup) -> None:
    gamer = guild.add_role("Gamer")
    done = guild.add_role("Onboarded")
    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "completed_role", done.id)
    await emulator.slash(host, "onboarding rule add", title="Be kind", description="No harassment.",
                         thumbnail_url="https://example.org/t.png", image_url="https://example.org/i.png")
    await emulator.slash(host, "onboarding rule add", title="No spam", description="Keep it on topic.")
    source = await add_question(emulator, host, question="How did you find us?", type="select", options=SOURCE,
                                followup=json.dumps({"friend": {"question": "Who invited you?"}}))
    games = await add_question(emulator, host, question="What do you like?", type="multiselect",
                               options=json.dumps([{"label": "Games", "role": f"<@&{gamer.id}>"}, "Music", "Art"]),
                               min_values=1, max_values=2)
    intro = await add_question(emulator, host, question="Tell us about yourself", type="text", max_length=200)
    mail = await add_question(emulator, host, question="Your e-mail for the newsletter?", type="email",
                              required=False)

    rules = await start(emulator, bot, guild, member)
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
    assert fourth.content == "✅ Saved: **I paint \\*\\*birds\\*\\* @\u200beveryone**"
    assert "Skip" in fourth.response.button_labels  # optional e-mail

    form = await emulator.click(fourth, "Enter e-mail address", by=member)
    bad = await emulator.submit_modal(form, {"answer": "not-an-address"}, by=member)
    assert bad.content.startswith("⚠️ That is not a valid e-mail address")
    assert bad.embed["description"] == "Your e-mail for the newsletter?"  # asked again
    form = await emulator.click(bad, "Enter e-mail address", by=member)
    opt_in = await emulator.submit_modal(form, {"answer": "Member@Example.org"}, by=member)
    assert opt_in.content == "✅ Saved: **M•••@example.org**"  # masked, even to the member
    assert opt_in.embed["title"] == "Personalized reminders and tips"

    finished = await personalize(emulator, opt_in, member)
    await emulator.wait_until(lambda: finished.response.embeds and "complete" in finished.embed["title"])
    assert f"<@&{gamer.id}>" in finished.embed["description"] and f"<@&{done.id}>" in finished.embed["description"]
    assert member.has_role("Gamer") and member.has_role("Onboarded")

    row = await onboarding_row(bot, guild, member)
    assert row["responses"] == {
        str(source): "friend", f"{source}.friend": "Alice", str(games): ["games", "music"],
        str(intro): "I paint **birds** @everyone", str(mail): "Member@example.org",
        "personalized_opt_in": "full", "preferred_language": "nl",
    }
    assert row["timestamp"] is not None and row["timestamp"].tzinfo is None  # TIMESTAMP, in UTC
    assert await progress_row(bot, guild, member) is None


async def test_skip_and_required(bot, emulator, guild, host, member, setup) -> None:
    await add_question(emulator, host, question="Pick one", type="select", options='["A", "B"]')
    optional = await add_question(emulator, host, question="Anything else?", type="text", required=False)
    screen = await start(emulator, bot, guild, member)
    assert screen.response.button_labels == []  # a select menu and no Skip
    screen = await emulator.select(screen, ["a"], by=member)
    skipped = await emulator.click(screen, "Skip", by=member)
    assert skipped.content == "✅ Saved: **skipped**"
    await personalize(emulator, skipped, member, opt_in="No, thanks", language="English")
    row = await emulator.wait_until(lambda: onboarding_row(bot, guild, member))
    assert row["responses"][str(optional)] is None
    assert row["responses"]["personalized_opt_in"] == "no" and row["responses"]["preferred_language"] == "en"


async def test_a_required_question_cannot_be_skipped_by_a_forged_click(bot, emulator, guild, host, member,
                                                                        setup) -> None:
    required = await add_question(emulator, host, question="Pick one", type="select", options='["A", "B"]')
    screen = await start(emulator, bot, guild, member)
    screen.response.components[0]["components"].append(  # a modified client adds a Skip button
        {"type": 2, "style": 2, "label": "Skip", "custom_id": f"onboarding:skip:{guild.id}:{required}"})
    screen.response.components[0]["components"] = screen.response.components[0]["components"][1:]
    refused = await emulator.click(screen, "Skip", by=member)
    assert refused.content == "⚠️ This question cannot be skipped."
    assert (await progress_row(bot, guild, member))["answers"] == {}


async def test_other_language_and_events_only(bot, emulator, guild, member, setup) -> None:
    screen = await start(emulator, bot, guild, member)  # no rules, no questions: personalization only
    assert screen.embed["title"] == "Personalized reminders and tips"
    language = await emulator.click(screen, "Only events and sessions", by=member)
    form = await emulator.click(language, "Another language…", by=member)
    assert form.modal.title == "Your language"
    done = await emulator.submit_modal(form, {"answer": "Deutsch"}, by=member)
    await emulator.wait_until(lambda: done.response.embeds and "complete" in done.embed["title"])
    row = await onboarding_row(bot, guild, member)
    assert row["responses"] == {"personalized_opt_in": "events_only", "preferred_language": "other: Deutsch"}


async def test_followup_on_any_answer_and_changed_mind_is_forgotten(bot, emulator, guild, host, member,
                                                                    setup) -> None:
    colour = await add_question(emulator, host, question="Favourite colour?", type="multiselect",
                                options='["Red", "Blue", "Green"]',
                                followup=json.dumps({"red": {"question": "Which red?", "type": "select",
                                                             "options": ["Cherry", "Brick"]},
                                                     "blue": {"question": "Your blue e-mail?", "type": "email"}}))
    city = await add_question(emulator, host, question="Your city?", type="text",
                              followup='{"*": "What do you love about it?"}')
    screen = await start(emulator, bot, guild, member)
    red = await emulator.select(screen, ["red", "blue"], by=member)
    assert red.embed["description"] == "Which red?"
    blue = await emulator.select(red, ["brick"], by=member)
    assert blue.embed["description"] == "Your blue e-mail?"
    form = await emulator.click(blue, "Enter e-mail address", by=member)
    assert form.modal is not None, (form.content, form.embeds, form.components)
    town = await emulator.submit_modal(form, {"answer": "blue@example.org"}, by=member)
    assert town.embed["description"] == "Your city?"
    form = await emulator.click(town, "Answer", by=member)
    love = await emulator.submit_modal(form, {"answer": "Utrecht"}, by=member)
    assert love.embed["description"] == "What do you love about it?"
    form = await emulator.click(love, "Answer", by=member)
    end = await emulator.submit_modal(form, {"answer": "The canals"}, by=member)
    await personalize(emulator, end, member)
    row = await emulator.wait_until(lambda: onboarding_row(bot, guild, member))
    assert row["responses"] == {
        str(colour): ["red", "blue"], f"{colour}.red": "brick", f"{colour}.blue": "blue@example.org",
        str(city): "Utrecht", f"{city}.*": "The canals", "personalized_opt_in": "full", "preferred_language": "nl"}


async def test_answers_never_reach_the_logs(bot, emulator, guild, host, member, setup) -> None:
    await add_question(emulator, host, question="E-mail?", type="email")
    await add_question(emulator, host, question="Secret?", type="text")
    stream = io.StringIO()
    configure_logging("debug", "json", stream=stream)
    try:
        screen = await start(emulator, bot, guild, member)
        form = await emulator.click(screen, "Enter e-mail address", by=member)
        screen = await emulator.submit_modal(form, {"answer": "hidden.person@example.org"}, by=member)
        form = await emulator.click(screen, "Answer", by=member)
        screen = await emulator.submit_modal(form, {"answer": "my-secret-answer"}, by=member)
        done = await personalize(emulator, screen, member)
        await emulator.wait_until(lambda: done.response.embeds and "complete" in done.embed["title"])
    finally:
        configure_logging("warning", "json")
    logs = stream.getvalue()
    assert "onboarding.completed" in logs  # the log saw the run ...
    assert "hidden.person" not in logs and "my-secret-answer" not in logs  # ... but none of its answers
