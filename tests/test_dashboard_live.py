"""The answers the page's script asks for (progressive enhancement): a plugin switch in
place, as JSON, and the settings page's live check, which says what saving would say and
writes nothing. Same authorization, CSRF and rate limits as every other POST."""

from __future__ import annotations

from typing import Any

import pytest

from alphapy.dashboard.csrf import REFUSAL as CSRF_REFUSAL
from alphapy.dashboard.render import ENHANCED_HEADER
from alphapy.dashboard.views.pages import NOT_YOURS
from tests.conftest import test_plugin
from tests.test_dashboard import browser, csrf_of, log_in
from tests.test_dashboard_settings import TZ_SENTENCE, Gadgets, open_settings, settings_url, slash_sentence

ENHANCED = {ENHANCED_HEADER: "1"}


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_verification import plugin as verification

    return [("hello", test_plugin("hello")), ("verification", verification), ("gadgets", Gadgets())]


@pytest.fixture
def dashboard(dashboard_url: str) -> str:
    """The kit's dashboard beside the running bot."""
    return dashboard_url


async def check(http: Any, dashboard: str, guild: Any, setting: str, value: str, token: str) -> tuple[int, Any]:
    scope, key = setting.split(".")
    async with http.post(settings_url(dashboard, guild, f"/{scope}/{key}/check"), headers=ENHANCED,
                         data={"csrf_token": token, "value": value}, allow_redirects=False) as resp:
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, await resp.text()


async def test_a_switch_asked_by_the_script_answers_json_and_the_bot_agrees(dashboard, emulator, guild, host,
                                                                           bot) -> None:
    async with browser() as http:
        await log_in(http, dashboard, host)
        async with http.get(f"{dashboard}/guilds/{guild.id}") as resp:
            token = csrf_of(await resp.text())
        async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello", headers=ENHANCED,
                             data={"enabled": "off", "csrf_token": token}, allow_redirects=False) as resp:
            assert resp.status == 200
            answer = await resp.json()
    assert answer["enabled"] is False and answer["sentence"].startswith("hello is now off in this server (history #")
    assert await bot.settings.is_enabled(guild.id, "hello") is False
    listing = await emulator.slash(host, "plugins list")
    assert "⚪ **hello**" in listing.embed["description"]


async def test_the_live_check_gives_the_slash_commands_sentence_and_writes_nothing(
        dashboard, emulator, guild, host, bot) -> None:
    cases = [
        ("core.timezone", "Mars/Olympus"),
        ("verification.max_attempts", "101"),
        ("hello.greeting", "x" * 5000),
        ("gadgets.banner", "Premium only"),
    ]
    async with browser() as http:
        await log_in(http, dashboard, host)
        token = csrf_of(await open_settings(http, dashboard, guild))
        for setting, value in cases:
            by_slash = await slash_sentence(emulator, host, setting, value)
            assert await check(http, dashboard, guild, setting, value, token) == (
                200, {"ok": False, "sentence": by_slash})
        assert await check(http, dashboard, guild, "core.timezone", "Europe/Amsterdam", token) == (
            200, {"ok": True, "sentence": ""})
    assert await slash_sentence(emulator, host, "core.timezone", "Mars/Olympus") == TZ_SENTENCE
    assert await bot.settings.get(guild.id, "core", "timezone") == "UTC"
    assert await bot.settings.history(guild.id) == []


async def test_the_live_check_judges_roles_as_the_web_user(dashboard, emulator, guild, host, bot) -> None:
    verified = guild.add_role("Verified")
    await emulator.settle()
    by_slash = await slash_sentence(emulator, host, "verification.verified_role", str(verified.id))
    async with browser() as http:
        await log_in(http, dashboard, host)
        token = csrf_of(await open_settings(http, dashboard, guild))
        answer = await check(http, dashboard, guild, "verification.verified_role", str(verified.id), token)
    assert answer == (200, {"ok": False, "sentence": by_slash})
    assert await bot.settings.history(guild.id) == []


async def test_the_live_check_refuses_strangers_and_forms_without_the_csrf_token(
        dashboard, emulator, guild, host, member, bot) -> None:
    async with browser() as http:
        status, _ = await check(http, dashboard, guild, "core.timezone", "UTC", "")
        assert status == 302  # anonymous: to the login page
    other = emulator.add_guild("Other Place", owner_name="otto")
    for person in (member, other.owner):
        async with browser() as http:
            token = csrf_of(await log_in(http, dashboard, person))
            status, body = await check(http, dashboard, guild, "core.timezone", "Mars/Olympus", token)
            assert status == 403 and NOT_YOURS in body
    async with browser() as http:
        await log_in(http, dashboard, host)
        for token in ("", "guessed"):
            status, body = await check(http, dashboard, guild, "core.timezone", "Mars/Olympus", token)
            assert status == 403 and CSRF_REFUSAL in body
    assert await bot.settings.history(guild.id) == []


async def test_live_checks_are_rate_limited_apart_from_saves(dashboard, guild, host, bot) -> None:
    async with browser() as http:
        await log_in(http, dashboard, host)
        token = csrf_of(await open_settings(http, dashboard, guild))
        statuses = [(await check(http, dashboard, guild, "core.timezone", "Asia/Tokyo", token))[0]
                    for _ in range(40)]
        assert statuses[0] == 200 and statuses[-1] == 429
        async with http.post(settings_url(dashboard, guild, "/core/timezone"),
                             data={"csrf_token": token, "value": "Asia/Tokyo"}) as saved:
            assert saved.status == 200  # the saves' own budget is untouched
    assert await bot.settings.get(guild.id, "core", "timezone") == "Asia/Tokyo"


async def test_a_save_sent_as_a_live_preview_still_counts_as_a_save(dashboard, guild, host, bot) -> None:
    """The route decides which limit applies, never the request: the live-preview header on a
    save does not move it into the checks' larger budget."""
    async with browser() as http:
        await log_in(http, dashboard, host)
        token = csrf_of(await open_settings(http, dashboard, guild))
        statuses = []
        for zone in ["Asia/Tokyo", "Europe/Paris"] * 10:
            async with http.post(settings_url(dashboard, guild, "/core/timezone"), allow_redirects=False,
                                 headers={"X-Live-Preview": "1"},
                                 data={"csrf_token": token, "value": zone}) as saved:
                statuses.append(saved.status)
        assert statuses[0] == 303 and statuses[-1] == 429  # the saves' budget: 10 at once
        assert 429 not in statuses[:10]
    assert len(await bot.settings.history(guild.id)) == 10


@pytest.mark.parametrize("path", ["/settings/core/timezone/check", "/plugins/hello"])
async def test_without_the_header_the_answers_stay_pages(dashboard, guild, host, bot, path) -> None:
    async with browser() as http:
        await log_in(http, dashboard, host)
        token = csrf_of(await open_settings(http, dashboard, guild))
        async with http.post(f"{dashboard}/guilds/{guild.id}{path}", allow_redirects=False,
                             data={"csrf_token": token, "value": "UTC", "enabled": "off"}) as resp:
            if path.endswith("/check"):
                assert resp.status == 200 and resp.content_type == "application/json"
            else:
                assert resp.status == 303
