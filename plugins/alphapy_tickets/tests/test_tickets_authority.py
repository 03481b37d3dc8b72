"""The staff ping follows the core's ping rule: set by someone who could mention the role, sent pinging only it."""

from __future__ import annotations

import re

from tickets_helpers import Desk

from alphapy.testing import P


async def test_the_staff_role_must_be_one_the_host_could_mention(bot, emulator, guild, host) -> None:
    support = guild.add_role("Support")  # not mentionable
    guild.everyone.permissions &= ~P.MENTION_EVERYONE
    emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": guild.everyone.payload()},
                            guild.id)
    await emulator.settle()
    refused = await emulator.slash(host, "settings set", setting="tickets.staff_role", value=support.mention)
    assert refused.content == ("tickets.staff_role: You cannot choose @Support as a role I ping: it is not "
                               "mentionable, and mentioning it needs the Mention Everyone permission.")
    everyone = await emulator.slash(guild.owner, "settings set", setting="tickets.escalation_role",
                                    value=str(guild.id))
    assert everyone.content == "tickets.escalation_role: @everyone can never be chosen as a role for me to ping."
    assert await bot.settings.get(guild.id, "tickets", "staff_role") is None


async def test_opening_a_ticket_pings_the_staff_role_and_nothing_else(bot, emulator, desk: Desk, member) -> None:
    reply = await emulator.slash(member, "ticket open", description="I cannot log in")
    channel = desk.guild.channel(int(re.fullmatch(r"Your ticket #\d+ is open: <#(\d+)>", reply.content)[1]))
    await emulator.wait_until(lambda: any(desk.staff_role.mention in m.content for m in channel.messages))
    posts = [r.json for r in emulator.requests.matching("POST", "/channels/{channel_id}/messages")
             if desk.staff_role.mention in (r.json or {}).get("content", "")]
    assert len(posts) == 1
    allowed = posts[0]["allowed_mentions"]
    assert [int(r) for r in allowed["roles"]] == [desk.staff_role.id]  # exactly the staff role
    assert "roles" not in allowed["parse"] and "everyone" not in allowed["parse"]
    assert [int(u) for u in allowed["users"]] == [member.id]
