"""The dashboard in a real Chromium: what a host and a member see and do, page by page.

Every page a flow lands on is screenshotted and checked (no inline script, no CSP
violation or script error in the console, a label on every form control) by
``BrowserPage.visited``; the screenshots are under the test's ``tmp_path`` (or
``ALPHAPY_SCREENSHOTS``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alphapy.dashboard.csrf import REFUSAL as CSRF_REFUSAL
from alphapy.dashboard.views.pages import NOT_YOURS
from alphapy.testing import BrowserPage, DashboardFlow

if TYPE_CHECKING:
    from playwright.async_api import Locator


async def test_host_switches_a_plugin_off_sees_it_in_history_and_logs_out(
        browser_page: BrowserPage, dashboard_url: str, emulator: Any, guild: Any, host: Any, bot: Any) -> None:
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    answer = await flow.switch_plugin("hello", on=False)
    assert answer.startswith("hello is now off in this server (history #")

    listing = await emulator.slash(host, "plugins list")
    assert "⚪ **hello**" in listing.embed["description"]

    await flow.open("History")
    row = browser_page.page.get_by_role("row").filter(has_text="plugins.hello")
    assert await row.count() == 1
    assert "(default) → False" in await row.inner_text() and str(host.id) in await row.inner_text()
    refusal = await flow.submit_field("Key", "timezone", button="Filter")
    assert refusal == "give the scope of the key too"

    assert await flow.log_out() == "You are logged out."
    await browser_page.page.goto(f"{dashboard_url}/guilds/{guild.id}")
    await browser_page.visited("sent to log in again")
    assert await browser_page.page.get_by_role("group", name="Who are you?").count() == 1
    assert len(browser_page.kept) == 8 and all(p.stat().st_size > 0 for p in browser_page.kept)


async def test_member_without_manage_server_sees_no_manage_link(
        browser_page: BrowserPage, dashboard_url: str, guild: Any, member: Any, bot: Any) -> None:
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(member)
    assert await browser_page.page.get_by_role("link", name="Test Guild").count() == 0
    await browser_page.page.goto(f"{dashboard_url}/guilds/{guild.id}")
    await browser_page.visited("refused")
    assert await flow.notice() == NOT_YOURS


async def test_a_forged_form_without_the_csrf_token_is_refused(
        browser_page: BrowserPage, dashboard_url: str, guild: Any, host: Any, bot: Any) -> None:
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    switch = browser_page.page.get_by_role("button", name="Switch hello off")
    await switch.evaluate("button => button.form.querySelector('[name=csrf_token]').remove()")
    await flow.press("Switch hello off", page_name="forged form refused")
    assert await flow.notice() == CSRF_REFUSAL
    assert await bot.settings.is_enabled(guild.id, "hello")


async def test_a_host_does_the_whole_flow_with_the_keyboard_only(
        browser_page: BrowserPage, dashboard_url: str, guild: Any, host: Any, bot: Any) -> None:
    """Tab to each control (its focus must be visible), Enter to use it; arrows pick a radio."""
    page = browser_page.page
    flow = DashboardFlow(browser_page, dashboard_url)

    async def enter(target: Locator, landed: str) -> None:
        await browser_page.tab_to(target)
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        await browser_page.visited(landed)

    await page.goto(dashboard_url + "/login")
    await browser_page.visited("consent")
    await browser_page.tab_to(page.get_by_role("radio", checked=True))  # Tab enters a radio group at its choice
    me = page.get_by_label(f"{host.display_name} ({host.name})", exact=True)
    for _ in range(await page.get_by_role("radio").count()):
        if await me.is_checked():
            break
        await page.keyboard.press("ArrowDown")
    assert await me.is_checked()
    await browser_page.tab_to(page.get_by_role("button", name="Authorize"))
    async with page.expect_navigation(url=dashboard_url + "/"):
        await page.keyboard.press("Enter")
    await browser_page.visited("servers")
    await enter(page.get_by_role("link", name="Test Guild"), "overview")
    await browser_page.tab_to(page.get_by_role("button", name="Switch hello off"))
    await flow.settle_switch(lambda: page.keyboard.press("Enter"))  # in place with JavaScript
    await browser_page.visited("switched by keyboard")
    await enter(page.get_by_role("link", name="History"), "history by keyboard")
    assert not await bot.settings.is_enabled(guild.id, "hello")
    assert await page.get_by_role("row").filter(has_text="plugins.hello").count() == 1
    await enter(page.get_by_role("button", name="Log out"), "logged out by keyboard")
    assert await page.get_by_role("alert").inner_text() == "You are logged out."


async def test_the_picker_offers_an_invite_named_after_each_server_without_the_bot(
        browser_page: BrowserPage, dashboard_url: str, emulator: Any, guild: Any, host: Any, bot: Any) -> None:
    for name in ("Book Club", "Chess Club"):
        other = emulator.add_guild(name, owner_name=f"owner of {name}")
        other.add_member("host", user=host.user, permissions=["manage_guild"])
        del other.members[emulator.state.bot_user.id]  # a server the bot is not in
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    for name in ("Book Club", "Chess Club"):
        invite = browser_page.page.get_by_role("link", name=f"Invite the bot to {name}", exact=True)
        assert await invite.count() == 1, name
        href = await invite.get_attribute("href") or ""
        assert "scope=bot+applications.commands" in href and "guild_id=" in href, href
    await browser_page.page.set_viewport_size({"width": 360, "height": 740})
    await browser_page.page.emulate_media(color_scheme="dark")
    await browser_page.visited("picker with invites, 360 px dark")
    overflow = await browser_page.page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert overflow <= 0, f"the picker is {overflow} px wider than a 360 px phone"
