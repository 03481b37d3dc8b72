"""The settings page and rollback from history in Chromium: a wrong timezone gets the same
sentence as ``/settings``, a right one is saved, and history rolls a change back.

The settings page comes from a branch merged beside this one; until then this file skips.
"""

from __future__ import annotations

from typing import Any

import pytest

from alphapy.testing import BrowserPage, DashboardFlow

pytest.importorskip("alphapy.dashboard.views.settings", reason="the dashboard's settings page is not on this branch")

TZ_SENTENCE = "core.timezone must be an IANA timezone such as Europe/Amsterdam"


async def test_host_sets_the_timezone_wrong_then_right_and_rolls_it_back(
        browser_page: BrowserPage, dashboard_url: str, emulator: Any, guild: Any, host: Any, bot: Any) -> None:
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    await flow.open("Settings")
    refused = await flow.submit_field("core.timezone", "Mars/Olympus")
    by_slash = await emulator.slash(host, "settings set", setting="core.timezone", value="Mars/Olympus")
    assert refused == by_slash.content == TZ_SENTENCE
    assert await bot.settings.get(guild.id, "core", "timezone") == "UTC"

    saved = await flow.submit_field("core.timezone", "Europe/Amsterdam")
    assert saved.startswith("core.timezone = Europe/Amsterdam (history #")
    await flow.submit_field("core.timezone", "Asia/Tokyo")

    await flow.open("History")
    await flow.press_in_row("→ Europe/Amsterdam", "Roll back", page_name="confirm rollback")
    await flow.press("Confirm rollback", page_name="rolled back")
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Amsterdam"


async def test_the_now_row_reads_as_one_line_of_text(
        browser_page: BrowserPage, dashboard_url: str, guild: Any, host: Any, bot: Any) -> None:
    """"Now: UTC" with a space between, not a grid column pushing the value far right."""
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    await flow.open("Settings")
    now_row = browser_page.page.get_by_text("Now:").first
    gap = await now_row.evaluate("""row => {
        const label = document.createRange();
        label.selectNodeContents(row.firstChild);  // the text "Now: "
        return row.querySelector('.current').getBoundingClientRect().left - label.getBoundingClientRect().right;
    }""")
    assert 0 <= gap < 12, f"{gap:.0f} px between 'Now:' and its value"
