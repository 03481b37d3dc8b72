"""Plugin pages through ``register_dashboard``: the core's authorization, CSRF, switch and
error handling around every handler, against the running bot, PostgreSQL and the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from alphapy import DashboardPages, PageRegistrationError
from alphapy.dashboard.access import RECHECK_SECONDS
from alphapy.dashboard.csrf import REFUSAL as CSRF_REFUSAL
from alphapy.dashboard.plugin_pages import collect_pages
from alphapy.dashboard.plugin_routes import BROKEN, REFUSALS, SWITCHED_OFF
from alphapy.plugins import PluginManager
from alphapy.testing import DashboardBrowser
from tests.conftest import test_plugin


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("pages", test_plugin("pages")), ("hello", test_plugin("hello"))]


@pytest.fixture
def staff(guild: Any) -> Any:
    """A member holding the server's ``core.staff_role`` (set by the test)."""
    helpers = guild.add_role("Helpers")
    return guild.add_member("stella", roles=[helpers])


@pytest.fixture
def managers(guild: Any) -> Any:
    return guild.add_role("Managers", permissions="manage_guild")


@pytest.fixture
def mia(guild: Any, managers: Any) -> Any:
    """A member who manages the server through a role (not the owner)."""
    return guild.add_member("mia", roles=[managers])


async def board_status(browser: DashboardBrowser, guild_id: int, level: str) -> int:
    return (await browser.get(f"/guilds/{guild_id}/pages/{level}")).status


# --- registration ------------------------------------------------------------------------

def test_registration_collects_pages_and_templates() -> None:
    manager = PluginManager()
    manager.register(test_plugin("pages"), "pages")
    registry = collect_pages(manager)
    assert [(p.route, p.methods, p.access) for p in registry.pages] == [
        ("/guilds/{guild_id}/pages/host", ("GET",), "host"),
        ("/guilds/{guild_id}/pages/host", ("POST",), "host"),
        ("/guilds/{guild_id}/pages/staff", ("GET",), "staff"),
        ("/guilds/{guild_id}/pages/member", ("GET",), "member"),
        ("/guilds/{guild_id}/pages/member", ("POST",), "member"),
        ("/guilds/{guild_id}/pages/crash", ("GET",), "member"),
        ("/me/pages", ("GET",), "member"),
    ]
    assert [p.title for p in registry.server_menu()] == ["Host board", "Staff board", "Member board"]
    assert [p.url() for p in registry.user_menu()] == ["/me/pages"]
    assert (registry.template_folders["pages"] / "board.html").is_file()


@pytest.mark.parametrize(("plugin", "path", "kwargs", "problem"), [
    ("pages", "../etc", {}, "use lower-case words"),
    ("pages", "Shout", {}, "use lower-case words"),
    ("pages", "{guild_id}", {}, "{guild_id} is the core's"),
    ("pages", "x", {"methods": ["DELETE"]}, "GET and/or POST"),
    ("pages", "x", {"access": "anyone"}, "host, staff or member"),
    ("history", "x", {}, "the core's pages use that name"),
])
def test_malformed_pages_are_refused_with_the_reason(plugin, path, kwargs, problem) -> None:
    async def handler(ctx: Any) -> Any:
        return None

    with pytest.raises(PageRegistrationError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        DashboardPages(plugin).server_page(path, handler, **kwargs)


def test_a_plugin_whose_registration_fails_adds_no_page() -> None:
    class Clumsy:
        from alphapy import hookimpl

        @hookimpl
        def register_dashboard(self, pages: DashboardPages) -> None:
            async def handler(ctx: Any) -> Any:
                return None

            pages.server_page("one", handler, title="One")
            pages.server_page("one", handler, title="Twice")

    manager = PluginManager()
    manager.register(Clumsy(), "clumsy")
    manager.register(test_plugin("pages"), "pages")
    assert {p.plugin for p in collect_pages(manager).pages} == {"pages"}


# --- authorization -------------------------------------------------------------------------

async def test_anonymous_is_sent_to_login(dashboard_url, guild) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        for path in (f"/guilds/{guild.id}/pages/member", "/me/pages"):
            async with browser.http.get(dashboard_url + path, allow_redirects=False) as resp:
                assert (resp.status, resp.headers["Location"]) == (302, "/login")


async def test_each_level_opens_what_it_may_and_the_menu_shows_only_that(
        staff, dashboard_url, bot, guild, host, member) -> None:
    await bot.settings.set(guild.id, "core", "staff_role", staff.roles[-1].id)
    expected = {host: {"host": 200, "staff": 200, "member": 200},
                staff: {"host": 403, "staff": 200, "member": 200},
                member: {"host": 403, "staff": 403, "member": 200}}
    for person, statuses in expected.items():
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            assert {level: await board_status(browser, guild.id, level) for level in statuses} == statuses
            page = await browser.get(f"/guilds/{guild.id}/pages/member")
            shown = {level for level, status in statuses.items() if status == 200}
            for level in ("host", "staff", "member"):
                assert (f'href="/guilds/{guild.id}/pages/{level}"' in page.text) == (level in shown), (person, level)
            refused = await browser.get(f"/guilds/{guild.id}/pages/host")
            if person is not host:
                assert REFUSALS["host"] in refused.text


async def test_the_plugins_own_staff_role_counts_too(staff, dashboard_url, bot, guild) -> None:
    await bot.settings.set(guild.id, "pages", "staff_role", staff.roles[-1].id)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(staff)
        assert await board_status(browser, guild.id, "staff") == 200


async def test_a_host_of_another_server_and_a_stranger_see_nothing(dashboard_url, emulator, guild) -> None:
    other = emulator.add_guild("Other Place", owner_name="otto")
    for person in (other.owner, other.add_member("stranger")):
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            for level in ("host", "staff", "member"):
                page = await browser.get(f"/guilds/{guild.id}/pages/{level}")
                assert page.status == 403 and REFUSALS[level] in page.text
            written = await browser.post(f"/guilds/{guild.id}/pages/host", {"note": "taken over"})
            assert written.status == 403


async def test_lost_permission_and_lost_staff_role_close_the_pages_within_a_minute(
        staff, mia, managers, dashboard_url, emulator, bot, guild, dashboard_clock) -> None:
    await bot.settings.set(guild.id, "core", "staff_role", staff.roles[-1].id)
    async with DashboardBrowser(dashboard_url) as mias, DashboardBrowser(dashboard_url) as stellas:
        await mias.log_in(mia)
        await stellas.log_in(staff)
        assert await board_status(mias, guild.id, "host") == 200
        assert await board_status(stellas, guild.id, "staff") == 200
        managers.permissions = 0
        await emulator.take_role(staff, staff.roles[-1])
        dashboard_clock.advance(RECHECK_SECONDS + 1)
        assert await board_status(mias, guild.id, "host") == 403
        assert await board_status(mias, guild.id, "member") == 200  # still a member
        assert await board_status(stellas, guild.id, "staff") == 403


# --- forms, switch and errors ----------------------------------------------------------------

async def test_a_form_posts_through_the_core_services_and_flashes(dashboard_url, bot, guild, host) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        saved = await browser.post(f"/guilds/{guild.id}/pages/host", {"note": "Raid at nine"})
        assert saved.url.endswith(f"/guilds/{guild.id}/pages/host")
        assert "The note is saved." in saved.text and "Note: Raid at nine" in saved.text
        again = await browser.get(f"/guilds/{guild.id}/pages/host")
        assert "The note is saved." not in again.text  # shown once
        refused = await browser.post(f"/guilds/{guild.id}/pages/host", {"note": ""})
        assert "Write a note first; an empty one would change nothing." in refused.text
        assert "Note: Raid at nine" in refused.text  # nothing lost
        elsewhere = await browser.post(f"/guilds/{guild.id}/pages/member", {"note": "x"})
        assert elsewhere.url.endswith(f"/guilds/{guild.id}/pages/member")  # back to its own page
        assert "Members may look, not write." in elsewhere.text and "member board" in elsewhere.text
    (entry,) = await bot.settings.history(guild.id, "pages", "note")
    assert entry.changed_by == host.id and entry.new_value == "Raid at nine"


async def test_a_form_without_the_csrf_token_is_refused(dashboard_url, bot, guild, host) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        for token in ("", "guessed"):
            page = await browser.post(f"/guilds/{guild.id}/pages/host", {"note": "forged"}, csrf=token)
            assert page.status == 403 and CSRF_REFUSAL in page.text
    assert await bot.settings.get(guild.id, "pages", "note") == "none yet"


async def test_a_plugin_switched_off_loses_its_pages_and_menu(dashboard_url, emulator, bot, guild, host) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        overview = await browser.get(f"/guilds/{guild.id}")
        assert f'href="/guilds/{guild.id}/pages/host"' in overview.text
        await emulator.slash(host, "plugins disable", plugin="pages")
        gone = await browser.get(f"/guilds/{guild.id}/pages/host")
        assert gone.status == 404 and SWITCHED_OFF in gone.text
        assert (await browser.post(f"/guilds/{guild.id}/pages/host", {"note": "x"})).status == 404
        overview = await browser.get(f"/guilds/{guild.id}")
        assert f"/guilds/{guild.id}/pages/" not in overview.text


async def test_a_crash_is_a_polite_500_without_details(dashboard_url, guild, member) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        page = await browser.get(f"/guilds/{guild.id}/pages/crash")
    assert page.status == 500 and BROKEN in page.text
    assert "private detail" not in page.text and "Traceback" not in page.text


async def test_your_page_is_linked_in_the_header_for_everyone_signed_in(dashboard_url, member) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        picker = await browser.log_in(member)
        assert 'href="/me/pages">Your pages page</a>' in picker.text
        mine = await browser.get("/me/pages")
    assert mine.status == 200 and f"{member.name}&#39;s page" in mine.text and "Note: 1" in mine.text
    assert 'href="/me/pages" aria-current="page">Your pages page</a>' in mine.text


async def test_the_picker_leads_members_to_the_pages_every_member_may_open(dashboard_url, guild, host, member) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        picker = await browser.log_in(member)
    assert "Servers you are in" in picker.text
    assert f'Test Guild: <a href="/guilds/{guild.id}/pages/member">Member board</a></li>' in picker.text
    assert f"/guilds/{guild.id}/pages/staff" not in picker.text
    async with DashboardBrowser(dashboard_url) as browser:
        picker = await browser.log_in(host)  # a host finds the server among those they manage
    assert "Servers you are in" not in picker.text


async def test_the_picker_leads_staff_to_their_staff_pages(staff, dashboard_url, bot, guild) -> None:
    """Someone who manages nothing but holds a plugin's staff role finds that plugin's staff
    pages in the picker, beside every member's; without the role, only the member's."""
    async with DashboardBrowser(dashboard_url) as browser:
        picker = await browser.log_in(staff)
    assert f"/guilds/{guild.id}/pages/staff" not in picker.text
    await bot.settings.set(guild.id, "pages", "staff_role", staff.roles[-1].id)
    async with DashboardBrowser(dashboard_url) as browser:
        picker = await browser.log_in(staff)
    assert (f'Test Guild: <a href="/guilds/{guild.id}/pages/staff">Staff board</a>, '
            f'<a href="/guilds/{guild.id}/pages/member">Member board</a></li>') in picker.text
    assert f"/guilds/{guild.id}/pages/host" not in picker.text


async def test_plugin_forms_count_against_the_write_limit(dashboard_url, guild, host) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        statuses = [(await browser.post(f"/guilds/{guild.id}/pages/host", {"note": f"note {n}"})).status
                    for n in range(12)]
    assert statuses[0] == 200 and statuses[-1] == 429
