"""The playground in a real Chromium (Playwright): each flow a newcomer would try, as the
identities Discord has, with a screenshot of each (``$ALPHAPY_SCREENSHOTS`` when set)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from .test_playground_server import in_fourteen_minutes

#: Playwright's own waits (for a selector, a navigation) end after this many milliseconds
WAIT_MS = 10_000


@pytest_asyncio.fixture
async def page(alphapy_chromium: str, playground: Any, screenshots: Path) -> AsyncIterator[Any]:
    """A fresh browser page (its own context and session cookie) on the playground, in the
    testing kit's shared Chromium."""
    from alphapy.testing import open_browser_page

    async with open_browser_page(alphapy_chromium, screenshots, viewport={"width": 1280, "height": 760},
                                 timeout_seconds=WAIT_MS / 1000, base_url=playground.url) as opened:
        yield opened.page


async def become(page: Any, label: str) -> None:
    """Pick a person in the "You are" menu and press Switch."""
    await page.select_option("#identity", label=label)
    async with page.expect_navigation():
        await page.click("form.identity button[type=submit]")


async def use_command(page: Any, path: str, **fields: str) -> None:
    """Choose ``/path`` in the command bar, fill its form and send it."""
    await page.select_option("#command", value=path)
    async with page.expect_navigation():
        await page.click("text=Use command")
    for name, value in fields.items():
        field = page.locator(f"#opt-{name}")
        if await field.evaluate("element => element.tagName") == "SELECT":
            await field.select_option(label=value)
        else:
            await field.fill(value)
    async with page.expect_navigation():
        await page.click(f"text=Send /{path}")


async def press(page: Any, label: str, within: str = "article.message") -> None:
    async with page.expect_navigation():
        await page.locator(within).get_by_role("button", name=label).last.click()


async def shoot(page: Any, where: Path, name: str) -> None:
    await page.screenshot(path=str(where / f"playground-{name}.png"))


async def test_an_ephemeral_answer_is_not_visible_to_another_identity(page: Any, guild: Any, screenshots: Path) -> None:
    await page.goto(f"/g/{guild.id}")
    await become(page, "host (host)")
    await use_command(page, "reminder add", name="Raid night", channel="#general", days="mon,wed,fri",
                      time="19:00", message="Bring **potions**!")
    answer = page.locator("article.message.ephemeral", has_text="Raid night")
    await answer.wait_for()
    assert "Only you can see this" in await answer.inner_text()
    await shoot(page, screenshots, "ephemeral")
    # autocomplete (JavaScript): typing in the reminder field asks the bot, as Discord does
    await page.goto(f"/g/{guild.id}/c/{guild.channel('general').id}/command?name=reminder+edit")
    await page.locator("#opt-reminder").press_sequentially("Raid")
    suggestion = page.locator("#ac-reminder option")
    await suggestion.first.wait_for(state="attached")
    assert await suggestion.first.text_content() == "#1 Raid night"
    await become(page, "member (member)")
    assert await page.locator("article.message", has_text="Raid night").count() == 0


async def test_a_host_adds_a_reminder_and_sees_it_delivered_after_moving_time(page: Any, guild: Any, emulator: Any,
                                                                              screenshots: Path) -> None:
    await page.goto(f"/g/{guild.id}")
    await become(page, "host (host)")
    await use_command(page, "reminder add", name="Stand-up", channel="#general", days="daily",
                      time=in_fourteen_minutes(), message="Time for the **stand-up**")
    await page.locator("article.message.ephemeral", has_text="Stand-up").wait_for()
    await page.select_option("#minutes", label="15 minutes")
    async with page.expect_navigation():
        await page.click("text=Forward")
    general = guild.channel("general")
    await emulator.wait_until(lambda: [m for m in general.messages if m.embeds], timeout=15)
    # delivered a moment after the clock moved: the live stream brings it without a reload
    delivered = page.locator("article.message:not(.ephemeral) .embed-title", has_text="⏰ Stand-up")
    await delivered.wait_for()
    await shoot(page, screenshots, "reminder")


async def test_a_member_cannot_see_a_private_channel(page: Any, guild: Any, emulator: Any, screenshots: Path) -> None:
    moderator = guild.add_role("Moderator", permissions=["manage_messages"])
    guild.add_member("mod", roles=[moderator])
    room = guild.channel("staff-room")
    room.set_overwrite(guild.everyone, deny="view_channel")
    room.set_overwrite(moderator, allow="view_channel")
    await emulator.settle()
    await page.goto(f"/g/{guild.id}")
    await become(page, "mod (moderator)")
    assert await page.locator(".channels a", has_text="staff-room").count() == 1
    await become(page, "member (member)")
    assert await page.locator(".channels a", has_text="staff-room").count() == 0
    await shoot(page, screenshots, "private-channel")
    refused = await page.goto(f"/g/{guild.id}/c/{room.id}")
    assert refused is not None and refused.status == 403
    assert "You cannot see that channel" in await page.inner_text("body")


async def test_a_member_opens_a_ticket_and_a_moderator_claims_it(page: Any, bot: Any, guild: Any, emulator: Any,
                                                                 screenshots: Path) -> None:
    category = guild.add_category("Tickets")
    support = guild.add_role("Support", permissions=["manage_messages"])
    guild.add_member("sam", roles=[support])
    await emulator.settle()
    for key, value in {"category": category.id, "staff_role": support.id, "cooldown_minutes": 0}.items():
        await bot.settings.set(guild.id, "tickets", key, value)
    await page.goto(f"/g/{guild.id}")
    await become(page, "member (member)")
    await use_command(page, "ticket open", description="I cannot log in since the update")
    room = await emulator.wait_until(lambda: [c for c in guild.channels.values() if c.parent_id == category.id])
    await become(page, "sam (moderator)")
    await page.goto(f"/g/{guild.id}/c/{room[0].id}")
    await press(page, "Claim")
    await page.locator("article.message", has_text="claimed this ticket").wait_for()
    await shoot(page, screenshots, "ticket")


async def test_a_new_member_walks_onboarding_and_gets_the_role(page: Any, bot: Any, guild: Any, emulator: Any,
                                                               screenshots: Path) -> None:
    welcome = guild.add_text_channel("welcome")
    done = guild.add_role("Onboarded")
    await emulator.settle()
    await bot.settings.set(guild.id, "onboarding", "channel", welcome.id)
    await bot.settings.set(guild.id, "onboarding", "completed_role", done.id)
    host = guild.member("host")
    await emulator.slash(host, "onboarding rule add", title="Be kind", description="No harassment.")
    await emulator.slash(host, "onboarding question add", options={
        "question": "How did you find us?", "type": "select",
        "options": json.dumps([{"label": "Invited by a friend", "value": "friend"}, "Search"])})
    await emulator.slash(host, "onboarding panel")
    await page.goto(f"/g/{guild.id}/c/{welcome.id}")
    await page.fill("#new-member", "newbie")
    async with page.expect_navigation():
        await page.click("text=Join")
    await page.goto(f"/g/{guild.id}/c/{welcome.id}")
    await press(page, "Start")
    await press(page, "I accept the rules", "article.message.ephemeral")
    flow = page.locator("article.message.ephemeral").last
    await flow.locator("select").select_option(label="Invited by a friend")
    async with page.expect_navigation():
        await flow.locator("form.select button").click()
    await press(page, "Yes, please!", "article.message.ephemeral")
    await press(page, "Nederlands", "article.message.ephemeral")
    newbie = guild.member("newbie")
    await emulator.wait_until(lambda: newbie.has_role("Onboarded"))
    await page.reload()
    assert "newbie" in await page.locator(".members").inner_text()
    await shoot(page, screenshots, "onboarding")


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
