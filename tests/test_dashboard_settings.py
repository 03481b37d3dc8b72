"""The dashboard's settings page and rollback from history, end to end: a browser-like
client logs in through the emulator's consent page; the real database, the running bot and
the slash commands must agree with what the page did."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from alphapy import hookimpl
from alphapy.dashboard.access import RECHECK_SECONDS
from alphapy.dashboard.csrf import REFUSAL as CSRF_REFUSAL
from alphapy.dashboard.guild_data import CACHE_SECONDS
from alphapy.dashboard.server import DashboardServer, options_from
from alphapy.dashboard.views.pages import NOT_YOURS
from alphapy.dashboard.views.settings import NO_SUCH_SETTING
from alphapy.testing.emulator import P
from tests.conftest import test_plugin
from tests.test_dashboard import MovableClock, browser, csrf_of, has_inline_script, log_in

TZ_SENTENCE = "core.timezone must be an IANA timezone such as Europe/Amsterdam"


class Gadgets:
    """A plugin declaring the types the real plugins leave out here, and a premium setting."""

    @hookimpl
    def register_settings(self, register: Any) -> None:
        register("opens_at", "time", default="09:00", help="when the doors open")
        register("ratio", "float", default=0.5, min=0, max=1, help="a share")
        register("rooms", "channels", default=[], help="where it happens")
        register("layout", "json", default={"rows": 2}, help="how it looks")
        register("banner", "str", max_length=500, premium=True, help="a banner for premium servers")


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_verification import plugin as verification

    return [("hello", test_plugin("hello")), ("verification", verification), ("gadgets", Gadgets())]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest_asyncio.fixture
async def dashboard(bot_runner: Any, emulator: Any, clock: MovableClock, tmp_path: Any) -> AsyncIterator[str]:
    """The dashboard beside the running bot (one process, one settings service); its URL."""
    config = bot_runner.services.config.model_copy(update={"dashboard_port": 0, "data_dir": tmp_path})
    options = options_from(config, bot_runner.services, emulator=emulator)
    options.clock = clock
    server = DashboardServer(config, options)
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()


@pytest_asyncio.fixture
async def dashboard_alone(bot_runner: Any, emulator: Any, plugin_manager: Any, migrated_database_url: str,
                          tmp_path: Any) -> AsyncIterator[str]:
    """The dashboard with services of its own on the same database, as ``alphapy dashboard``
    runs it: no bot in its process, so it hears the bot's changes (and the bot its) only
    through NOTIFY, and checks channels and roles through Discord's REST API."""
    from alphapy.services import Services

    config = bot_runner.services.config.model_copy(update={"dashboard_port": 0, "data_dir": tmp_path})
    services = Services(config, plugin_manager, migrated_database_url)
    await services.start(health=False)
    server = DashboardServer(config, options_from(config, services, emulator=emulator))
    try:
        yield await server.start()
    finally:
        await server.stop()
        await services.stop()


def settings_url(dashboard: str, guild: Any, tail: str = "") -> str:
    return f"{dashboard}/guilds/{guild.id}/settings{tail}"


async def open_settings(http: aiohttp.ClientSession, dashboard: str, guild: Any) -> str:
    async with http.get(settings_url(dashboard, guild)) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.text()


async def save(http: aiohttp.ClientSession, dashboard: str, guild: Any, setting: str, value: str | list[str],
               page: str, *, follow: bool = True) -> tuple[int, str]:
    scope, key = setting.split(".")
    values = value if isinstance(value, list) else [value]
    form = [("csrf_token", csrf_of(page)), *(("value", v) for v in values)]
    async with http.post(settings_url(dashboard, guild, f"/{scope}/{key}"), data=form,
                         allow_redirects=follow) as resp:
        return resp.status, html.unescape(await resp.text())


def field_error(page: str, setting: str) -> str | None:
    found = re.search(rf'id="setting-{re.escape(setting)}-error" role="alert">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else None


async def slash_sentence(emulator: Any, who: Any, setting: str, value: str) -> str:
    reply = await emulator.slash(who, "settings set", setting=setting, value=value)
    return str(reply.content)


async def no_mention_everyone(emulator: Any, guild: Any) -> None:
    """Nobody may ping roles that are not mentionable, as in test_authority (the bot is told too)."""
    guild.everyone.permissions &= ~P.MENTION_EVERYONE
    emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": guild.everyone.payload()},
                            guild.id)
    await emulator.settle()


# --- the page --------------------------------------------------------------------------------
async def test_every_setting_has_a_labelled_input_fit_for_its_type(dashboard, guild, host) -> None:
    guild.add_role("Verified")
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
    sections = re.findall(r'<h2 id="scope-([a-z_]+)">', page)
    assert sections == ["core", "gadgets", "hello", "verification"]  # core first; the switches stay on the overview
    for name in ("core.timezone", "verification.verified_role", "verification.max_attempts", "hello.greeting"):
        assert f'<label for="setting-{name}">{name}</label>' in page
    assert re.search(r'<input type="text" id="setting-core\.timezone" name="value" value="UTC" list="timezones"', page)
    assert '<datalist id="timezones">' in page and '<option value="Europe/Amsterdam">' in page
    assert re.search(r'id="setting-verification\.max_attempts" name="value" value="3" step="1" min="1" max="100"',
                     page)
    role_picker = re.search(r'<select id="setting-verification\.verified_role".*?</select>', page, re.S)
    assert role_picker and "@Verified" in role_picker.group(0) and "@everyone" not in role_picker.group(0)
    channel_picker = re.search(r'<select id="setting-verification\.category".*?</select>', page, re.S)
    assert channel_picker and "#general" in channel_picker.group(0) and "#staff-room" in channel_picker.group(0)
    assert re.search(r'type="checkbox" id="setting-verification\.delete_screenshots" name="value" value="true" '
                     r'checked', page)
    mode = re.search(r'<select id="setting-verification\.mode".*?</select>', page, re.S)
    assert mode and '<option value="assist" selected>' in mode.group(0)
    assert "the server&#39;s timezone (IANA name)" in page and "Default: UTC" in page
    assert page.count(">Save</button>") >= 10 and not has_inline_script(page)


async def test_pickers_follow_the_servers_roles_and_channels_after_the_short_cache(
        dashboard, emulator, guild, host, clock) -> None:
    async with browser() as http:
        await log_in(http, dashboard, host)
        await open_settings(http, dashboard, guild)
        guild.add_role("Newcomers")
        guild.add_text_channel("announcements")
        await emulator.settle()
        assert "@Newcomers" not in await open_settings(http, dashboard, guild)  # a page full of pickers: one read
        clock.advance(CACHE_SECONDS + 1)
        page = await open_settings(http, dashboard, guild)
    assert "@Newcomers" in page and "#announcements" in page


async def test_time_float_channels_json_and_premium_inputs(dashboard, guild, host, bot) -> None:
    general, staff = guild.channel("general"), guild.channel("staff-room")
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
        assert '<input type="time" id="setting-gadgets.opens_at" name="value" value="09:00"' in page
        assert 'id="setting-gadgets.ratio" name="value" value="0.5" step="any" min="0" max="1"' in page
        assert re.search(r'<select id="setting-gadgets\.rooms" name="value" multiple', page)
        assert re.search(r'<textarea id="setting-gadgets\.layout" name="value"[^>]*>\{\n  &#34;rows&#34;: 2\n\}<', page)
        banner = page[page.index('<label for="setting-gadgets.banner">'):]
        assert banner.index('class="premium"') < banner.index("</form>")
        status, saved = await save(http, dashboard, guild, "gadgets.rooms", [str(general.id), str(staff.id)], page)
        assert status == 200 and "gadgets.rooms = #general, #staff-room" in saved
        status, saved = await save(http, dashboard, guild, "gadgets.opens_at", "19:30", page)
        assert status == 200 and "gadgets.opens_at = 19:30" in saved
        status, refused = await save(http, dashboard, guild, "gadgets.layout", '{"rows": ', page)
        assert (status, field_error(refused, "gadgets.layout")) == (
            400, "gadgets.layout must be valid JSON of at most 16000 bytes")
        assert '>{"rows": </textarea>' in refused
        status, refused = await save(http, dashboard, guild, "gadgets.banner", "Welcome!", page)
        assert (status, field_error(refused, "gadgets.banner")) == (
            400, "gadgets.banner is a premium setting: it needs an active premium subscription in this server")
    assert await bot.settings.get(guild.id, "gadgets", "rooms") == [general.id, staff.id]
    assert await bot.settings.get(guild.id, "gadgets", "layout") == {"rows": 2}
    assert await bot.settings.get(guild.id, "gadgets", "banner") is None


async def test_saving_goes_through_the_service_as_the_web_user_and_redirects(dashboard, guild, host, bot) -> None:
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
        status, _ = await save(http, dashboard, guild, "core.timezone", "Europe/Amsterdam", page, follow=False)
        assert status == 303
        page = await open_settings(http, dashboard, guild)
        field = page[page.index('<label for="setting-core.timezone">'):]  # where the redirect's anchor lands
        assert field.index("core.timezone = Europe/Amsterdam (history #") < field.index("</form>")
        status, page = await save(http, dashboard, guild, "verification.delete_screenshots", "false", page)
        assert status == 200 and "verification.delete_screenshots = off" in page
        status, page = await save(http, dashboard, guild, "hello.greeting", "Hoi", page)
        async with http.post(settings_url(dashboard, guild, "/hello/greeting/reset"),
                             data={"csrf_token": csrf_of(page)}) as resp:
            assert "hello.greeting is back to its default Hello (history #" in await resp.text()
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Amsterdam"
    assert await bot.settings.get(guild.id, "verification", "delete_screenshots") is False
    entries = await bot.settings.history(guild.id)
    assert len(entries) == 4 and {entry.changed_by for entry in entries} == {host.id}


async def test_a_refused_value_shows_the_slash_commands_sentence_keeps_the_text_and_saves_nothing(
        dashboard, emulator, guild, host, bot) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Paris", changed_by=host.id)
    assert await slash_sentence(emulator, host, "core.timezone", "Mars/Olympus") == TZ_SENTENCE
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
        status, refused = await save(http, dashboard, guild, "core.timezone", "Mars/Olympus", page)
    assert status == 400 and field_error(refused, "core.timezone") == TZ_SENTENCE
    assert 'id="setting-core.timezone" name="value" value="Mars/Olympus"' in refused
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Paris"  # the value before stays
    assert len(await bot.settings.history(guild.id)) == 1


async def test_wrong_type_huge_text_and_other_servers_ids_are_refused_with_the_sentence(
        dashboard, emulator, guild, host, bot) -> None:
    other = emulator.add_guild("Other Place", owner_name="otto", text_channels=("elsewhere",))
    foreign_role = other.add_role("Foreign")
    await emulator.settle()
    cases = [
        ("verification.max_attempts", "many", "verification.max_attempts must be a whole number from 1 to 100"),
        ("verification.max_attempts", "101", "verification.max_attempts must be a whole number from 1 to 100"),
        ("hello.greeting", "x" * 5000, "hello.greeting must be text of 1 to 100 characters, without control characters"),
        ("verification.category", str(other.channel("elsewhere").id),
         "verification.category must be a channel of this server (a #channel mention or its id)"),
        ("core.staff_role", str(foreign_role.id), "core.staff_role must be a role of this server (a @role mention or its id)"),
    ]
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
        for setting, value, sentence in cases:
            assert await slash_sentence(emulator, host, setting, value) == sentence
            status, refused = await save(http, dashboard, guild, setting, value, page)
            assert (status, field_error(refused, setting)) == (400, sentence)
            assert f'value="{value}"' in refused or f">{value}</textarea>" in refused
        status, unknown = await save(http, dashboard, guild, "hello.nothing", "1", page)
        assert status == 404 and NO_SUCH_SETTING in unknown
    assert await bot.settings.history(guild.id) == []


# --- the web user's authority --------------------------------------------------------------------
async def test_manage_server_without_manage_roles_cannot_choose_a_role_the_bot_gives(
        dashboard, emulator, guild, host, bot) -> None:
    verified = guild.add_role("Verified")
    await emulator.settle()
    sentence = await slash_sentence(emulator, host, "verification.verified_role", str(verified.id))
    assert sentence == ("verification.verified_role: You cannot choose @Verified as a role I give: you need the "
                        "Manage Roles permission to give roles yourself.")
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
        status, refused = await save(http, dashboard, guild, "verification.verified_role", str(verified.id), page)
    assert (status, field_error(refused, "verification.verified_role")) == (400, sentence)
    assert await bot.settings.get(guild.id, "verification", "verified_role") is None
    # with Manage Roles and the role below their highest, the same host may
    role_managers = guild.add_role("Role managers", permissions="manage_roles", position=verified.position + 1)
    guild.member(host.id).role_ids.append(role_managers.id)
    await emulator.settle()
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
        status, saved = await save(http, dashboard, guild, "verification.verified_role", str(verified.id), page)
    assert status == 200 and "verification.verified_role = @Verified (history #" in saved, field_error(
        saved, "verification.verified_role")
    assert await bot.settings.get(guild.id, "verification", "verified_role") == verified.id


async def test_a_role_ping_setting_obeys_the_ping_rule(dashboard, emulator, guild, host, bot) -> None:
    await no_mention_everyone(emulator, guild)
    quiet = guild.add_role("Quiet")
    loud = guild.add_role("Loud", mentionable=True)
    await emulator.settle()
    sentence = await slash_sentence(emulator, host, "core.staff_role", str(quiet.id))
    assert sentence.startswith("core.staff_role: You cannot choose @Quiet as a role I ping")
    async with browser() as http:
        await log_in(http, dashboard, host)
        page = await open_settings(http, dashboard, guild)
        status, refused = await save(http, dashboard, guild, "core.staff_role", str(quiet.id), page)
        assert (status, field_error(refused, "core.staff_role")) == (400, sentence)
        status, saved = await save(http, dashboard, guild, "core.staff_role", str(loud.id), page)
        assert status == 200 and "core.staff_role = @Loud" in saved
    assert await bot.settings.get(guild.id, "core", "staff_role") == loud.id


async def test_without_the_bot_in_its_process_the_dashboard_judges_roles_from_rest(
        dashboard_alone, emulator, guild, host, bot) -> None:
    verified = guild.add_role("Verified")
    other = emulator.add_guild("Other Place", owner_name="otto", text_channels=("elsewhere",))
    await emulator.settle()
    async with browser() as http:
        await log_in(http, dashboard_alone, host)
        page = await open_settings(http, dashboard_alone, guild)
        _, refused = await save(http, dashboard_alone, guild, "verification.verified_role", str(verified.id), page)
        assert field_error(refused, "verification.verified_role") == (
            "verification.verified_role: You cannot choose @Verified as a role I give: you need the Manage Roles "
            "permission to give roles yourself.")
        _, refused = await save(http, dashboard_alone, guild, "verification.category",
                                str(other.channel("elsewhere").id), page)
        assert field_error(refused, "verification.category") == (
            "verification.category must be a channel of this server (a #channel mention or its id)")
    assert await bot.settings.history(guild.id) == []


# --- live --------------------------------------------------------------------------------------------
async def test_a_change_on_the_page_reaches_the_running_bot_within_a_second(dashboard_alone, guild, host, bot) -> None:
    assert await bot.settings.get(guild.id, "core", "timezone") == "UTC"  # the bot has the guild cached now
    async with browser() as http:
        await log_in(http, dashboard_alone, host)
        page = await open_settings(http, dashboard_alone, guild)
        status, _ = await save(http, dashboard_alone, guild, "core.timezone", "Asia/Tokyo", page, follow=False)
        assert status == 303

    async def seen() -> None:
        while await bot.settings.get(guild.id, "core", "timezone") != "Asia/Tokyo":
            await asyncio.sleep(0.01)

    await asyncio.wait_for(seen(), timeout=1.0)


# --- rollback ------------------------------------------------------------------------------------------
async def test_roll_back_from_history_with_a_confirmation(dashboard, guild, host, bot) -> None:
    first = await bot.settings.set(guild.id, "core", "timezone", "Europe/Paris", changed_by=host.id)
    await bot.settings.set(guild.id, "core", "timezone", "Asia/Tokyo", changed_by=host.id)
    async with browser() as http:
        await log_in(http, dashboard, host)
        async with http.get(f"{dashboard}/guilds/{guild.id}/history", params={"scope": "core", "key": "timezone"}) as resp:
            history = await resp.text()
        assert f'action="/guilds/{guild.id}/history/{first.id}/rollback"' in history and ">Roll back</button>" in history
        async with http.get(f"{dashboard}/guilds/{guild.id}/history/{first.id}/rollback",
                            params={"scope": "core", "key": "timezone"}) as resp:
            confirm = await resp.text()
        assert '<dd id="rollback-now">Asia/Tokyo</dd>' in confirm
        assert '<dd id="rollback-becomes">Europe/Paris</dd>' in confirm and ">Confirm rollback</button>" in confirm
        assert await bot.settings.get(guild.id, "core", "timezone") == "Asia/Tokyo"  # nothing happens on GET
        async with http.post(f"{dashboard}/guilds/{guild.id}/history/{first.id}/rollback", allow_redirects=False,
                             data={"csrf_token": csrf_of(confirm), "scope": "core", "key": "timezone"}) as resp:
            assert resp.status == 303
            assert resp.headers["Location"] == f"/guilds/{guild.id}/history?scope=core&key=timezone"
        async with http.get(dashboard + resp.headers["Location"]) as landed:
            assert f"core.timezone rolled back to history #{first.id} (history #" in await landed.text()
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Paris"
    latest = (await bot.settings.history(guild.id, "core", "timezone"))[0]
    assert (latest.change_type, latest.changed_by, latest.new_value) == ("rollback", host.id, "Europe/Paris")


async def test_a_refused_rollback_shows_the_sentence_and_changes_nothing(dashboard, emulator, guild, host, bot) -> None:
    verified = guild.add_role("Verified")
    await emulator.settle()
    owner = guild.member(guild.owner_id)
    set_by_owner = await bot.settings.set(guild.id, "verification", "verified_role", verified.id, changed_by=owner.id)
    await bot.settings.reset(guild.id, "verification", "verified_role", changed_by=owner.id)
    async with browser() as http:
        await log_in(http, dashboard, host)
        async with http.get(f"{dashboard}/guilds/{guild.id}/history/{set_by_owner.id}/rollback") as resp:
            confirm = await resp.text()
        async with http.post(f"{dashboard}/guilds/{guild.id}/history/{set_by_owner.id}/rollback",
                             data={"csrf_token": csrf_of(confirm)}) as resp:
            assert resp.status == 400
            assert ("verification.verified_role: You cannot choose @Verified as a role I give: you need the Manage "
                    "Roles permission to give roles yourself.") in html.unescape(await resp.text())
        async with http.get(f"{dashboard}/guilds/{guild.id}/history/999999/rollback") as resp:
            assert resp.status == 404 and "there is no settings history entry #999999" in await resp.text()
    assert await bot.settings.get(guild.id, "verification", "verified_role") is None
    assert len(await bot.settings.history(guild.id)) == 2


# --- authorization and CSRF of every new route ---------------------------------------------------------
NEW_ROUTES = [("GET", "/settings"), ("POST", "/settings/core/timezone"), ("POST", "/settings/core/timezone/reset"),
              ("GET", "/history/{entry}/rollback"), ("POST", "/history/{entry}/rollback")]


@pytest.mark.parametrize(("method", "path"), NEW_ROUTES)
async def test_anonymous_is_sent_to_login(dashboard, guild, method, path) -> None:
    url = f"{dashboard}/guilds/{guild.id}" + path.format(entry=1)
    async with browser() as http, http.request(method, url, allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (302, "/login")


async def test_member_without_manage_server_and_host_of_another_server_are_refused(
        dashboard, emulator, guild, host, member, bot) -> None:
    entry = await bot.settings.set(guild.id, "core", "timezone", "Europe/Paris", changed_by=host.id)
    other = emulator.add_guild("Other Place", owner_name="otto")
    for person in (member, other.owner):
        async with browser() as http:
            picker = await log_in(http, dashboard, person)
            for method, path in NEW_ROUTES:
                data = {"csrf_token": csrf_of(picker), "value": "Asia/Tokyo"} if method == "POST" else None
                async with http.request(method, f"{dashboard}/guilds/{guild.id}" + path.format(entry=entry.id),
                                        data=data) as resp:
                    assert resp.status == 403 and NOT_YOURS in await resp.text(), (person, path)
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Paris"
    assert len(await bot.settings.history(guild.id)) == 1


async def test_lost_permission_is_refused_after_the_recheck_window(dashboard, guild, clock, bot) -> None:
    managers = guild.add_role("Managers", permissions="manage_guild")
    mia = guild.add_member("mia", roles=[managers])
    async with browser() as http:
        await log_in(http, dashboard, mia)
        page = await open_settings(http, dashboard, guild)
        managers.permissions &= ~P.MANAGE_GUILD
        clock.advance(RECHECK_SECONDS + 1)
        async with http.get(settings_url(dashboard, guild)) as resp:
            assert resp.status == 403
        status, _ = await save(http, dashboard, guild, "core.timezone", "Asia/Tokyo", page)
        assert status == 403
    assert await bot.settings.history(guild.id) == []


async def test_forms_without_the_csrf_token_are_refused(dashboard, guild, host, bot) -> None:
    entry = await bot.settings.set(guild.id, "core", "timezone", "Europe/Paris", changed_by=host.id)
    await bot.settings.set(guild.id, "core", "timezone", "Asia/Tokyo", changed_by=host.id)
    async with browser() as http:
        await log_in(http, dashboard, host)
        for path in ("/settings/core/timezone", "/settings/core/timezone/reset", f"/history/{entry.id}/rollback"):
            for token in ("", "guessed"):
                async with http.post(f"{dashboard}/guilds/{guild.id}{path}",
                                     data={"csrf_token": token, "value": "UTC"}) as resp:
                    assert resp.status == 403 and CSRF_REFUSAL in await resp.text()
    assert await bot.settings.get(guild.id, "core", "timezone") == "Asia/Tokyo"
    assert len(await bot.settings.history(guild.id)) == 2
