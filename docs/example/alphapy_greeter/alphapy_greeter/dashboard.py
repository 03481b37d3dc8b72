"""The greeter's page on the hosts' dashboard: how many members it greeted, and where."""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

from alphapy import DashboardPages, PageContext
from alphapy_greeter import store


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.server_page("", greeter_page, title="Greeter", access="staff")


async def greeter_page(ctx: PageContext) -> web.StreamResponse:
    assert ctx.guild_id is not None  # a server page always has one
    async with ctx.db.acquire() as conn:
        greeted = await store.welcome_count(conn, ctx.guild_id)
    return await ctx.render("greeter/page.html", {
        "greeted": greeted, "channel": await ctx.setting("channel"), "text": await ctx.setting("text"),
    })
