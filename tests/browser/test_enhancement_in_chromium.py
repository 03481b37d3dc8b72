"""Progressive enhancement in Chromium: with JavaScript a plugin switch flips in place and
the settings page shows the service's sentence as the host types; without JavaScript the
same switch and a settings save still work through ordinary form posts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from alphapy.testing import BrowserPage, DashboardFlow
from alphapy.testing.browser import open_browser_page

TZ_SENTENCE = "core.timezone must be an IANA timezone such as Europe/Amsterdam"


@pytest_asyncio.fixture
async def page_without_js(alphapy_chromium: str, browser_screenshots: Any) -> AsyncIterator[BrowserPage]:
    async with open_browser_page(alphapy_chromium, browser_screenshots, java_script_enabled=False) as page:
        yield page


class Navigations:
    """Counts the main frame's navigations (page loads) from now on."""

    def __init__(self, browser: BrowserPage) -> None:
        self.count = 0
        self.page = browser.page
        self.page.on("framenavigated", self._seen)

    def _seen(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.count += 1


async def test_without_javascript_the_switch_and_a_save_post_forms(
        page_without_js: BrowserPage, dashboard_url: str, emulator: Any, guild: Any, host: Any, bot: Any) -> None:
    flow = DashboardFlow(page_without_js, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    navigations = Navigations(page_without_js)
    answer = await flow.switch_plugin("hello", on=False)
    assert answer.startswith("hello is now off in this server (history #") and navigations.count == 1
    assert not await bot.settings.is_enabled(guild.id, "hello")

    await flow.open("Settings")
    await flow.fill("core.timezone", "Mars/Olympus")
    live = page_without_js.page.locator('[id="setting-core.timezone-live"]')
    assert not await live.is_visible()  # nothing answers before Save without JavaScript
    saved = await flow.submit_field("core.timezone", "Europe/Amsterdam")
    assert saved.startswith("core.timezone = Europe/Amsterdam (history #")
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Amsterdam"


async def test_with_javascript_the_switch_flips_in_place_and_settings_are_checked_live(
        browser_page: BrowserPage, dashboard_url: str, emulator: Any, guild: Any, host: Any, bot: Any) -> None:
    page = browser_page.page
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    navigations = Navigations(browser_page)
    answer = await flow.switch_plugin("hello", on=False)
    assert answer.startswith("hello is now off in this server (history #")
    assert navigations.count == 0  # no reload
    assert await page.get_by_role("button", name="Switch hello on", exact=True).count() == 1
    assert not await bot.settings.is_enabled(guild.id, "hello")
    listing = await emulator.slash(host, "plugins list")
    assert "⚪ **hello**" in listing.embed["description"]
    assert await flow.switch_plugin("hello", on=True) == await flow.notice()
    assert navigations.count == 0 and await bot.settings.is_enabled(guild.id, "hello")

    await flow.open("Settings")
    field = page.get_by_label("core.timezone", exact=True)
    live = page.locator('[id="setting-core.timezone-live"]')
    await field.fill("Mars/Olympus")
    await live.wait_for(state="visible")
    by_slash = await emulator.slash(host, "settings set", setting="core.timezone", value="Mars/Olympus")
    assert await live.inner_text() == by_slash.content == TZ_SENTENCE
    assert await field.get_attribute("aria-invalid") == "true"
    await browser_page.visited("live sentence before saving")
    await field.fill("Europe/Amsterdam")
    await live.wait_for(state="hidden")
    assert await field.get_attribute("aria-invalid") is None
    assert await bot.settings.history(guild.id, "core", "timezone") == []  # checking wrote nothing
