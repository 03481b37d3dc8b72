"""What one person sees in the emulator: their channels, the messages shown to them, the
member list. The rules are the emulator's own (``permissions_for``, ephemeral messages
belong to whoever got them), so the page shows exactly what Discord would show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ..permissions import P
from ..state import Channel, Guild, Member, Message, Role, User
from ..state.common import GUILD_CATEGORY, GUILD_TEXT
from .markdown import render_markdown

if TYPE_CHECKING:
    from ..emulator import DiscordEmulator

#: the roles a visitor picks from, named by what they may do in the server
ROLE_LABELS = ("owner", "host", "moderator", "member")


def label_of(member: Member) -> str:
    """How the identity switcher names a person: owner, host, moderator or member."""
    if member.guild.owner_id == member.id:
        return "owner"
    granted = member.guild_permissions
    if granted & (P.ADMINISTRATOR | P.MANAGE_GUILD):
        return "host"
    if granted & (P.MANAGE_MESSAGES | P.KICK_MEMBERS | P.MODERATE_MEMBERS):
        return "moderator"
    return "member"


def people(guild: Guild) -> list[Member]:
    """Everyone a visitor may act as: the guild's people, not bots, owner first."""
    humans = [m for m in guild.members.values() if not m.bot]
    return sorted(humans, key=lambda m: (ROLE_LABELS.index(label_of(m)), m.name))


def acting_member(guild: Guild, user_id: int | None) -> Member:
    """The visitor's member in ``guild``: the chosen person, or the owner when they are
    not (or no longer) a member here."""
    chosen = guild.members.get(user_id) if user_id is not None else None
    return chosen if chosen is not None and not chosen.bot else guild.owner


def visible_channels(guild: Guild, member: Member) -> list[Channel]:
    """Text channels and threads ``member`` may view, in Discord's sidebar order
    (uncategorised first, then each category's channels)."""
    channels = [c for c in guild.channels.values()
                if c.type != GUILD_CATEGORY and (c.type == GUILD_TEXT or c.is_thread or c.type == 5)
                and c.visible_to(member)]
    return sorted(channels, key=_sidebar_key)


def _sidebar_key(channel: Channel) -> tuple[int, int, int, int]:
    anchor = channel.parent if channel.is_thread and channel.parent is not None else channel
    category = anchor.category
    return (1 if category else 0, category.position if category else 0, anchor.position,
            channel.id if channel.is_thread else 0)


def messages_for(emu: DiscordEmulator, channel: Channel, viewer: User) -> list[Message]:
    """The channel's history plus the ephemeral messages shown to ``viewer`` there, oldest first."""
    mine = [m for m in emu.state.ephemeral_messages.values()
            if m.channel is channel and m.interaction_user_id == viewer.id and not m.deleted]
    if not mine:
        return list(channel.messages)
    return sorted([*channel.messages, *mine], key=lambda m: m.id)


def find_message(emu: DiscordEmulator, channel: Channel, message_id: int, viewer: User) -> Message | None:
    """A message of ``channel`` the viewer can see (their own ephemeral ones included)."""
    found = channel.message(message_id)
    if found is not None:
        return found
    eph = emu.state.ephemeral_messages.get(message_id)
    if eph is not None and eph.channel is channel and eph.interaction_user_id == viewer.id and not eph.deleted:
        return eph
    return None


@dataclass(frozen=True, slots=True)
class Names:
    """Resolves mention ids to names for the markdown renderer."""

    emu: DiscordEmulator
    guild: Guild | None

    def __call__(self, kind: str, ident: int) -> str | None:
        if kind == "user":
            if self.guild is not None and ident in self.guild.members:
                return self.guild.members[ident].display_name
            user = self.emu.state.users.get(ident)
            return user.display_name if user else None
        if kind == "role" and self.guild is not None:
            role = self.guild.roles.get(ident)
            return role.name if role else None
        if kind == "channel":
            channel = self.emu.state.channels.get(ident)
            return channel.name if channel else None
        return None

    def markdown(self, text: str | None) -> Markup:
        return render_markdown(text or "", self)

    def image(self, url: str, message: Message) -> str | None:
        """An embed image's address on this page's origin, when it is a file the emulator
        keeps (``attachment://name`` or the emulator's own URL); None for anything else."""
        for attachment in message.attachments:
            if url in (f"attachment://{attachment.filename}", attachment.url):
                return f"/attachments/{attachment.id}/{attachment.filename}"
        return None


def member_groups(guild: Guild) -> list[tuple[str, list[Member]]]:
    """The member list as Discord shows it: grouped by the highest hoisted-or-not role."""
    groups: dict[str, list[Member]] = {}
    for member in sorted(guild.members.values(), key=lambda m: (-m.top_role.position, m.name)):
        top: Role = member.top_role
        title = "Online" if top.is_everyone else top.name
        groups.setdefault(title, []).append(member)
    return list(groups.items())


def attachment_is_image(attachment: Any) -> bool:
    return (attachment.content_type or "").startswith("image/") or attachment.filename.lower().endswith(
        (".png", ".jpg", ".jpeg", ".gif", ".webp"))


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of a message's components as the page lays it out: a row of buttons, a
    select menu, or a text display (components v2)."""

    kind: str  # "buttons", "select", "text"
    items: list[dict[str, Any]]
    text: Markup = Markup("")


def component_blocks(components: list[dict[str, Any]], names: Names) -> list[Block]:
    """Rows, containers and sections flattened into what the page draws, in order."""
    blocks: list[Block] = []
    for component in components:
        kind = component.get("type")
        if kind == 1:
            inner = component.get("components") or []
            buttons = [c for c in inner if c.get("type") == 2]
            if buttons:
                blocks.append(Block("buttons", buttons))
            blocks.extend(Block("select", [c]) for c in inner if c.get("type") in SELECTS)
        elif kind == 2:
            blocks.append(Block("buttons", [component]))
        elif kind in SELECTS:
            blocks.append(Block("select", [component]))
        elif kind == 10:
            blocks.append(Block("text", [], names.markdown(component.get("content"))))
        else:  # containers (17), sections (9) and the like: their children, in order
            children = list(component.get("components") or [])
            if isinstance(component.get("accessory"), dict):
                children.append(component["accessory"])
            blocks.extend(component_blocks(children, names))
    return blocks


#: string, user, role, mentionable and channel selects
SELECTS = (3, 5, 6, 7, 8)
