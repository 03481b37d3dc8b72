"""OAuth2 as a "log in with Discord" web app meets it: the consent page, code and token
exchange, refresh, revoke, and the Bearer routes, each answer checked against Discord's
OpenAPI description by the ``emu`` fixture."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp

from alphapy.testing.emulator import DiscordEmulator, P
from alphapy.testing.emulator.routes.oauth2 import OAuth2Routes

REDIRECT = "http://127.0.0.1:9/callback"
SPEC = Path(__file__).resolve().parents[2] / "alphapy" / "testing" / "discord" / "openapi.json"


async def _login(emu: DiscordEmulator, http: aiohttp.ClientSession, user_id: int, state: str = "s1") -> dict[str, str]:
    """Open the consent page, choose ``user_id``, authorize; the redirect's query."""
    query = {"client_id": str(emu.oauth2.client_id), "redirect_uri": REDIRECT, "response_type": "code",
             "scope": "identify guilds", "state": state}
    async with http.get(emu.base_url + "/oauth2/authorize", params=query) as page:
        assert page.status == 200
        text = await page.text()
    assert f'value="{user_id}"' in text
    form = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', text))
    form.update(user_id=str(user_id), action="authorize")
    async with http.post(emu.base_url + "/oauth2/authorize", data=form, allow_redirects=False) as answer:
        assert answer.status == 302
        location = answer.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def _token(emu: DiscordEmulator, http: aiohttp.ClientSession, **fields: str) -> tuple[int, dict]:
    data = {"client_id": str(emu.oauth2.client_id), "client_secret": emu.oauth2.client_secret, **fields}
    async with http.post(emu.api_base + "/oauth2/token", data=data) as resp:
        return resp.status, await resp.json()


async def _get(emu: DiscordEmulator, http: aiohttp.ClientSession, path: str, token: str) -> tuple[int, object]:
    async with http.get(emu.api_base + path, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def test_login_flow_gives_the_chosen_users_identity_and_guilds(emu: DiscordEmulator) -> None:
    guild = emu.add_guild("Support", owner_name="olivia", text_channels=["general"])
    mod = guild.add_member("mod", permissions="manage_guild")
    other = emu.add_guild("Elsewhere", owner_name="otto")
    async with aiohttp.ClientSession() as http:
        answer = await _login(emu, http, mod.id, state="xyz")
        assert answer["state"] == "xyz"
        status, tokens = await _token(emu, http, grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT)
        assert status == 200 and tokens["token_type"] == "Bearer" and tokens["scope"] == "identify guilds"
        status, me = await _get(emu, http, "/users/@me", tokens["access_token"])
        assert status == 200 and me["id"] == str(mod.id) and me["username"] == "mod"
        status, guilds = await _get(emu, http, "/users/@me/guilds", tokens["access_token"])
        assert status == 200
        assert [(g["id"], g["owner"]) for g in guilds] == [(str(guild.id), False)]
        assert int(guilds[0]["permissions"]) & P.MANAGE_GUILD
        assert str(other.id) not in {g["id"] for g in guilds}

        owner_tokens = await _token(emu, http, grant_type="authorization_code",
                                    code=(await _login(emu, http, guild.owner.id))["code"], redirect_uri=REDIRECT)
        status, guilds = await _get(emu, http, "/users/@me/guilds", owner_tokens[1]["access_token"])
        assert guilds[0]["owner"] is True and int(guilds[0]["permissions"]) & P.ADMINISTRATOR

        # a code works once; a Bearer token opens nothing a bot token would
        status, refused = await _token(emu, http, grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT)
        assert (status, refused["error"]) == (400, "invalid_grant")
        status, _ = await _get(emu, http, f"/guilds/{guild.id}", tokens["access_token"])
        assert status == 401


async def test_permissions_follow_the_roles_as_they_change(emu: DiscordEmulator) -> None:
    guild = emu.add_guild("Support", owner_name="olivia")
    staff = guild.add_role("Staff", permissions="manage_guild")
    alice = guild.add_member("alice", roles=[staff])
    async with aiohttp.ClientSession() as http:
        code = (await _login(emu, http, alice.id))["code"]
        token = (await _token(emu, http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT))[1]["access_token"]
        _, guilds = await _get(emu, http, "/users/@me/guilds", token)
        assert int(guilds[0]["permissions"]) & P.MANAGE_GUILD
        staff.permissions &= ~P.MANAGE_GUILD
        _, guilds = await _get(emu, http, "/users/@me/guilds", token)
        assert not int(guilds[0]["permissions"]) & P.MANAGE_GUILD


async def test_refresh_revoke_expiry_and_client_checks(emu: DiscordEmulator) -> None:
    alice = emu.add_guild("Support").add_member("alice")
    async with aiohttp.ClientSession() as http:
        code = (await _login(emu, http, alice.id))["code"]
        status, refused = await _token(emu, http, grant_type="authorization_code", code=code,
                                       redirect_uri=REDIRECT, client_secret="wrong")
        assert (status, refused["error"]) == (401, "invalid_client")
        _, first = await _token(emu, http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
        status, second = await _token(emu, http, grant_type="refresh_token", refresh_token=first["refresh_token"])
        assert status == 200 and second["access_token"] != first["access_token"]
        assert (await _get(emu, http, "/users/@me", first["access_token"]))[0] == 401
        assert (await _get(emu, http, "/users/@me", second["access_token"]))[0] == 200

        data = {"client_id": str(emu.oauth2.client_id), "client_secret": emu.oauth2.client_secret,
                "token": second["access_token"]}
        async with http.post(emu.api_base + "/oauth2/token/revoke", data=data) as resp:
            assert resp.status == 200
        assert (await _get(emu, http, "/users/@me", second["access_token"]))[0] == 401
        status, refused = await _token(emu, http, grant_type="refresh_token", refresh_token=second["refresh_token"])
        assert (status, refused["error"]) == (400, "invalid_grant")

        code = (await _login(emu, http, alice.id))["code"]
        _, third = await _token(emu, http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
        emu.advance_time(third["expires_in"] + 1)
        assert (await _get(emu, http, "/users/@me", third["access_token"]))[0] == 401


async def test_consent_page_refusals_keep_the_state_and_escape_names(emu: DiscordEmulator) -> None:
    emu.add_guild("Support").add_member("<b>eve</b>")
    async with aiohttp.ClientSession() as http:
        async with http.get(emu.base_url + "/oauth2/authorize",
                            params={"client_id": "1", "redirect_uri": REDIRECT, "response_type": "code"}) as resp:
            assert resp.status == 400
        query = {"client_id": str(emu.oauth2.client_id), "redirect_uri": REDIRECT, "scope": "identify", "state": "k"}
        async with http.get(emu.base_url + "/oauth2/authorize", params=query) as resp:
            text = await resp.text()
        assert "<b>eve</b>" not in text and "&lt;b&gt;eve&lt;/b&gt;" in text
        async with http.post(emu.base_url + "/oauth2/authorize", data={**query, "action": "cancel"},
                             allow_redirects=False) as resp:
            assert parse_qs(urlsplit(resp.headers["Location"]).query) == {"error": ["access_denied"], "state": ["k"]}


def test_bearer_routes_are_operations_of_the_openapi_description() -> None:
    """The JSON routes exist in Discord's description (so the fixture validates them); the token
    endpoint is the description's documented OAuth2 token URL."""
    spec = json.loads(SPEC.read_text())
    for method, template, _ in OAuth2Routes.oauth2_routes(OAuth2Routes.__new__(OAuth2Routes)):
        if template.startswith("/oauth2/token"):
            flow = spec["components"]["securitySchemes"]["OAuth2"]["flows"]["authorizationCode"]
            assert flow["tokenUrl"].endswith("/oauth2/token") and flow["authorizationUrl"].endswith("/oauth2/authorize")
        else:
            assert method.lower() in spec["paths"][template]
    assert "get" in spec["paths"]["/users/@me"]
