"""The onboarding editor in Chromium: the host adds a question with a role while its live
preview follows the typing, drags it above the first question, and a new member is then
asked it first in Discord (through the emulator), before the question it was dragged above."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from alphapy.testing import DashboardFlow

README_SCREENSHOT = Path(__file__).parents[1] / "docs" / "images" / "onboarding-editor.png"
WRITE_SCREENSHOT_ENV = "ALPHAPY_WRITE_README_SCREENSHOTS"
"""Set to 1 to refresh the README's screenshot from this flow (kept under 150 KB)."""


async def test_the_host_adds_reorders_and_previews_a_question_in_the_browser(
        browser_page: Any, dashboard_url: str, bot: Any, emulator: Any, guild: Any, ob: Any) -> None:
    gamers = guild.add_role("Gamers")
    await emulator.settle()
    await ob.add_rule(title="Be kind", description="No insults.")
    first = await ob.add_question(question="Which language do you speak?", type="text")
    page = browser_page.page
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(ob.host)
    await flow.open_server("Test Guild")
    await flow.open("Onboarding")

    await page.get_by_text("Add a question", exact=True).click()
    await flow.fill("Type", "select")
    await flow.fill("Question", "What brings you here?")
    preview = page.locator("#live-preview")  # asked of the Preview endpoint as the host types
    await preview.get_by_text("The question is a select question: give it 2 to 25 options.").wait_for()
    await flow.fill("Options (select and multiselect: a JSON list)",
                    json.dumps([{"label": "Games", "role": str(gamers.id)}, "Music"]))
    await preview.get_by_text("What brings you here?").wait_for()
    assert "Games (gives a role)" in await preview.inner_text()
    await browser_page.visited("live preview")
    if os.environ.get(WRITE_SCREENSHOT_ENV) == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(README_SCREENSHOT), full_page=True)
        from PIL import Image  # a palette PNG keeps the README's image small

        Image.open(README_SCREENSHOT).convert("RGB").quantize(colors=64).save(README_SCREENSHOT, optimize=True)
        assert README_SCREENSHOT.stat().st_size < 150_000
    await flow.press("Add question", page_name="question added")
    notice = await flow.notice()
    assert notice.startswith("Question #") and notice.endswith(" added at position 2.")
    added = int(notice.split("#")[1].split(" ")[0])

    source, target = page.locator(f"#question-{added}"), page.locator(f"#question-{first}")
    async with page.expect_navigation():
        await source.drag_to(target)  # the script posts the Move form the buttons post
    await browser_page.visited("dragged")
    assert await flow.notice() == f"Question #{added} is now number 1."
    order = await bot.db.fetch("SELECT id FROM guild_onboarding_questions WHERE guild_id = $1 ORDER BY step_order",
                               guild.id)
    assert [r["id"] for r in order] == [added, first]
    assert await page.get_by_role("button", name="Move question 1 down").is_visible()  # the keyboard way stays

    newcomer = guild.add_member("nina")
    await emulator.settle()
    rules = await ob.start(newcomer)
    asked = await emulator.click(rules, "I accept the rules", by=newcomer)
    assert "What brings you here?" in json.dumps(asked.embeds)
    assert [o["label"] for o in asked.components[0]["components"][0]["options"]] == ["Games", "Music"]
    answered = await emulator.select(asked, ["games"], by=newcomer)
    assert "Which language do you speak?" in json.dumps(answered.embeds)  # the one it was dragged above
    assert (await ob.progress(newcomer))["answers"][str(added)] == "games"
