"""The onboarding pages on the dashboard: the rules and questions editor, its preview and the
CSV, against the running bot, the emulator (REST, gateway, OAuth2) and PostgreSQL."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from typing import Any

import pytest
from alphapy_onboarding.dashboard import BAD_PAGE, BAD_POSITION, BAD_TYPE, NO_SUCH_QUESTION

from alphapy.testing import DashboardBrowser, P

WRITES_PER_SESSION = 8
"""Fewer than the dashboard's burst of writes per session (10)."""
QUESTION_COLUMNS = "question, question_type, options, followup, required, enabled, step_order"


def page_of(guild: Any, path: str = "") -> str:
    return f"/guilds/{guild.id}/onboarding" + (f"/{path}" if path else "")



async def definitions(bot: Any, guild: Any) -> list[Any]:
    """Everything stored about the guild's flow, to show that a refusal changed nothing."""
    questions = await bot.db.fetch(f"SELECT id, {QUESTION_COLUMNS} FROM guild_onboarding_questions "
                                   "WHERE guild_id = $1 ORDER BY id", guild.id)
    rules = await bot.db.fetch("SELECT * FROM guild_rules WHERE guild_id = $1 ORDER BY id", guild.id)
    return [dict(r) for r in questions] + [dict(r) for r in rules]


@pytest.fixture
def staff(guild: Any) -> Any:
    """A member with the server's ``core.staff_role`` (set by the test) and no Manage Server."""
    return guild.add_member("stella", roles=[guild.add_role("Helpers")])


async def test_who_may_open_the_onboarding_pages(staff, dashboard_url, emulator, bot, guild, host, member,
                                                 ob) -> None:
    await bot.settings.set(guild.id, "core", "staff_role", staff.roles[-1].id)
    question = await ob.add_question(question="Why here?", type="text")
    async with DashboardBrowser(dashboard_url) as anonymous:
        to_login = await anonymous.get(page_of(guild))
        assert "/login" in to_login.url or "Who are you?" in to_login.text
    other = emulator.add_guild("Other Place", owner_name="otto")
    # /onboarding is for Manage Server; so are its pages (the CSV holds e-mail addresses).
    expected = {host: 200, guild.owner: 200, staff: 403, member: 403, other.owner: 403}
    for person, status in expected.items():
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            for path in ("", f"question/{question}", "preview", "responses"):
                assert (await browser.get(page_of(guild, path))).status == status, (person.name, path)
            if status == 403:
                forged = await browser.post(page_of(guild, f"question/{question}/remove"))
                assert forged.status == 403
    assert len(await definitions(bot, guild)) == 1
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        overview = await browser.get(f"/guilds/{guild.id}")
        assert f'href="{page_of(guild)}">Onboarding</a>' in overview.text


async def test_a_question_added_on_the_page_is_asked_in_discord_and_gives_its_role(
        dashboard_url, emulator, bot, guild, ob) -> None:
    gamers = guild.add_role("Gamers")
    await emulator.settle()
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        added = await browser.post(page_of(guild, "rules"), {"title": "Be kind", "description": "No insults."})
        assert added.sentence.startswith("Rule #") and added.url.endswith(page_of(guild))
        added = await browser.post(page_of(guild, "questions"), {
            "question": "What brings you here?", "type": "select", "required": "true",
            "options": json.dumps([{"label": "Games", "role": str(gamers.id)}, "Music"]), "followup": ""})
        new_id = int(re.fullmatch(r"Question #(\d+) added at position 1\.", added.sentence).group(1))
        assert "What brings you here?" in added.text and "Be kind" in added.text

    listed = await emulator.slash(ob.host, "onboarding question list")
    assert f"What brings you here? — `#{new_id}`" in listed.embeds[0]["description"]
    newcomer = guild.add_member("nina")
    await emulator.settle()
    rules = await ob.start(newcomer)
    assert rules.embeds[-1]["title"] == "Be kind"
    asked = await emulator.click(rules, "I accept the rules", by=newcomer)
    assert "What brings you here?" in json.dumps(asked.embeds)
    await ob.personalize(await emulator.select(asked, ["games"], by=newcomer), newcomer)
    assert newcomer.has_role("Gamers")
    assert (await ob.row(newcomer))["responses"][str(new_id)] == "games"


async def test_changes_made_with_slash_commands_appear_on_the_page(dashboard_url, emulator, guild, ob) -> None:
    first = await ob.add_question(question="First?", type="text")
    second = await ob.add_question(question="Second?", type="email", required=False)
    await emulator.slash(ob.host, "onboarding question move", question_id=second, position=1)
    await emulator.slash(ob.host, "onboarding question edit", question_id=first, enabled=False)
    await ob.add_rule(title="No spam", description="Really.")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        page = await browser.get(page_of(guild))
        assert page.text.index("Second?") < page.text.index("First?")
        assert re.search(rf'id="question-{first}".*?no \(disabled\)', page.text, re.S)
        assert "No spam" in page.text
        preview = await browser.get(page_of(guild, "preview"))
        assert "Second?" in preview.text and "First?" not in preview.text  # a disabled question is not asked


async def test_edit_move_and_remove_go_through_the_same_rules_as_the_commands(
        dashboard_url, emulator, bot, guild, ob) -> None:
    ids = [await ob.add_question(question=f"Q{n}", type="text") for n in range(1, 4)]
    rule = await ob.add_rule(title="Old title", description="Old text.")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        moved = await browser.post(page_of(guild, f"question/{ids[2]}/move"), {"position": "1"})
        assert moved.sentence == f"Question #{ids[2]} is now number 1."
        form = await browser.get(page_of(guild, f"question/{ids[0]}"))
        assert ">Q1</textarea>" in form.text
        saved = await browser.post(page_of(guild, f"question/{ids[0]}"), {
            "question": "Which games?", "type": "multiselect", "options": '["Chess", "Go", "Shogi"]',
            "followup": '{"go": "Which board size?"}', "required": "false", "enabled": "true",
            "min_values": "1", "max_values": "2", "max_length": ""})
        assert saved.sentence == f"Question #{ids[0]} saved."
        edited = await browser.get(page_of(guild, f"question/{ids[0]}"))
        assert "Which board size?" in html.unescape(edited.text)  # the follow-up, back in the form
        again = await browser.post(page_of(guild, f"question/{ids[0]}"), {  # the form as shown, saved unchanged
            "question": "Which games?", "type": "multiselect",
            "options": html.unescape(re.search(r'name="options"[^>]*>([^<]*)<', edited.text).group(1)),
            "followup": html.unescape(re.search(r'name="followup"[^>]*>([^<]*)<', edited.text).group(1)),
            "required": "false", "enabled": "true", "min_values": "1", "max_values": "2"})
        assert again.sentence == f"Question #{ids[0]} saved."
        removed = await browser.post(page_of(guild, f"question/{ids[1]}/remove"))
        assert removed.sentence == f"Question #{ids[1]} removed."
        ruled = await browser.post(page_of(guild, f"rule/{rule}"), {
            "title": "New title", "description": "New text.", "thumbnail_url": "https://example.org/t.png",
            "image_url": "", "enabled": "true"})
        assert ruled.sentence == f"Rule #{rule} saved."
    row = await bot.db.fetchrow(f"SELECT {QUESTION_COLUMNS}, min_values, max_values FROM guild_onboarding_questions "
                                "WHERE id = $1", ids[0])
    assert (row["question"], row["question_type"], row["required"], row["min_values"], row["max_values"]) == (
        "Which games?", "multiselect", False, 1, 2)
    assert [o["value"] for o in row["options"]] == ["chess", "go", "shogi"]
    assert row["followup"] == [{"when": "go", "question": "Which board size?", "type": "text", "required": True,
                                "max_length": 1000}]
    assert [r["id"] for r in await bot.db.fetch(
        "SELECT id FROM guild_onboarding_questions WHERE guild_id = $1 ORDER BY step_order", guild.id)] == [
        ids[2], ids[0]]
    listed = await emulator.slash(ob.host, "onboarding rule list")
    assert "New title" in listed.embeds[0]["description"] and "thumbnail" in listed.embeds[0]["description"]


async def test_a_role_the_web_user_could_not_give_is_refused_with_the_commands_sentence(
        dashboard_url, emulator, bot, guild, ob) -> None:
    mod = guild.add_member("mod", permissions=["manage_guild"])
    admins = guild.add_role("Admins", permissions=P.ADMINISTRATOR)
    await emulator.settle()
    options = json.dumps([{"label": "Yes", "role": admins.mention}, "No"])
    by_slash = await emulator.slash(mod, "onboarding question add",
                                    options={"question": "Staff?", "type": "select", "options": options})
    assert by_slash.content.startswith("Option 'Yes': You cannot choose @Admins")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(mod)
        refused = await browser.post(page_of(guild, "questions"),
                                     {"question": "Staff?", "type": "select", "options": options})
        assert refused.sentence == by_slash.content
    assert await definitions(bot, guild) == []
    async with DashboardBrowser(dashboard_url) as browser:  # the host may give it (Manage Roles, role below theirs)
        await browser.log_in(ob.host)
        allowed = await browser.post(page_of(guild, "questions"),
                                     {"question": "Staff?", "type": "select", "options": options})
        assert allowed.sentence.startswith("Question #")


async def test_bad_input_is_refused_with_a_sentence_and_nothing_changes(dashboard_url, emulator, bot, guild,
                                                                      ob) -> None:
    question = await ob.add_question(question="Keep me?", type="select", options='["Yes", "No"]')
    rule = await ob.add_rule(title="Keep", description="This rule.")
    other = emulator.add_guild("Other Place", owner_name="otto")
    foreign = await bot.db.fetchval(
        "INSERT INTO guild_onboarding_questions (guild_id, step_order, question, question_type) "
        "VALUES ($1, 1, 'Theirs', 'text') RETURNING id", other.id)
    before = await definitions(bot, guild)
    malformed = await emulator.slash(ob.host, "onboarding question edit", question_id=question, options='["Yes", ')
    cases = [
        ("questions", {"question": "Q", "type": "banana"}, BAD_TYPE),
        ("questions", {"question": "Q" * 100_000, "type": "text"},
         "The question can have at most 1000 characters (100000 given)."),
        ("questions", {"question": "Q", "type": "text", "max_length": "lots"}, "max_length must be a whole number."),
        ("questions", {"question": "Q", "type": "text", "position": "99"}, BAD_POSITION),
        (f"question/{question}", {"question": "Keep me?", "type": "select", "options": '["Yes", '},
         malformed.content),
        (f"question/{foreign}", {"question": "Mine now", "type": "text"},
         f"There is no onboarding question #{foreign} in this server."),
        (f"question/{foreign}/remove", {}, f"There is no onboarding question #{foreign} in this server."),
        ("question/99999999999999999999/move", {"position": "1"}, NO_SUCH_QUESTION),
        (f"question/{question}/move", {"position": "-1"}, "position must be a whole number."),
        (f"rule/{rule}", {"title": "", "description": "x"},
         "A rule's title must be one line of 1 to 256 characters."),
        (f"rule/{rule}", {"title": "T", "description": "D", "image_url": "http://example.org/x.png"},
         "The image URL must be an https:// link (got 'http://example.org/x.png')."),
        ("rules", {"title": "T", "description": "D" * 5000},
         "A rule's description must be 1 to 4,000 characters of text."),
    ]
    for start in range(0, len(cases), WRITES_PER_SESSION):  # within the core's write limit per session
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(ob.host)
            for path, form, sentence in cases[start:start + WRITES_PER_SESSION]:
                refused = await browser.post(page_of(guild, path), form)
                assert refused.sentence == sentence, path
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        missing = await browser.get(page_of(guild, f"question/{foreign}"))
        assert missing.sentence == f"There is no onboarding question #{foreign} in this server."
        forged = await browser.post(page_of(guild, f"question/{question}/remove"), csrf="")
        assert forged.status == 403
        guessed = await browser.post(page_of(guild, "questions"), {"question": "Q", "type": "text"}, csrf="guessed")
        assert guessed.status == 403
    assert await definitions(bot, guild) == before
    assert await bot.db.fetchval("SELECT question FROM guild_onboarding_questions WHERE id = $1", foreign) == "Theirs"


async def test_the_responses_csv_is_the_commands_file(dashboard_url, emulator, bot, guild, ob) -> None:
    question = await ob.add_question(question="Your e-mail?", type="email")
    newcomer = guild.add_member("nina")
    await emulator.settle()
    await bot.db.execute("INSERT INTO onboarding (guild_id, user_id, responses, timestamp) "
                         "VALUES ($1, $2, $3, now() AT TIME ZONE 'utc')", guild.id, newcomer.id,
                         {str(question): "=nina@example.org", "personalized_opt_in": "no",
                          "preferred_language": "en"})
    by_slash = await emulator.slash(ob.host, "onboarding responses")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        async with browser.http.get(browser.base_url + page_of(guild, "responses")) as resp:
            assert resp.headers["Content-Type"].startswith("text/csv")
            assert f'filename="onboarding-{guild.id}.csv"' in resp.headers["Content-Disposition"]
            body = await resp.text()
    rows = list(csv.reader(io.StringIO(body)))
    assert any("Your e-mail?" in column for column in rows[0])
    assert "'=nina@example.org" in rows[1]  # defused as in the command's file
    assert str(newcomer.id) in rows[1]
    assert by_slash.content.startswith("1 member finished onboarding")


async def test_a_refused_form_keeps_what_was_typed(dashboard_url, bot, guild, ob) -> None:
    typed = {"question": "Which <b>games</b> do you play?", "type": "select",
             "options": '["Chess", {"label": "Go", "value": "Go!"}]', "followup": '{"chess": "Since when?"}'}
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        refused = await browser.post(page_of(guild, "questions"), typed)
        rule = await browser.post(page_of(guild, "rules"), {"title": "Be kind", "description": "",
                                                            "image_url": "https://example.org/kind.png"})
    assert refused.status == 400
    assert refused.sentence.startswith("Option 2's value must be 1 to 32 lowercase letters")
    shown = html.unescape(refused.text)
    assert all(value in shown for value in typed.values())
    assert "<b>games</b>" not in refused.text  # escaped, never markup
    assert rule.status == 400 and rule.sentence == "A rule's description must be 1 to 4,000 characters of text."
    assert 'value="Be kind"' in rule.text and 'value="https://example.org/kind.png"' in rule.text
    assert await definitions(bot, guild) == []


async def test_the_question_form_previews_what_a_member_sees_without_saving(dashboard_url, bot, guild, ob) -> None:
    question = await ob.add_question(question="Old text?", type="text")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        shown = await browser.post(page_of(guild, "question-preview"), {
            "question_id": str(question), "question": "Where do you play?", "type": "multiselect",
            "options": '["Online", {"label": "At a club", "value": "club", "description": "Near you"}]',
            "followup": '{"club": "Which club?"}', "min_values": "1", "max_values": "2"})
        refused = await browser.post(page_of(guild, "question-preview"), {"question": "Q", "type": "select",
                                                                          "options": '["Only one"]'})
    assert shown.status == 200
    text = html.unescape(shown.text)
    assert "Preview: what a new member sees" in text and "Pick 1 to 2 from the menu:" in text
    assert "At a club — Near you" in text and "Then, if the answer is “At a club”" in text
    assert 'name="question_id" value="%d"' % question in shown.text and ">Save question</button>" in shown.text
    assert refused.sentence == "The question is a select question: give it 2 to 25 options."
    assert await bot.db.fetchval("SELECT question FROM guild_onboarding_questions WHERE id = $1",
                                 question) == "Old text?"


async def test_the_editor_script_is_linked_and_its_live_previews_answer_200(dashboard_url, bot, guild, ob) -> None:
    """``editor.js`` asks the Preview address as the host types (``X-Live-Preview: 1``): an
    unfinished question is its sentence, answered 200 so the browser logs no failed load; the
    Preview button's own post still answers 400."""
    unfinished = {"question": "Q", "type": "select", "options": '["Only one"]'}
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        editor = await browser.get(page_of(guild))
        script = re.search(r'<script src="(/static/plugins/onboarding/editor\.js\?v=\w+)" defer>', editor.text)
        assert script is not None
        async with browser.http.get(dashboard_url + script.group(1)) as served:
            assert served.status == 200 and "postMove" in await served.text()
        form = {"csrf_token": browser.csrf_token, **unfinished}
        async with browser.http.post(dashboard_url + page_of(guild, "question-preview"), data=form,
                                     headers={"X-Live-Preview": "1"}) as live:
            assert live.status == 200
            assert "give it 2 to 25 options." in await live.text()
        assert (await browser.post(page_of(guild, "question-preview"), unfinished)).status == 400
    assert await bot.db.fetchval("SELECT count(*) FROM guild_onboarding_questions") == 0


async def test_members_who_finished_are_listed_and_reset_from_the_page(dashboard_url, emulator, bot, guild,
                                                                      member, ob) -> None:
    await ob.personalize(await ob.start(member), member)  # finished in Discord
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(ob.host)
        listed = await browser.get(page_of(guild, "members"))
        assert f'<th scope="row">{member.id}</th>' in listed.text and "1 member, newest first." in listed.text
        for user_id, sentence in (("me", "A member is given by their Discord user id, a number."),
                                  ("9" * 30, "A member is given by their Discord user id, a number."),
                                  (str(ob.host.id), f"The member {ob.host.id} has no onboarding answers in this "
                                                    "server.")):
            refused = await browser.post(page_of(guild, "members/reset"), {"user_id": user_id})
            assert refused.sentence == sentence
        assert await ob.row(member) is not None  # nothing lost to a refusal
        assert (await browser.get(page_of(guild, "members"), page="0")).sentence == BAD_PAGE
        reset = await browser.post(page_of(guild, "members/reset"), {"user_id": str(member.id)})
        assert reset.sentence == (f"Onboarding answers of the member {member.id} erased; they can start "
                                      "afresh. Their roles are unchanged.")
        assert "Nobody has finished onboarding here yet." in reset.text
    assert await ob.row(member) is None
    again = await emulator.slash(ob.host, "onboarding reset", member=member)
    assert again.content == "member has no onboarding answers in this server."
    screen = await ob.start(member)
    assert screen.embed["title"] == "Personalized reminders and tips"  # a fresh start, not "already completed"
