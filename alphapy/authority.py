"""Who may make the bot give or ping a role: nobody gets more through the bot than Discord gives them.

The bot usually sits high in a server's role list with *Manage Roles*. Without a rule, a
host with only *Manage Server* could name a role they could never assign themselves
(say, one with Administrator) as "the role a member gets" and walk through the flow to
receive it. So every value that makes the bot **give** a role, and every value that
makes it **ping** one, is judged here against what the person configuring it could do
in Discord themselves:

* give (:data:`GRANT`): never ``@everyone`` nor a managed (integration or bot) role; the
  configurer has Manage Roles (or Administrator) and the role is strictly below their
  highest role (the server owner is exempt); the bot itself can assign it.
* ping (:data:`PING`): never ``@everyone``; the role is mentionable, or the configurer
  has Mention Everyone (in the channel, when one is given).

The configurer is an *actor*: a :class:`discord.Member`, or :data:`OPERATOR` (the
command line), who may do anything but is told what the role can do. Setting types
declare the purpose (``register("x", "role", purpose="grant")``), so ``/settings set``
and the command line apply these rules; plugin commands call :func:`grant_refusal` and
:func:`ping_refusal` for their own inputs. See ``docs/settings.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import discord

from alphapy.cogs.text import escape
from alphapy.settings.types import GRANT, PING

# Permissions worth telling an operator about before the bot hands a role out.
_POWERFUL = (
    ("administrator", "Administrator"), ("manage_guild", "Manage Server"), ("manage_roles", "Manage Roles"),
    ("manage_channels", "Manage Channels"), ("manage_webhooks", "Manage Webhooks"),
    ("ban_members", "Ban Members"), ("kick_members", "Kick Members"), ("moderate_members", "Timeout Members"),
    ("manage_messages", "Manage Messages"), ("mention_everyone", "Mention Everyone"),
)


@dataclass(frozen=True)
class Operator:
    """Whoever runs the command line: trusted, so told rather than refused."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()
Actor: TypeAlias = "discord.Member | Operator"


def _name(role: discord.Role) -> str:
    if role.is_default():
        return "@everyone"
    return "@" + escape(role.name)


def _is_owner(member: discord.Member) -> bool:
    return member.guild.owner_id == member.id


def grant_refusal(actor: Actor, role: discord.Role, *, bot_member: discord.Member | None = None) -> str | None:
    """Why ``actor`` may not make the bot give ``role`` (one sentence), or None when they may.

    ``bot_member`` is the bot in that server (``guild.me``); when given, a role the bot
    could not assign is refused too, except for the operator (who gets a note instead).
    """
    if role.is_default():
        return "@everyone cannot be given as a role."
    if role.managed:
        return f"{_name(role)} is managed by an integration or a bot, so nobody can give it."
    if isinstance(actor, discord.Member) and not _is_owner(actor):
        permissions = actor.guild_permissions
        if not (permissions.manage_roles or permissions.administrator):
            return (f"You cannot choose {_name(role)} as a role I give: you need the Manage Roles permission "
                    "to give roles yourself.")
        if role >= actor.top_role:
            return (f"You cannot choose {_name(role)} as a role I give: it must be below your highest role, "
                    "as Discord would only let you give those.")
    if bot_member is not None and not isinstance(actor, Operator):
        return bot_cannot_grant(role, bot_member)
    return None


def bot_cannot_grant(role: discord.Role, bot_member: discord.Member) -> str | None:
    """Why the bot itself could not assign ``role`` right now, or None."""
    permissions = bot_member.guild_permissions
    if not (permissions.manage_roles or permissions.administrator):
        return f"I cannot give {_name(role)}: I need the Manage Roles permission."
    if role >= bot_member.top_role:
        return (f"I cannot give {_name(role)}: it must be below my highest role "
                "(move my role above it in Server Settings → Roles).")
    return None


def ping_refusal(actor: Actor, role: discord.Role, *,
                 channel: discord.abc.GuildChannel | discord.Thread | None = None) -> str | None:
    """Why ``actor`` may not make the bot ping ``role`` (one sentence), or None when they may.

    With ``channel``, Mention Everyone is read from the actor's permissions there, as
    Discord does when the actor posts in it themselves.
    """
    if role.is_default():
        return "@everyone can never be chosen as a role for me to ping."
    if role.mentionable or not isinstance(actor, discord.Member):
        return None
    permissions = channel.permissions_for(actor) if channel is not None else actor.guild_permissions
    if permissions.mention_everyone or permissions.administrator:
        return None
    return (f"You cannot choose {_name(role)} as a role I ping: it is not mentionable, and mentioning it "
            "needs the Mention Everyone permission.")


def refusal(actor: Actor, role: discord.Role, purpose: str, *,
            bot_member: discord.Member | None = None) -> str | None:
    """:func:`grant_refusal` or :func:`ping_refusal`, by ``purpose``."""
    if purpose == GRANT:
        return grant_refusal(actor, role, bot_member=bot_member)
    if purpose == PING:
        return ping_refusal(actor, role)
    raise ValueError(f"unknown role purpose {purpose!r} (known: {GRANT}, {PING})")


def powers(role: discord.Role) -> list[str]:
    """The role's permissions that matter before handing it out, by their names in Discord."""
    permissions = role.permissions
    return [label for flag, label in _POWERFUL if getattr(permissions, flag)]


def operator_notes(role: discord.Role, purpose: str, *, bot_member: discord.Member | None = None) -> list[str]:
    """What the operator is told when they choose ``role``: what it can do, and what will not work."""
    notes: list[str] = []
    if purpose == GRANT:
        found = powers(role)
        if found:
            notes.append(f"note: {_name(role)} has {', '.join(found)}; everyone I give it to gets that.")
        if bot_member is not None:
            problem = bot_cannot_grant(role, bot_member)
            if problem:
                notes.append(f"note: {problem}")
    elif purpose == PING and not role.mentionable:
        notes.append(f"note: {_name(role)} is not mentionable; my pings reach it only while I have "
                     "Mention Everyone.")
    return notes


def judge(guild: discord.Guild, uses: list[tuple[int, str]], actor: Actor, *,
          bot_member: discord.Member | None = None) -> tuple[str | None, list[str]]:
    """Every ``(role id, purpose)`` a value carries, judged for ``actor`` in ``guild``.

    Returns the first refusal (or None) and, for the operator, the notes on what the
    roles can do. This is the settings service's role check; plugins judging one role
    of their own call :func:`grant_refusal` / :func:`ping_refusal` directly.
    """
    notes: list[str] = []
    for role_id, purpose in uses:
        role = guild.get_role(role_id)
        if role is None:
            return f"the role {role_id} is not a role of this server.", []
        refused = refusal(actor, role, purpose, bot_member=bot_member)
        if refused is not None:
            return refused, []
        if isinstance(actor, Operator):
            notes.extend(operator_notes(role, purpose, bot_member=bot_member))
    return None, list(dict.fromkeys(notes))
