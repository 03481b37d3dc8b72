"""People posting, editing, deleting and reacting to messages, and what the bot sent them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import permissions as perms
from ..interactions import Interaction, delete_message as remove_message
from ..messages import UploadedFile, apply_edit, create_message
from ..permissions import P
from ..state import DM, Attachment, Channel, Member, Message, User
from .delivery import DeliveryDriver


class MessageDriver(DeliveryDriver):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    async def post(
        self,
        channel: Channel,
        content: str = "",
        *,
        author: Member | User | None = None,
        embeds: Sequence[Any] | None = None,
        attachments: Sequence[Any] | None = None,
        components: Sequence[dict[str, Any]] | None = None,
        webhook: bool = False,
        reply_to: Message | None = None,
        settle: bool = True,
    ) -> Message:
        """``author`` (a person, another bot, or a webhook with ``webhook=True``) posts in
        ``channel``; MESSAGE_CREATE goes to the bot. Returns the message once the bot has
        settled (``settle=False`` returns at once). ``attachments`` are
        ``(filename, bytes, content_type)`` tuples; ``embeds`` dicts or ``discord.Embed``."""
        state = self.state
        if author is None:
            author = channel.guild.owner if channel.guild is not None else channel.recipients[0]
        user = author.user if isinstance(author, Member) else author
        webhook_id = None
        if webhook:
            webhook_id = state.ids.next()
            user = User(webhook_id, user.name if author is not None else "Webhook", bot=True)
        elif channel.guild is not None:
            member = channel.guild.members.get(user.id)
            if member is None:
                raise PermissionError(
                    f"{user.name} is not a member of {channel.guild.name}; add them first "
                    f"(guild.add_member({user.name!r}, user=user)) or post with webhook=True"
                )
            granted = perms.permissions_for(member, channel)
            needed = P.SEND_MESSAGES_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
            if not granted & P.VIEW_CHANNEL or not granted & needed:
                raise PermissionError(f"{user.name} cannot post in #{channel.name}")
        elif channel.type == DM and not any(r.id == user.id for r in channel.recipients):
            raise PermissionError(f"{user.name} is not in this DM")
        files = []
        listed = []
        for index, item in enumerate(attachments or []):
            if isinstance(item, Attachment):
                item = (item.filename, item.data, item.content_type)
            filename, data = item[0], item[1]
            content_type = item[2] if len(item) > 2 else None
            if isinstance(data, str):
                data = data.encode()
            files.append(UploadedFile(index, filename, content_type, bytes(data)))
            listed.append({"id": index, "filename": filename})
        body: dict[str, Any] = {
            "content": content,
            "embeds": [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in embeds or []],
            "components": list(components or []),
            "attachments": listed,
        }
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(reply_to.id), "channel_id": str(reply_to.channel.id)}
        message = create_message(state, channel, user, body, files, webhook_id=webhook_id)
        if settle:
            await self.settle()
        return message

    async def edit_message(
        self,
        message: Message,
        content: str | None = None,
        *,
        embeds: Sequence[Any] | None = None,
        settle: bool = True,
    ) -> Message:
        """The author (a person, another bot or a webhook) edits ``message``; MESSAGE_UPDATE
        goes to the bot with the whole new message, as Discord sends it. Only what is
        given changes (``embeds=[]`` removes them)."""
        body: dict[str, Any] = {}
        if content is not None:
            body["content"] = content
        if embeds is not None:
            body["embeds"] = [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in embeds]
        apply_edit(self.state, message, body)
        if settle:
            await self.settle()
        return message

    async def delete_message(self, message: Message, *, settle: bool = True) -> None:
        """The author or a moderator deletes ``message`` (MESSAGE_DELETE)."""
        remove_message(self.state, message)
        if settle:
            await self.settle()

    async def react(
        self, message: Message | Interaction, emoji: str, *, by: Member | User, settle: bool = True
    ) -> Message:
        """``by`` adds the reaction ``emoji`` (``"👍"`` or ``"<:name:id>"``) to ``message``."""
        return await self._reaction(message, emoji, by, add=True, settle=settle)

    async def unreact(
        self, message: Message | Interaction, emoji: str, *, by: Member | User, settle: bool = True
    ) -> Message:
        """``by`` removes their reaction ``emoji`` from ``message``."""
        return await self._reaction(message, emoji, by, add=False, settle=settle)

    async def _reaction(
        self, message: Message | Interaction, emoji: str, by: Member | User, *, add: bool, settle: bool
    ) -> Message:
        from ..state.messages import _emoji_payload

        msg = self._as_message(message)
        member, user, guild = self._actor(by, msg)
        users = msg.reactions.setdefault(emoji, set())
        if add == (user.id in users):
            return msg
        if add:
            if guild is not None and member is not None:
                granted = perms.permissions_for(member, msg.channel)
                if not granted & P.READ_MESSAGE_HISTORY or (not users and not granted & P.ADD_REACTIONS):
                    raise PermissionError(f"{user.name} may not react in #{msg.channel.name}")
            users.add(user.id)
        else:
            users.discard(user.id)
        data: dict[str, Any] = {
            "user_id": str(user.id),
            "channel_id": str(msg.channel.id),
            "message_id": str(msg.id),
            "emoji": _emoji_payload(emoji),
            "burst": False,
            "type": 0,
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
            if add and member is not None:
                data["member"] = member.payload()
        if add:
            data["message_author_id"] = str(msg.author.id)
        self.state.dispatch(
            "MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data, guild.id if guild else None
        )
        if settle:
            await self.settle()
        return msg

    def ephemeral_replies(self, member: Member | User) -> list[Message]:
        """Ephemeral messages the bot showed ``member`` (oldest first)."""
        uid = member.id
        return [m for m in self.state.ephemeral_messages.values() if m.interaction_user_id == uid and not m.deleted]

    def dms(self, member: Member | User) -> list[Message]:
        """Messages the bot sent ``member`` privately (oldest first)."""
        user = member.user if isinstance(member, Member) else member
        channel = self.state.dm_channels.get(user.id)
        if channel is None:
            return []
        bot_id = self.state.bot_user.id
        return [m for m in channel.messages if m.author.id == bot_id]
