"""Every dashboard page at 360 CSS pixels in the dark theme: nothing wider than the phone,
and each page passes the kit's checks there (labels, no script errors). Screenshots are kept
under the test's output to look at."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from alphapy.testing import BrowserPage, DashboardFlow
from alphapy.testing.browser import open_browser_page
from tests.conftest import test_plugin

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_premium import plugin as premium

    return [("hello", test_plugin("hello")), ("premium", premium)]


@pytest_asyncio.fixture
async def dark_phone(alphapy_chromium: str, browser_screenshots: Any) -> AsyncIterator[BrowserPage]:
    async with open_browser_page(alphapy_chromium, browser_screenshots, viewport=SMALL_PHONE,
                                 color_scheme="dark") as page:
        yield page


async def fits(browser: BrowserPage, name: str) -> None:
    await browser.visited(name)
    overflow = await browser.page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"{name} is {overflow} px wider than a 360 px phone"


async def test_every_page_fits_a_small_phone_in_the_dark_theme(
        dark_phone: BrowserPage, dashboard_url: str, guild: Any, host: Any, bot: Any) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "America/Argentina/ComodRivadavia", changed_by=host.id)
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam", changed_by=host.id)
    flow = DashboardFlow(dark_phone, dashboard_url)
    await flow.log_in(host)
    await fits(dark_phone, "picker")
    await flow.open_server("Test Guild")
    await fits(dark_phone, "overview")
    overview = dark_phone.page.url
    for entry in ("Settings", "History", "Premium", "Your premium"):
        await flow.open(entry)
        await fits(dark_phone, entry)
        if entry == "History":
            value = dark_phone.page.get_by_role("cell", name="(default) → America/Argentina/ComodRivadavia")
            right = await value.evaluate("cell => cell.getBoundingClientRect().right")
            assert right <= SMALL_PHONE["width"], "a long value needs a sideways scroll to be read"
            await flow.press_in_row("→ America/Argentina/ComodRivadavia", "Roll back", page_name="confirm rollback")
            await fits(dark_phone, "rollback")
            confirm = await dark_phone.page.get_by_role("button", name="Confirm rollback").bounding_box()
            cancel = await dark_phone.page.get_by_role("link", name="Cancel").bounding_box()
            assert confirm and cancel and cancel["x"] - (confirm["x"] + confirm["width"]) >= 8, "Cancel touches Confirm"
        await dark_phone.page.goto(overview)
