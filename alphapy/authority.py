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

The configurer is an *actor*: a :class:`discord.Member`, a :class:`Standing` (what the
rules read of a person: permissions, highest role, owner flag; the dashboard builds one for
its web user from Discord's REST data), or :data:`OPERATOR` (the command line), who may do
anything but is told what the role can do. Roles are read as :class:`RoleFacts`, from the
gateway cache or REST alike, so one copy of the rules judges every caller. Setting types
declare the purpose (``register("x", "role", purpose="grant")``), so ``/settings set``
and the command line apply these rules; plugin commands call :func:`grant_refusal` and
:func:`ping_refusal` for their own inputs. See ``docs/settings.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

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
# What a timed-out member keeps (as discord.py and Discord compute it).
_TIMED_OUT_KEEPS = discord.Permissions(view_channel=True, read_message_history=True)


@dataclass(frozen=True)
class Operator:
    """Whoever runs the command line: trusted, so told rather than refused."""

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = Operator()


@dataclass(frozen=True, slots=True)
class RoleFacts:
    """What the rules read of a role, from the gateway cache or from Discord's REST API alike."""

    id: int
    name: str
    position: int
    permissions: discord.Permissions
    managed: bool = False
    mentionable: bool = False
    is_everyone: bool = False

    @property
    def rank(self) -> tuple[int, int]:
        """Discord's role order as a sort key: @everyone lowest, then by position, and at an
        equal position the older role (smaller id) higher, as discord.py compares roles."""
        return (-1, 0) if self.is_everyone else (self.position, -self.id)

    @classmethod
    def of(cls, role: discord.Role) -> RoleFacts:
        return cls(role.id, role.name, role.position, role.permissions, role.managed, role.mentionable,
                   role.is_default())

    @classmethod
    def from_payload(cls, data: Mapping[str, Any], guild_id: int) -> RoleFacts:
        """A role object of Discord's REST API (``GET /guilds/{id}`` or ``/roles``)."""
        role_id = int(data["id"])
        return cls(role_id, str(data.get("name", "")), int(data.get("position", 0)),
                   discord.Permissions(int(data.get("permissions", 0))), bool(data.get("managed")),
                   bool(data.get("mentionable")), role_id == guild_id)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a person stands in a server, all the role rules judge: their permissions, their
    highest role's rank, and whether they own it.

    Made from a :class:`discord.Member` (slash commands, the bot's cache) or from Discord's
    REST data (the dashboard's web user, who has no Member object), so one copy of the rules
    serves both.
    """

    user_id: int
    permissions: discord.Permissions
    top_rank: tuple[int, int]
    owner: bool = False

    @classmethod
    def of(cls, member: discord.Member, *,
           channel: discord.abc.GuildChannel | discord.Thread | None = None) -> Standing:
        """``member``'s standing; with ``channel``, their permissions there (overwrites applied)."""
        permissions = channel.permissions_for(member) if channel is not None else member.guild_permissions
        return cls(member.id, permissions, RoleFacts.of(member.top_role).rank, member.guild.owner_id == member.id)

    @classmethod
    def from_payload(cls, member: Mapping[str, Any], roles: Mapping[int, RoleFacts], owner_id: int,
                     guild_id: int) -> Standing:
        """A guild member object of the REST API (``GET /guilds/{id}/members/{user_id}``), with
        the server's roles by id and its owner's id; permissions computed as Discord does."""
        user_id = int(member["user"]["id"])
        held = [roles[int(r)] for r in member.get("roles", []) if int(r) in roles]
        everyone = roles.get(guild_id)
        value = everyone.permissions.value if everyone is not None else 0
        for role in held:
            value |= role.permissions.value
        permissions = discord.Permissions(value)
        owner = user_id == owner_id
        if owner or permissions.administrator:
            permissions = discord.Permissions.all()
        elif member.get("communication_disabled_until"):
            until = discord.utils.parse_time(str(member["communication_disabled_until"]))
            if until is not None and until > discord.utils.utcnow():
                permissions = discord.Permissions(permissions.value & _TIMED_OUT_KEEPS.value)
        top = max((role.rank for role in held), default=(-1, 0))
        return cls(user_id, permissions, top, owner)


Actor: TypeAlias = "discord.Member | Standing | Operator"
RoleLike: TypeAlias = "discord.Role | RoleFacts"


def _standing(actor: Actor) -> Standing | Operator:
    return Standing.of(actor) if isinstance(actor, discord.Member) else actor


def _facts(role: RoleLike) -> RoleFacts:
    return RoleFacts.of(role) if isinstance(role, discord.Role) else role


def _name(role: RoleFacts) -> str:
    if role.is_everyone:
        return "@everyone"
    return "@" + escape(role.name)


def grant_refusal(actor: Actor, role: RoleLike, *,
                  bot_member: discord.Member | Standing | None = None) -> str | None:
    """Why ``actor`` may not make the bot give ``role`` (one sentence), or None when they may.

    ``bot_member`` is the bot in that server (``guild.me``, or its :class:`Standing`); when
    given, a role the bot could not assign is refused too, except for the operator (who
    gets a note instead).
    """
    facts, who = _facts(role), _standing(actor)
    if facts.is_everyone:
        return "@everyone cannot be given as a role."
    if facts.managed:
        return f"{_name(facts)} is managed by an integration or a bot, so nobody can give it."
    if isinstance(who, Standing) and not who.owner:
        if not (who.permissions.manage_roles or who.permissions.administrator):
            return (f"You cannot choose {_name(facts)} as a role I give: you need the Manage Roles permission "
                    "to give roles yourself.")
        if facts.rank >= who.top_rank:
            return (f"You cannot choose {_name(facts)} as a role I give: it must be below your highest role, "
                    "as Discord would only let you give those.")
    if bot_member is not None and not isinstance(who, Operator):
        return bot_cannot_grant(facts, bot_member)
    return None


def bot_cannot_grant(role: RoleLike, bot_member: discord.Member | Standing) -> str | None:
    """Why the bot itself could not assign ``role`` right now, or None."""
    facts = _facts(role)
    bot = Standing.of(bot_member) if isinstance(bot_member, discord.Member) else bot_member
    if not (bot.permissions.manage_roles or bot.permissions.administrator):
        return f"I cannot give {_name(facts)}: I need the Manage Roles permission."
    if facts.rank >= bot.top_rank:
        return (f"I cannot give {_name(facts)}: it must be below my highest role "
                "(move my role above it in Server Settings → Roles).")
    return None


def ping_refusal(actor: Actor, role: RoleLike, *,
                 channel: discord.abc.GuildChannel | discord.Thread | None = None) -> str | None:
    """Why ``actor`` may not make the bot ping ``role`` (one sentence), or None when they may.

    With ``channel`` (and a :class:`discord.Member` actor), Mention Everyone is read from the
    actor's permissions there, as Discord does when the actor posts in it themselves.
    """
    facts = _facts(role)
    if facts.is_everyone:
        return "@everyone can never be chosen as a role for me to ping."
    if facts.mentionable or isinstance(actor, Operator):
        return None
    who = Standing.of(actor, channel=channel) if isinstance(actor, discord.Member) else actor
    if who.permissions.mention_everyone or who.permissions.administrator:
        return None
    return (f"You cannot choose {_name(facts)} as a role I ping: it is not mentionable, and mentioning it "
            "needs the Mention Everyone permission.")


def refusal(actor: Actor, role: RoleLike, purpose: str, *,
            bot_member: discord.Member | Standing | None = None) -> str | None:
    """:func:`grant_refusal` or :func:`ping_refusal`, by ``purpose``."""
    if purpose == GRANT:
        return grant_refusal(actor, role, bot_member=bot_member)
    if purpose == PING:
        return ping_refusal(actor, role)
    raise ValueError(f"unknown role purpose {purpose!r} (known: {GRANT}, {PING})")


def powers(role: RoleLike) -> list[str]:
    """The role's permissions that matter before handing it out, by their names in Discord."""
    permissions = _facts(role).permissions
    return [label for flag, label in _POWERFUL if getattr(permissions, flag)]


def operator_notes(role: RoleLike, purpose: str, *,
                   bot_member: discord.Member | Standing | None = None) -> list[str]:
    """What the operator is told when they choose ``role``: what it can do, and what will not work."""
    facts = _facts(role)
    notes: list[str] = []
    if purpose == GRANT:
        found = powers(facts)
        if found:
            notes.append(f"note: {_name(facts)} has {', '.join(found)}; everyone I give it to gets that.")
        if bot_member is not None:
            problem = bot_cannot_grant(facts, bot_member)
            if problem:
                notes.append(f"note: {problem}")
    elif purpose == PING and not facts.mentionable:
        notes.append(f"note: {_name(facts)} is not mentionable; my pings reach it only while I have "
                     "Mention Everyone.")
    return notes


def judge(guild: discord.Guild, uses: list[tuple[int, str]], actor: Actor, *,
          bot_member: discord.Member | None = None) -> tuple[str | None, list[str]]:
    """Every ``(role id, purpose)`` a value carries, judged for ``actor`` in ``guild``.

    Returns the first refusal (or None) and, for the operator, the notes on what the
    roles can do. This is the settings service's role check; plugins judging one role
    of their own call :func:`grant_refusal` / :func:`ping_refusal` directly.
    """
    roles = {role_id: RoleFacts.of(role) for role_id, _ in uses if (role := guild.get_role(role_id)) is not None}
    return judge_roles(roles, uses, actor, bot=Standing.of(bot_member) if bot_member is not None else None)


def judge_roles(roles: Mapping[int, RoleFacts], uses: Iterable[tuple[int, str]], actor: Actor, *,
                bot: Standing | None = None) -> tuple[str | None, list[str]]:
    """:func:`judge` over the server's roles as plain facts (from the gateway cache or from
    Discord's REST API), with the bot's own :class:`Standing` when known."""
    who = _standing(actor)
    notes: list[str] = []
    for role_id, purpose in uses:
        role = roles.get(role_id)
        if role is None:
            return f"the role {role_id} is not a role of this server.", []
        refused = refusal(who, role, purpose, bot_member=bot)
        if refused is not None:
            return refused, []
        if isinstance(who, Operator):
            notes.extend(operator_notes(role, purpose, bot_member=bot))
    return None, list(dict.fromkeys(notes))
