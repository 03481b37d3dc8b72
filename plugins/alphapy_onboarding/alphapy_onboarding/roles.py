"""Giving the roles a member earned, and telling the host once when that is impossible.

Each role is added on its own request, so one role above the bot's does not cost the
member the others. A role that cannot be given is reported to ``onboarding.log_channel``
the first time only (``onboarding_role_problems``); when it works again the note is
cleared, so a later breakage is reported anew. The member completes either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from alphapy import MESSAGE_CONTENT, AlphapyBot, fit_lines, get_logger
from alphapy_onboarding import store

log = get_logger("alphapy.plugins.onboarding")


@dataclass
class Grant:
    granted: list[discord.Role] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (role id, why)


def why_not(guild: discord.Guild, role: discord.Role) -> str:
    """The host's reason a role cannot be given by the bot, in words they can act on."""
    me = guild.me
    if not me.guild_permissions.manage_roles:
        return "I do not have the Manage Roles permission"
    if role.managed:
        return "it is managed by an integration and cannot be given by hand"
    if role >= me.top_role:
        return "it is above my highest role (move my role above it in Server Settings → Roles)"
    return "Discord refused it (missing permissions)"


async def grant(bot: AlphapyBot, guild: discord.Guild, member: discord.Member, role_ids: list[int]) -> Grant:
    result = Grant()
    held = {role.id for role in member.roles}
    for role_id in role_ids:
        role = guild.get_role(role_id)
        if role is None:
            result.problems.append((role_id, "the role no longer exists"))
            continue
        if role_id in held:
            result.granted.append(role)
            continue
        try:
            await member.add_roles(role, reason="Onboarding completed")
        except discord.Forbidden:
            result.problems.append((role_id, why_not(guild, role)))
        except discord.NotFound:
            result.problems.append((role_id, "the role no longer exists"))
        except discord.HTTPException as exc:
            result.problems.append((role_id, f"Discord refused it ({exc.status})"))
        else:
            result.granted.append(role)
    async with bot.db.acquire() as conn:
        await store.clear_role_problems(conn, guild.id, [role.id for role in result.granted])
        new = [(rid, why) for rid, why in result.problems if await store.note_role_problem(conn, guild.id, rid, why)]
    if new:
        await report(bot, guild, new)
    return result


async def report(bot: AlphapyBot, guild: discord.Guild, problems: list[tuple[int, str]]) -> None:
    head = "⚠️ **Onboarding could not give a role.** Members still complete onboarding, without it."
    tail = "I will say this once; if it breaks again after working, I will tell you again."
    lines = fit_lines([f"• <@&{role_id}>: {why}." for role_id, why in problems],
                      MESSAGE_CONTENT - len(head) - len(tail) - 2)
    text = f"{head}\n{lines}\n{tail}"
    channel_id = await bot.settings.get(guild.id, "onboarding", "log_channel")
    channel = guild.get_channel(channel_id) if channel_id else None
    for role_id, why in problems:
        log.warning("onboarding.role_not_granted", guild_id=guild.id, role_id=role_id, reason=why)
    if not isinstance(channel, discord.abc.Messageable):
        return
    try:
        await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
    except discord.HTTPException as exc:
        log.warning("onboarding.log_channel_failed", guild_id=guild.id, status=exc.status)
