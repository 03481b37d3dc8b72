"""The dashboard end to end: a browser-like client logs in through the emulator's consent
page, and the running bot, the real database and the emulator see what it did."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import stat
import sys
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from alphapy.dashboard.access import RECHECK_SECONDS
from alphapy.dashboard.auth import BAD_STATE
from alphapy.dashboard.csrf import REFUSAL as CSRF_REFUSAL
from alphapy.dashboard.server import DashboardServer, options_from
from alphapy.dashboard.session_secret import SECRET_FILE, session_key
from alphapy.dashboard.views.pages import NOT_YOURS
from alphapy.testing.emulator import P
from tests.conftest import test_plugin


class MovableClock:
    """Monotonic seconds a test moves forward instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest_asyncio.fixture
async def dashboard(bot_runner: Any, emulator: Any, clock: MovableClock, tmp_path: Any) -> AsyncIterator[str]:
    """The dashboard on a free loopback port, beside the running bot; its URL."""
    config = bot_runner.services.config.model_copy(update={"dashboard_port": 0, "data_dir": tmp_path})
    options = options_from(config, bot_runner.services, emulator=emulator)
    options.clock = clock
    server = DashboardServer(config, options)
    url = await server.start()
    try:
        yield url
    finally:
        await server.stop()


def browser() -> aiohttp.ClientSession:
    # unsafe=True: keep cookies of an IP address host (127.0.0.1), as a browser does
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def log_in(http: aiohttp.ClientSession, dashboard: str, user: Any) -> str:
    """Through the consent page as ``user``; the page the dashboard lands on."""
    async with http.get(dashboard + "/login") as consent:
        assert consent.status == 200 and "Who are you?" in await consent.text()
        form = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', await consent.text()))
        consent_url = str(consent.url).split("?")[0]
    form.update(user_id=str(user.id), action="authorize")
    async with http.post(consent_url, data=form) as landed:
        assert landed.status == 200, await landed.text()
        assert str(landed.url) == dashboard + "/"
        return await landed.text()


def has_inline_script(page: str) -> bool:
    """Any script not loaded from the dashboard's /static/ (the CSP would block it)."""
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    return any(' src="/static/' not in attrs or body.strip() for attrs, body in scripts)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


async def test_login_pick_server_and_switch_a_plugin_seen_by_the_bot(dashboard, emulator, guild, host, bot) -> None:
    async with browser() as http:
        picker = await log_in(http, dashboard, host)
        assert f'href="/guilds/{guild.id}"' in picker and "Test Guild" in picker
        async with http.get(f"{dashboard}/guilds/{guild.id}") as overview:
            page = await overview.text()
            assert overview.headers["X-Frame-Options"] == "DENY"
            assert "default-src 'self'" in overview.headers["Content-Security-Policy"]
            assert "<script" in page and not has_inline_script(page)
        async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello",
                             data={"enabled": "off", "csrf_token": csrf_of(page)}) as switched:
            assert switched.status == 200
            assert "hello is now off in this server (history #" in await switched.text()
    listing = await emulator.slash(host, "plugins list")
    assert "⚪ **hello**" in listing.embed["description"]
    (entry,) = await bot.settings.history(guild.id, "plugins", "hello")
    assert entry.changed_by == host.id and entry.new_value is False


async def test_session_cookie_is_encrypted_lax_and_http_only(dashboard, host) -> None:
    async with browser() as http, http.get(dashboard + "/login", allow_redirects=False) as resp:
        cookie = resp.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "oauth_state" not in cookie


async def test_state_mismatch_is_refused(dashboard, host) -> None:
    async with browser() as http:
        async with http.get(dashboard + "/login", allow_redirects=False) as resp:
            assert resp.status == 302 and "state=" in resp.headers["Location"]
        async with http.get(dashboard + "/callback", params={"code": "x", "state": "forged"}) as resp:
            assert resp.status == 400 and BAD_STATE in await resp.text()
        async with http.get(dashboard + "/", allow_redirects=False) as resp:
            assert (resp.status, resp.headers["Location"]) == (302, "/login")


@pytest.mark.parametrize(("method", "path"), [("GET", "/"), ("GET", "/guilds/{guild}"),
                                              ("POST", "/guilds/{guild}/plugins/hello"),
                                              ("GET", "/guilds/{guild}/history")])
async def test_anonymous_is_sent_to_login(dashboard, guild, method, path) -> None:
    url = dashboard + path.format(guild=guild.id)
    async with browser() as http, http.request(method, url, allow_redirects=False) as resp:
        assert (resp.status, resp.headers["Location"]) == (302, "/login")


async def test_member_without_manage_server_and_host_of_another_server_are_refused(
        dashboard, emulator, guild, member, bot) -> None:
    other = emulator.add_guild("Other Place", owner_name="otto")
    for person in (member, other.owner):
        async with browser() as http:
            picker = await log_in(http, dashboard, person)
            assert f"/guilds/{guild.id}" not in picker
            for page in ("", "/history"):
                async with http.get(f"{dashboard}/guilds/{guild.id}{page}") as resp:
                    assert resp.status == 403 and NOT_YOURS in await resp.text()
            async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello",
                                 data={"enabled": "off", "csrf_token": csrf_of(picker)}) as resp:
                assert resp.status == 403
    assert await bot.settings.is_enabled(guild.id, "hello")


async def test_lost_permission_is_refused_after_the_recheck_window(dashboard, guild, clock) -> None:
    managers = guild.add_role("Managers", permissions="manage_guild")
    mia = guild.add_member("mia", roles=[managers])
    async with browser() as http:
        await log_in(http, dashboard, mia)
        async with http.get(f"{dashboard}/guilds/{guild.id}") as resp:
            assert resp.status == 200
        managers.permissions &= ~P.MANAGE_GUILD
        clock.advance(RECHECK_SECONDS + 1)
        async with http.get(f"{dashboard}/guilds/{guild.id}") as resp:
            assert resp.status == 403


async def test_form_without_the_csrf_token_is_refused(dashboard, guild, host, bot) -> None:
    async with browser() as http:
        await log_in(http, dashboard, host)
        for token in ("", "guessed"):
            async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello",
                                 data={"enabled": "off", "csrf_token": token}) as resp:
                assert resp.status == 403 and CSRF_REFUSAL in await resp.text()
    assert await bot.settings.is_enabled(guild.id, "hello")


async def test_logins_and_writes_are_rate_limited(dashboard, guild, host, clock) -> None:
    async with browser() as http:
        page = await log_in(http, dashboard, host)
        statuses = []
        for _ in range(12):
            async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello", allow_redirects=False,
                                 data={"enabled": "on", "csrf_token": csrf_of(page)}) as resp:
                statuses.append(resp.status)
        assert statuses[0] == 303 and statuses[-1] == 429
        clock.advance(60)
        async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello", allow_redirects=False,
                             data={"enabled": "on", "csrf_token": csrf_of(page)}) as resp:
            assert resp.status == 303
    async with browser() as http:
        statuses = []
        for _ in range(12):
            async with http.get(dashboard + "/login", allow_redirects=False) as resp:
                statuses.append(resp.status)
        assert statuses[0] == 302 and statuses[-1] == 429


def test_session_secret_is_generated_once_and_private(tmp_path) -> None:
    first = session_key(None, tmp_path)
    assert session_key(None, tmp_path) == first and len(first) == 32
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    assert session_key("configured", tmp_path) != first


async def test_alphapy_dashboard_runs_alone_against_discords_rest_api(emulator, guild, host,
                                                                      migrated_database_url, tmp_path) -> None:
    """No gateway: the command serves logins and pages from the database and the REST API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DASHBOARD_"))}
    env.update(DATABASE_URL=migrated_database_url, DISCORD_TOKEN=emulator.token, DISCORD_API_BASE=emulator.api_base,
               DISCORD_CLIENT_ID=str(emulator.oauth2.client_id), DISCORD_CLIENT_SECRET=emulator.oauth2.client_secret,
               DASHBOARD_PORT="0", ALPHAPY_DATA_DIR=str(tmp_path), ALPHAPY_PLUGINS="", LOG_FORMAT="json")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "alphapy", "dashboard", env=env,
                                                   cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
        assert line.startswith("Dashboard at http://127.0.0.1:"), line
        url = line.split()[2].rstrip("./")
        async with browser() as http:
            picker = await log_in(http, url, host)
        assert f'href="/guilds/{guild.id}"' in picker
        assert emulator.gateway.identified_shards == []  # REST only
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 60)
    assert process.returncode == 0


async def test_cookies_are_secure_behind_https(bot_runner, emulator, tmp_path) -> None:
    config = bot_runner.services.config.model_copy(
        update={"dashboard_port": 0, "data_dir": tmp_path, "dashboard_public_url": "https://dash.example.org"})
    server = DashboardServer(config, options_from(config, bot_runner.services, emulator=emulator))
    await server.start()
    try:
        port = server._runner.addresses[0][1]
        async with browser() as http, http.get(f"http://127.0.0.1:{port}/login", allow_redirects=False) as resp:
            assert "; Secure" in resp.headers["Set-Cookie"]
            assert "redirect_uri=https://dash.example.org/callback" in resp.headers["Location"]
    finally:
        await server.stop()


async def test_the_page_refuses_with_the_same_sentences_as_the_slash_command(dashboard, guild, host, bot) -> None:
    async with browser() as http:
        await log_in(http, dashboard, host)
        async with http.get(f"{dashboard}/guilds/{guild.id}") as resp:
            token = csrf_of(await resp.text())
        async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/nope",
                             data={"enabled": "off", "csrf_token": token}) as resp:
            assert "There is no plugin called nope. Installed: hello." in await resp.text()
        async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello",
                             data={"enabled": "on", "csrf_token": token}) as resp:
            assert "hello is already on here." in await resp.text()
    assert await bot.settings.history(guild.id, "plugins", "hello") == []


async def test_history_lists_changes_with_who_and_filters(dashboard, guild, host, bot) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam", changed_by=host.id)
    async with browser() as http:
        await log_in(http, dashboard, host)
        async with http.get(f"{dashboard}/guilds/{guild.id}") as resp:
            token = csrf_of(await resp.text())
        async with http.post(f"{dashboard}/guilds/{guild.id}/plugins/hello",
                             data={"enabled": "off", "csrf_token": token}) as resp:
            assert resp.status == 200
        async with http.get(f"{dashboard}/guilds/{guild.id}/history") as resp:
            everything = await resp.text()
        async with http.get(f"{dashboard}/guilds/{guild.id}/history", params={"scope": "plugins"}) as resp:
            plugins_only = await resp.text()
        async with http.get(f"{dashboard}/guilds/{guild.id}/history", params={"key": "timezone"}) as resp:
            refused = await resp.text()
    assert "core.timezone" in everything and "plugins.hello" in everything and str(host.id) in everything
    assert "(default) → False" in everything and "(default) → Europe/Amsterdam" in everything
    assert "plugins.hello" in plugins_only and "core.timezone" not in plugins_only
    assert "give the scope of the key too" in refused
