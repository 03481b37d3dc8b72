"""``PageContext.role_judge()``: the core's role rule for a web user on a plugin page, with the
sentences a slash command gives, judged from Discord's REST answers (the emulator's)."""

from __future__ import annotations

import types
from typing import Any

import pytest
from aiohttp import web

from alphapy import PageContext, hookimpl
from alphapy.testing import DashboardBrowser, P


async def judge_posted_roles(ctx: PageContext) -> web.StreamResponse:
    judge = await ctx.role_judge()
    role_ids = (await ctx.form()).get("roles", "").split()
    return web.Response(text="\n".join(judge(int(role_id)) or "may" for role_id in role_ids))


@hookimpl
def register_dashboard(pages: Any) -> None:
    pages.server_page("judge", judge_posted_roles, access="host", methods=("POST",))


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    plugin = types.ModuleType("alphapy_judging")
    plugin.register_dashboard = register_dashboard  # type: ignore[attr-defined]
    return [("judging", plugin)]


async def test_a_web_user_is_judged_by_the_rule_a_member_is(dashboard_url, emulator, guild, host) -> None:
    admins = guild.add_role("Admins", permissions=P.ADMINISTRATOR)
    over = guild.add_role("Over", position=guild.bot_role.position + 1)
    everyone = guild.id  # @everyone's id is the server's
    await emulator.settle()
    roles = f"{admins.id} {over.id} {everyone} 12345"
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)  # Manage Server, not Manage Roles
        judged = await browser.post(f"/guilds/{guild.id}/judging/judge", {"roles": roles})
    assert judged.text.splitlines() == [
        "You cannot choose @Admins as a role I give: you need the Manage Roles permission to give roles yourself.",
        "You cannot choose @Over as a role I give: you need the Manage Roles permission to give roles yourself.",
        "@everyone cannot be given as a role.",
        "the role 12345 is not a role of this server.",
    ]
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(guild.owner)
        judged = await browser.post(f"/guilds/{guild.id}/judging/judge", {"roles": roles})
    assert judged.text.splitlines()[:2] == [
        "may", "I cannot give @Over: it must be below my highest role (move my role above it in Server Settings → Roles)."]
