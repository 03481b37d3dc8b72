"""The signed-in person's access level in one server: host, staff, member, or none.

Asked on every request from the session's guild list and roles, both at most
:data:`~alphapy.dashboard.access.RECHECK_SECONDS` old, so a lost permission or role closes
the pages within a minute. Staff is decided by :func:`alphapy.staff_roles.staff_role_ids`,
the rule ``@staff_only()`` applies to slash commands.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from alphapy.dashboard.access import GuildChoices, may_manage
from alphapy.dashboard.keys import ACCESS_KEY, OPTIONS_KEY
from alphapy.dashboard.plugin_pages import PageAccess
from alphapy.staff_roles import DEFAULT_PLUGIN_KEY, staff_role_ids


async def guild_choices(request: web.Request) -> GuildChoices:
    session = await get_session(request)
    choices: GuildChoices = await request.app[ACCESS_KEY].choices(session["sid"], session["token"])
    return choices


async def level_in(request: web.Request, guild_id: int, plugin: str | None, *,
                   staff_setting: str = DEFAULT_PLUGIN_KEY, ask_roles: bool = True) -> PageAccess | None:
    """``host``, ``staff``, ``member`` or None (not in that server, or the bot is not).

    ``ask_roles=False`` stops at ``member`` for someone who is not a host: no page needs
    more, so Discord is not asked for their roles.
    """
    guild = (await guild_choices(request)).find_shared(guild_id)
    if guild is None:
        return None
    if may_manage(guild):
        return "host"
    if not ask_roles:
        return "member"
    session = await get_session(request)
    roles = await request.app[ACCESS_KEY].role_ids(session["sid"], guild_id, int(session["user_id"]))
    staff = await staff_role_ids(request.app[OPTIONS_KEY].settings, guild_id, plugin, staff_setting)
    return "staff" if roles & staff else "member"
