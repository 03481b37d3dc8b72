"""What a host does on the dashboard, as steps a browser test (or the screenshot script) reads.

Each step clicks what a person clicks, found by its role and visible name (never by CSS
class, so a restyled page keeps its tests), waits for the page it leads to, and hands
that page to :meth:`BrowserPage.visited` (screenshot and checks). A plugin's own pages
need no new step: ``open("Reminders")`` follows the server menu's link, ``fill`` and
``press`` work any form.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from alphapy.testing.browser import BrowserPage

if TYPE_CHECKING:
    from playwright.async_api import Frame

SWITCH_SECONDS = 10.0
POLL_SECONDS = 0.05


class DashboardFlow:
    """A person using the dashboard at ``url`` in ``browser``."""

    def __init__(self, browser: BrowserPage, url: str) -> None:
        self.browser = browser
        self.page = browser.page
        self.url = url.rstrip("/")

    async def log_in(self, person: Any) -> None:
        """Through the emulator's consent page, choosing ``person`` (a member or a user)."""
        user = getattr(person, "user", person)
        await self.page.goto(self.url + "/login")
        await self.browser.visited("consent")
        await self.page.get_by_label(f"{user.display_name} ({user.name})", exact=True).check()
        await self.page.get_by_role("button", name="Authorize").click()
        await self.page.wait_for_url(self.url + "/")
        await self.browser.visited("servers")

    async def open_server(self, name: str) -> None:
        await self.follow(name, page_name="overview")

    async def follow(self, link: str, *, page_name: str | None = None) -> None:
        """Click the link called ``link`` (a server, a menu entry, "History"...)."""
        async with self.page.expect_navigation():
            await self.page.get_by_role("link", name=link, exact=True).click()
        await self.browser.visited(page_name or link)

    async def open(self, menu_entry: str) -> None:
        """A page of the server's menu: "History", "Settings", a plugin's own page."""
        await self.follow(menu_entry)

    async def press(self, button: str, *, page_name: str | None = None) -> None:
        """Click a button that posts a form, and land on the page it leads to."""
        async with self.page.expect_navigation():
            await self.page.get_by_role("button", name=button, exact=True).click()
        await self.browser.visited(page_name or button)

    async def press_in_row(self, row_text: str, button: str, *, page_name: str | None = None) -> None:
        """Click ``button`` in the one table row containing ``row_text`` (a history entry's
        "Roll back", a ticket's "Close"), where every row has a button of that name."""
        row = self.page.get_by_role("row").filter(has_text=row_text)
        async with self.page.expect_navigation():
            await row.get_by_role("button", name=button, exact=True).click()
        await self.browser.visited(page_name or f"{row_text} {button}")

    async def fill(self, label: str, value: str) -> None:
        """Type ``value`` into the field labelled ``label`` (a select gets the option)."""
        field = self.page.get_by_label(label, exact=True)
        if await field.evaluate("el => el.localName") == "select":
            await field.select_option(value)
        else:
            await field.fill(value)

    async def submit_field(self, label: str, value: str, *, button: str = "Save") -> str:
        """Fill the field labelled ``label`` and press ``button`` of its own form (a page with
        one form a setting has many "Save" buttons); the sentence the page answers with."""
        await self.fill(label, value)
        form = self.page.get_by_label(label, exact=True).locator("xpath=ancestor::form[1]")
        async with self.page.expect_navigation():
            await form.get_by_role("button", name=button, exact=True).click()
        await self.browser.visited(f"{label} {button}")
        return await self.notice()

    async def switch_plugin(self, plugin: str, *, on: bool) -> str:
        """Switch ``plugin`` on or off on the overview; the sentence the page answers with.

        With JavaScript the switch flips in place (no navigation) and its sentence appears in
        the status region; without, the form posts and the page reloads with it: both count.
        """
        await self.settle_switch(self.page.get_by_role("button", name=f"Switch {plugin} {'on' if on else 'off'}",
                                                       exact=True).click)
        await self.browser.visited(f"{plugin} switched")
        return await self.notice()

    async def settle_switch(self, act: Callable[[], Awaitable[None]]) -> None:
        """Do ``act`` (a click, a key press) on a switch and wait for its answer, in place or
        by a reload."""
        region = self.page.locator("#switch-status")
        before = await region.text_content() if await region.count() else None
        navigated: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_navigation(frame: Frame) -> None:
            if frame == self.page.main_frame and not navigated.done():
                navigated.set_result(None)

        self.page.on("framenavigated", on_navigation)
        try:
            await act()
            async with asyncio.timeout(SWITCH_SECONDS):
                while not navigated.done() and not await self._answered_in_place(before):
                    await asyncio.wait([navigated], timeout=POLL_SECONDS)  # a reload ends the wait at once
        finally:
            self.page.remove_listener("framenavigated", on_navigation)
        await self.page.wait_for_load_state("load")

    async def _answered_in_place(self, before: str | None) -> bool:
        from playwright.async_api import Error as PlaywrightError

        region = self.page.locator("#switch-status")
        try:
            return await region.is_visible() and await region.text_content() != before
        except PlaywrightError:  # the page is being replaced: the navigation answers
            return False

    async def notice(self) -> str:
        """The page's status or alert sentence (the first one shown)."""
        return (await self.page.locator("[role=status]:visible, [role=alert]:visible").first.inner_text()).strip()

    async def log_out(self) -> str:
        await self.press("Log out", page_name="logged out")
        return await self.notice()


__all__ = ["DashboardFlow"]
