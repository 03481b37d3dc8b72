"""Messages and their attachments, as Discord stores them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .common import FLAG_EPHEMERAL, FLAG_LOADING, snowflake_iso

if TYPE_CHECKING:
    from .channels import Channel
    from .guilds import Guild
    from .users import User


@dataclass(slots=True, eq=False)
class Attachment:
    """A file attached to a message; the emulator keeps the bytes and serves them back."""

    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    url: str = ""
    description: str | None = None
    ephemeral: bool = False
    title: str | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")

    def payload(self) -> dict[str, Any]:
        """``MessageAttachmentResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            data["content_type"] = self.content_type
        if self.description is not None:
            data["description"] = self.description
        if self.title is not None:
            data["title"] = self.title
        if self.ephemeral:
            data["ephemeral"] = True
        return data

    def __repr__(self) -> str:
        return f"<Attachment {self.filename!r} {len(self.data)} bytes>"


@dataclass(slots=True, eq=False)
class Message:
    """A message as Discord stores it. ``content``/``embeds``/``components`` hold what was sent."""

    id: int
    channel: Channel
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    type: int = 0
    tts: bool = False
    pinned: bool = False
    edited_timestamp: str | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    reactions: dict[str, set[int]] = field(default_factory=dict)
    thread_id: int | None = None
    deleted: bool = False
    #: the interaction this message answers, if any (for ``ephemeral_replies``)
    interaction_user_id: int | None = None

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still showing "thinking"."""
        return bool(self.flags & FLAG_LOADING)

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    @property
    def timestamp(self) -> str:
        return snowflake_iso(self.id)

    @property
    def embed(self) -> dict[str, Any] | None:
        """The first embed, or None (most bots send one)."""
        return self.embeds[0] if self.embeds else None

    @property
    def jump_url(self) -> str:
        guild = self.channel.guild
        return f"https://discord.com/channels/{guild.id if guild else '@me'}/{self.channel.id}/{self.id}"

    def iter_components(self) -> Iterable[dict[str, Any]]:
        """Every component of the message, depth first (rows, containers, sections, items)."""
        from ..messages import walk_components

        return walk_components(self.components)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [c for c in self.iter_components() if c.get("type") == 2]

    @property
    def button_labels(self) -> list[str]:
        return [c.get("label", "") for c in self.buttons]

    def payload(self) -> dict[str, Any]:
        """``MessageResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "type": self.type,
            "content": self.content,
            "author": self.author.payload(),
            "attachments": [a.payload() for a in self.attachments],
            "embeds": self.embeds,
            "components": self.components,
            "mentions": [u.payload() for u in self.mentions],
            "mention_roles": [str(r) for r in self.mention_roles],
            "mention_everyone": self.mention_everyone,
            "pinned": self.pinned,
            "tts": self.tts,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "flags": self.flags,
        }
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        if self.reactions:
            me = self.channel.state.bot_user.id
            data["reactions"] = [
                {
                    "emoji": _emoji_payload(emoji),
                    "count": len(users),
                    "count_details": {"burst": 0, "normal": len(users)},
                    "burst_colors": [],
                    "me_burst": False,
                    "me": me in users,
                }
                for emoji, users in self.reactions.items()
                if users
            ]
        if self.thread_id is not None:
            thread = self.channel.state.channels.get(self.thread_id)
            if thread is not None:
                data["thread"] = thread.payload()
        return data

    def gateway_payload(self) -> dict[str, Any]:
        """MESSAGE_CREATE/UPDATE data: the REST shape plus ``guild_id`` and partial ``member``."""
        data = self.payload()
        guild = self.channel.guild
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if self.webhook_id is None:
                member = guild.members.get(self.author.id)
                if member is not None:
                    data["member"] = member.payload(user=False)
        return data

    def __repr__(self) -> str:
        text = self.content if len(self.content) < 40 else self.content[:37] + "..."
        return f"<Message id={self.id} author={self.author.name!r} content={text!r}>"


def _emoji_payload(emoji: str) -> dict[str, Any]:
    match = re.fullmatch(r"<?(a?):?([\w~]+):(\d+)>?", emoji)
    if match:
        return {"id": match.group(3), "name": match.group(2), "animated": bool(match.group(1))}
    return {"id": None, "name": emoji}
