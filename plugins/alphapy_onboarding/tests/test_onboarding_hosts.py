"""The hosts' commands: questions and rules, reordering, responses, reset, and hostile input."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from typing import Any

import pytest

from alphapy.testing import assert_tables_match_reference

REFERENCE_TABLES = ["onboarding", "guild_onboarding_questions", "guild_rules"]


def test_tables_match_the_reference(migrated_database_url: str) -> None:
    assert_tables_match_reference(migrated_database_url, REFERENCE_TABLES)


def test_the_migration_rolls_back(migrated_database_url: str, plugin_manager: Any) -> None:
    import psycopg

    from alphapy.testing import MigrationRunner

    runner = MigrationRunner(migrated_database_url, plugin_manager.migration_sources())
    assert runner.rollback("onboarding") == ["onboarding_0001_init"]
    with psycopg.connect(migrated_database_url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE '%onboarding%' "
                            "OR tablename = 'guild_rules'").fetchone()
    assert left == (0,)


async def orders(bot: Any, table: str, guild: Any) -> list[tuple[int, int]]:
    column = "step_order" if table == "guild_onboarding_questions" else "rule_order"
    rows = await bot.db.fetch(f"SELECT id, {column} FROM {table} WHERE guild_id = $1 ORDER BY {column}", guild.id)
    return [(r["id"], r[column]) for r in rows]


def without_limit(emulator: Any, path: str, option: str) -> None:
    """A modified client that ignores the length Discord enforces for ``/onboarding <path> <option>``."""
    [command] = [c for c in emulator.commands() if c.name == "onboarding"]
    node: dict[str, Any] = command.data
    for part in path.split():
        node = next(o for o in node["options"] if o["name"] == part)
    next(o for o in node["options"] if o["name"] == option).pop("max_length")


async def test_questions_add_edit_move_remove_keep_the_order_gapless(bot, emulator, guild, host, ob) -> None:
    ids = [await ob.add_question(question=f"Q{n}", type="text") for n in range(1, 5)]
    inserted = await ob.add_question(question="Q0", type="text", position=1)
    assert [i for i, _ in await orders(bot, "guild_onboarding_questions", guild)] == [inserted, *ids]

    moved = await emulator.slash(host, "onboarding question move", question_id=inserted, position=25)
    assert moved.content == f"Question `#{inserted}` is now number 5."
    await emulator.slash(host, "onboarding question move", question_id=ids[3], position=1)
    removed = await emulator.slash(host, "onboarding question remove", question_id=ids[1])
    assert removed.content == f"Question `#{ids[1]}` removed."
    assert await orders(bot, "guild_onboarding_questions", guild) == [
        (ids[3], 1), (ids[0], 2), (ids[2], 3), (inserted, 4)]

    # Many moves at once, from several hosts' clicks: still unique and 1..n (one transaction each, locked).
    moves = [emulator.slash(host, "onboarding question move", question_id=qid, position=pos)
             for qid, pos in [(ids[0], 4), (inserted, 1), (ids[2], 2), (ids[3], 3), (ids[0], 1), (inserted, 4)]]
    await asyncio.gather(*moves)
    assert [order for _, order in await orders(bot, "guild_onboarding_questions", guild)] == [1, 2, 3, 4]

    edited = await emulator.slash(host, "onboarding question edit", options={
        "question_id": ids[0], "question": "Your favourite?", "type": "select", "options": '["A", "B"]',
        "required": False})
    assert edited.content == f"Question `#{ids[0]}` saved."
    row = await bot.db.fetchrow("SELECT question, question_type, options, required, max_length, updated_at, "
                                "created_at FROM guild_onboarding_questions WHERE id = $1", ids[0])
    assert (row["question"], row["question_type"], row["required"], row["max_length"]) == (
        "Your favourite?", "select", False, None)
    assert row["options"] == [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}]
    assert row["updated_at"] >= row["created_at"]
    await emulator.slash(host, "onboarding question edit", question_id=ids[2], enabled=False)

    listing = await emulator.slash(host, "onboarding question list")
    text = listing.embed["description"]
    assert "Your favourite? — `#" in text and "select · optional · 2 options" in text and "**disabled**" in text
    choices = await emulator.autocomplete(host, "onboarding question move", focused="question_id", value="fav")
    assert [c.value for c in choices] == [ids[0]]


async def test_a_disabled_question_is_not_asked(emulator, host, member, ob) -> None:
    hidden = await ob.add_question(question="Hidden?", type="text")
    await ob.add_question(question="Shown?", type="select", options='["Yes", "No"]')
    await emulator.slash(host, "onboarding question edit", question_id=hidden, enabled=False)
    screen = await ob.start(member)
    assert screen.embed["description"] == "Shown?" and screen.embed["title"] == "Question 1 of 1"


async def test_rules_add_edit_move_remove(bot, emulator, guild, host, member, ob) -> None:
    first = await ob.add_rule(title="One", description="First rule", image_url="https://example.org/a.png")
    second = await ob.add_rule(title="Two", description="Second rule")
    third = await ob.add_rule(title="Zero", description="Goes first", position=1)
    assert [i for i, _ in await orders(bot, "guild_rules", guild)] == [third, first, second]
    await emulator.slash(host, "onboarding rule move", rule_id=third, position=3)
    edited = await emulator.slash(host, "onboarding rule edit", rule_id=first, image_url="none",
                                  thumbnail_url="https://example.org/t.png", title="One, edited")
    assert edited.content == f"Rule `#{first}` saved."
    await emulator.slash(host, "onboarding rule edit", rule_id=second, enabled=False)
    await emulator.slash(host, "onboarding rule remove", rule_id=third)
    assert await orders(bot, "guild_rules", guild) == [(first, 1), (second, 2)]
    listing = await emulator.slash(host, "onboarding rule list")
    assert listing.embed["description"].splitlines() == [
        f"**1.** One, edited — `#{first}` · thumbnail", f"**2.** Two — `#{second}` · **disabled**"]

    screen = await ob.start(member)
    assert [(e["title"], e.get("thumbnail", {}).get("url"), "image" in e) for e in screen.embeds] == [
        ("One, edited", "https://example.org/t.png", False)]


async def test_many_long_rules_are_split_into_pages(emulator, member, ob) -> None:
    for n in range(1, 13):
        await ob.add_rule(title=f"Rule {n}", description=f"{n} " + "x" * 1500)
    page = await ob.start(member)
    shown = [e["title"] for e in page.embeds]
    assert shown == ["Rule 1", "Rule 2", "Rule 3"]  # 6,000 characters per message at most
    assert page.response.button_labels == ["Next rules ›"]
    while "Next rules ›" in page.response.button_labels:
        page = await emulator.click(page, "Next rules ›", by=member)
        shown += [e["title"] for e in page.embeds]
    assert shown == [f"Rule {n}" for n in range(1, 13)]
    after = await emulator.click(page, "I accept the rules", by=member)
    assert after.embed["title"] == "Personalized reminders and tips"


async def test_responses_csv_for_managers_only(bot, emulator, guild, host, member, ob) -> None:
    question = await ob.add_question(question="=Your mail?", type="email")
    await ob.add_question(question="Pick", type="multiselect", options='["One", "Two"]')
    form = await emulator.click(await ob.start(member), "Enter e-mail address", by=member)
    screen = await emulator.submit_modal(form, {"answer": "csv.person@example.org"}, by=member)
    screen = await emulator.select(screen, ["one", "two"], by=member)
    await ob.personalize(screen, member)
    await bot.db.execute("INSERT INTO onboarding (guild_id, user_id, responses, timestamp) "
                         "VALUES ($1, 42, $2, now() AT TIME ZONE 'utc')", guild.id,
                         {str(question): "=HYPERLINK(\"http://evil\")", "999": "an answer to a removed question"})
    starter = guild.add_member("starter")
    await emulator.settle()
    await ob.start(starter)  # in progress, not in the file

    refused = await emulator.slash(member, "onboarding responses", check_permissions=False)
    assert refused.content == "Only server managers (Manage Server) can use this command."
    reply = await emulator.slash(host, "onboarding responses")
    assert reply.ephemeral and reply.content.startswith("2 members finished onboarding; 1 in progress.")
    [attachment] = reply.attachments
    rows = list(csv.reader(io.StringIO(attachment.data.decode("utf-8-sig"))))
    assert rows[0] == ["user_id", "member", "completed_at_utc", "1. =Your mail?",
                       "2. Pick", "answer 999 (question removed)", "personalized_opt_in", "preferred_language"]
    mine = next(r for r in rows if r[0] == str(member.id))
    assert mine[1] == "member" and mine[3:] == ["csv.person@example.org", "One; Two", "", "Yes, please!", "nl"]
    planted = next(r for r in rows if r[0] == "42")
    assert planted[3] == "'=HYPERLINK(\"http://evil\")"  # defused for spreadsheets
    assert planted[5] == "an answer to a removed question"
    # E-mail addresses appear in that file only: not in the list, the log channel or the member's screens.
    listing = await emulator.slash(host, "onboarding question list")
    assert "csv.person" not in listing.embed["description"]
    assert all("csv.person" not in (m.content + json.dumps(m.embeds)) for m in emulator.ephemeral_replies(member))


async def test_reset_a_member(bot, emulator, guild, host, member, ob) -> None:
    await ob.personalize(await ob.start(member), member)
    reset = await emulator.slash(host, "onboarding reset", member=member)
    assert reset.content.startswith(f"Onboarding answers of <@{member.id}> erased")
    assert await ob.row(member) is None
    again = await emulator.slash(host, "onboarding reset", member=member)
    assert again.content == "member has no onboarding answers in this server."
    screen = await ob.start(member)
    assert screen.embed["title"] == "Personalized reminders and tips"  # a fresh start, not "already completed"


async def test_a_member_cannot_use_host_commands(emulator, member, ob) -> None:
    for command, options in [("onboarding question add", {"question": "X", "type": "text"}),
                             ("onboarding rule add", {"title": "X", "description": "Y"}),
                             ("onboarding preview", {}), ("onboarding panel", {})]:
        with pytest.raises(PermissionError):  # Discord hides them
            await emulator.slash(member, command, options=options)
        refused = await emulator.slash(member, command, options=options, check_permissions=False)
        assert refused.content == "Only server managers (Manage Server) can use this command."


# --- hostile input ---------------------------------------------------------------------------------

BAD_QUESTIONS = [
    ({"type": "select", "options": '["A", "B"'}, "The options are not valid JSON"),
    ({"type": "select", "options": json.dumps([f"Option {n}" for n in range(26)])},
     "A question can have at most 25 options (26 given)"),
    ({"type": "select", "options": '{"a": 1}'}, "The options must be a JSON list"),
    ({"type": "select", "options": '["Only one"]'}, "give it 2 to 25 options"),
    ({"type": "select", "options": '[{"label": "A", "colour": "red"}, "B"]'}, "unknown field(s): colour"),
    ({"type": "select", "options": '[{"label": "A", "value": "x"}, {"label": "B", "value": "x"}]'},
     "Two options have the value 'x'"),
    ({"type": "select", "options": '[{"label": "A", "value": "has space"}, "B"]'}, "value must be 1 to 32"),
    ({"type": "select", "options": json.dumps(["x" * 101, "B"])}, "at most 100 characters"),
    ({"type": "select", "options": '[{"label": "A", "role": "not a role"}, "B"]'}, "A role must be a @role mention"),
    ({"type": "select", "options": '[{"label": "A", "role": "123"}, "B"]'}, "is not a role of this server"),
    ({"type": "text", "options": '["A", "B"]'}, "options are for select and multiselect questions only"),
    ({"type": "multiselect", "options": '["A", "B"]', "min_values": 2, "max_values": 1}, "with the minimum"),
    ({"type": "select", "options": '["A", "B"]', "followup": '{"c": "Why?"}'},
     "The follow-up trigger 'c' is not an option value"),
    ({"type": "select", "options": '["A", "B"]', "followup": '{"a": {"question": "Why?", "followup": {}}}'},
     "cannot have follow-ups of its own"),
    ({"type": "select", "options": '["A", "B"]', "followup": '{"a": "Why?", "a": "Again?"}'}, "names 'a' twice"),
    ({"type": "select", "options": '["A", "B"]', "followup": '{"a": {"question": "Why?", "type": "essay"}}'},
     "unknown type 'essay'"),
    ({"type": "select", "options": '["A", "B"]', "followup": '{"a": {"question": "Pick", "type": "select"}}'},
     "Follow-up 1 is a select question: give it 2 to 25 options"),
    ({"type": "email", "max_length": 10}, "fixed length limit"),
    ({"type": "text", "question": "bell\x07"}, "must not contain control characters"),
]


async def test_bad_questions_are_refused(bot, emulator, guild, host, ob) -> None:
    for options, expected in BAD_QUESTIONS:  # one bot for all cases: each is one command
        reply = await emulator.slash(host, "onboarding question add", options={"question": "Q?", **options})
        assert reply.ephemeral and expected in reply.content, (options, reply.content)
        assert "error id" not in reply.content
    assert await bot.db.fetchval("SELECT count(*) FROM guild_onboarding_questions") == 0


async def test_a_role_of_another_server_is_refused(bot, emulator, host, ob) -> None:
    other = emulator.add_guild("Other", owner_name="other-owner")
    theirs = other.add_role("Theirs")
    await emulator.settle()
    reply = await emulator.slash(host, "onboarding question add", options={
        "question": "Q?", "type": "select", "options": json.dumps([{"label": "A", "role": f"<@&{theirs.id}>"}, "B"])})
    assert reply.content == f"Option 'A': the role {theirs.id} is not a role of this server."


DEEP_LIST = "[" * 3000 + "]" * 3000  # 6,000 characters: what one option can carry, nested 3,000 deep
BAD_JSON = [
    ({"type": "select", "options": DEEP_LIST}, "The options are nested too deeply (at most 32 levels"),
    ({"type": "select", "options": '["A", "B"]', "followup": '{"a": ' + "[" * 2990 + "]" * 2990 + "}"},
     "The follow-ups are nested too deeply (at most 32 levels"),
    ({"type": "select", "options": '["A", ' + "9" * 5000 + "]"},
     "The options are not usable: a number in it has too many digits."),
    ({"type": "select", "options": '["A", NaN]'}, "The options are not valid JSON (NaN is not a JSON value)."),
]


async def test_deep_or_oversized_json_gets_a_sentence_and_stores_nothing(bot, emulator, host, ob) -> None:
    kept = await ob.add_question(question="Kept?", type="select", options='["A", "B"]')
    before = await bot.db.fetchrow("SELECT * FROM guild_onboarding_questions WHERE id = $1", kept)
    for options, expected in BAD_JSON:
        added = await emulator.slash(host, "onboarding question add", options={"question": "Q?", **options})
        edited = await emulator.slash(host, "onboarding question edit", options={"question_id": kept, **options})
        for reply in (added, edited):
            assert reply.ephemeral and reply.content.startswith(expected), (options, reply.content)
    without_limit(emulator, "question add", "options")  # a modified client sends more than 6,000 characters
    for nested, expected in [(5_000, "The options are nested too deeply (at most 32 levels"),
                             (10_000, "The options are too long (at most 16,000 characters).")]:
        reply = await emulator.slash(host, "onboarding question add", options={
            "question": "Q?", "type": "select", "options": "[" * nested + "]" * nested})
        assert reply.ephemeral and reply.content.startswith(expected), reply.content
    assert await bot.db.fetch("SELECT * FROM guild_onboarding_questions") == [before]


def without_ranges(emulator: Any, path: str) -> None:
    """A modified client that sends any number for the options of ``/onboarding <path>``."""
    [command] = [c for c in emulator.commands() if c.name == "onboarding"]
    node: dict[str, Any] = command.data
    for part in path.split():
        node = next(o for o in node["options"] if o["name"] == part)
    for option in node["options"]:
        option.pop("min_value", None)
        option.pop("max_value", None)


ID_COMMANDS = [("question edit", "question_id", {"question": "X?"}), ("question remove", "question_id", {}),
               ("question move", "question_id", {"position": 1}), ("rule edit", "rule_id", {"title": "X"}),
               ("rule remove", "rule_id", {}), ("rule move", "rule_id", {"position": 1})]


async def test_ids_beyond_what_a_question_or_rule_can_have(bot, emulator, host, ob) -> None:
    await ob.add_question(question="Kept?", type="text")
    await ob.add_rule(title="Kept", description="D")
    before = [await bot.db.fetch(f"SELECT * FROM {table} ORDER BY id")
              for table in ("guild_onboarding_questions", "guild_rules")]
    for path, name, extra in ID_COMMANDS:
        what = path.split()[0]
        for number in (2**31, 2**63):
            with pytest.raises(ValueError, match="outside 1..2147483647"):  # Discord's own client stops these
                await emulator.slash(host, f"onboarding {path}", options={name: number, **extra})
        unknown = await emulator.slash(host, f"onboarding {path}", options={name: 2_147_483_647, **extra})
        assert unknown.content == f"There is no onboarding {what} #2147483647 in this server."
        without_ranges(emulator, path)  # ... a modified client does not; the bot still answers in a sentence
        for number in (2**31, 2**63):
            reply = await emulator.slash(host, f"onboarding {path}", options={name: number, **extra})
            assert reply.ephemeral and reply.content == f"The {name} must be a whole number from 1 to 2,147,483,647."
    assert [await bot.db.fetch(f"SELECT * FROM {table} ORDER BY id")
            for table in ("guild_onboarding_questions", "guild_rules")] == before


BAD_URLS = ["http://example.org/a.png", "javascript:alert(1)", "ftp://example.org/a.png", "https://",
            "https://exa mple.org/a.png", "data:image/png;base64,AAAA", "https://localhost/a.png"]


async def test_image_urls_must_be_https(bot, emulator, host, ob) -> None:
    rule = await ob.add_rule(title="T", description="D")
    for url in BAD_URLS:
        reply = await emulator.slash(host, "onboarding rule add", title="T", description="D", image_url=url)
        assert reply.ephemeral and reply.content.startswith("The image URL must be an https:// link"), url
        edited = await emulator.slash(host, "onboarding rule edit", rule_id=rule, thumbnail_url=url)
        assert edited.content.startswith("The thumbnail URL must be an https:// link"), url
    assert await bot.db.fetchval("SELECT count(*) FROM guild_rules") == 1
    assert await bot.db.fetchval("SELECT thumbnail_url FROM guild_rules WHERE id = $1", rule) is None


async def test_4001_characters_are_refused_even_from_a_modified_client(bot, emulator, host, member, ob) -> None:
    with pytest.raises(ValueError, match="length 4001"):  # Discord's own client stops it ...
        await emulator.slash(host, "onboarding rule add", title="T", description="x" * 4001)
    without_limit(emulator, "rule add", "description")  # ... a modified one does not; the bot does
    reply = await emulator.slash(host, "onboarding rule add", title="T", description="x" * 4001)
    assert reply.content == "A rule's description must be 1 to 4,000 characters of text."
    without_limit(emulator, "question add", "question")
    reply = await emulator.slash(host, "onboarding question add", options={"question": "q" * 4001, "type": "text"})
    assert reply.content == "The question can have at most 1000 characters (4001 given)."

    await ob.add_question(question="Your story?", type="text", max_length=4000)
    form = await emulator.click(await ob.start(member), "Answer", by=member)
    form.modal.fields[0].max_length = None  # the member's modified client ignores the form's limit
    refused = await emulator.submit_modal(form, {"answer": "y" * 4001}, by=member)
    assert refused.content == "⚠️ Your answer is 4,001 characters long; at most 4,000 fit."
    assert (await ob.progress(member))["answers"] == {}
    assert await bot.db.fetchval("SELECT count(*) FROM guild_rules") == 0


async def test_markdown_and_mentions_in_questions_ping_nobody(bot, emulator, host, member, ob) -> None:
    await ob.add_question(question="@everyone **bold** <@&1> question", type="select",
                          options='["@everyone", "<@&1>"]')
    screen = await ob.start(member)
    assert screen.embed["description"] == "@everyone **bold** <@&1> question"  # in an embed: never pings
    answered = await emulator.select(screen, ["everyone"], by=member)
    assert answered.content == "✅ Saved: **@\u200beveryone**"
    request = emulator.requests.matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[-1]
    assert request.json["data"]["allowed_mentions"]["parse"] == []


async def test_panel_checks_at_the_same_moment_leave_one_panel(bot, emulator, guild, welcome) -> None:
    """The start-up check, ``/onboarding panel`` and a deleted panel's restoration may run at
    once: each found no panel and posted one, and the channel showed two Start panels."""
    from alphapy_onboarding.cog import OnboardingCog

    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "channel", welcome.id)
    cog = OnboardingCog.find(bot)
    assert cog is not None
    posted = await asyncio.gather(*(cog.keep_panel(bot.get_guild(guild.id)) for _ in range(3)))
    await emulator.settle()
    assert [m.id for m in welcome.messages if m.buttons] == [posted[0].id]
    assert {message.id for message in posted} == {posted[0].id}  # the later checks edited it
