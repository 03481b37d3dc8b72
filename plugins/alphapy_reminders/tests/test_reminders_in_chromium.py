"""The reminders page in Chromium: a staff member adds a recurring reminder with the form
(weekday toggles, a time picker), finds it in the table, pauses it, and ``/reminder list`` in
Discord (through the emulator) shows the same reminder, paused.

Fields and buttons are found by the stable names of ``docs/dashboard.md``, as a person (or a
screen reader) finds them, so a restyled page keeps this test.
"""

from __future__ import annotations

from typing import Any

import pytest
from reminders_helpers import row

from alphapy.testing import DashboardFlow


@pytest.fixture
def staff(guild: Any) -> Any:
    """A member holding a role the test makes the plugin's staff role."""
    return guild.add_member("stella", roles=[guild.add_role("Helpers")])


async def test_staff_add_and_pause_a_recurring_reminder_in_the_browser(
        browser_page: Any, dashboard_url: str, bot: Any, emulator: Any, guild: Any, staff: Any,
        channel: Any) -> None:
    await emulator.settle()
    await bot.settings.set(guild.id, "reminders", "staff_role", staff.roles[-1].id)
    page = browser_page.page
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(staff)
    # the servers list shows the servers a person manages; a plugin's staff member follows a
    # link to the server's own page (shared in Discord, say), whose menu has the Reminders page
    await page.goto(f"{dashboard_url.rstrip('/')}/guilds/{guild.id}")
    await browser_page.visited("overview")
    await flow.open("Reminders")

    await flow.fill("Name", "Raid night")
    await flow.fill("Channel", str(channel.id))
    for day in ("Mon", "Wed"):
        await page.get_by_label(day, exact=True).check()
    await flow.fill("Time (posted, in UTC)", "19:00")
    await flow.fill("Message", "Bring snacks")
    await flow.press("Add reminder", page_name="reminder added")
    notice = await flow.notice()
    assert notice.startswith("Saved reminder #1 Raid night: Mon, Wed at 19:00 (UTC) in #general."), notice
    stored = await row(bot.db, 1)
    assert stored["days"] == ["0", "2"] and stored["created_by"] == staff.id

    line = page.locator("#reminder-1")
    assert await line.get_by_role("cell", name="Raid night", exact=True).is_visible()
    assert await line.get_by_role("cell", name="Mon, Wed at 19:00", exact=True).is_visible()
    assert await line.get_by_role("cell", name="scheduled", exact=True).is_visible()
    await flow.press_in_row("Raid night", "Pause reminder 1", page_name="reminder paused")
    assert await flow.notice() == "Paused reminder #1 Raid night. Resume starts it again."
    assert await line.get_by_role("cell", name="paused", exact=True).is_visible()
    assert await line.get_by_role("button", name="Resume reminder 1", exact=True).is_visible()

    listing = await emulator.slash(staff, "reminder list")
    description = listing.embed["description"]
    assert "`#1` **Raid night** — Mon, Wed at 19:00" in description and "⏸️ paused" in description
    assert (await row(bot.db, 1))["paused"]
