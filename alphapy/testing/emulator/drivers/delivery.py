"""Delivering an interaction over the gateway and waiting for the bot's answer; when it
does not come, the error says what the bot did instead."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .. import permissions as perms
from ..interactions import ATTACHMENT_SIZE_LIMIT, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, Interaction
from ..permissions import P
from ..state import Channel, Guild, Member, Message, User
from .base import DriverBase


class EmulatorTimeout(AssertionError):
    """The bot did not do what the test waited for, in time (the message says what it did)."""


class DeliveryDriver(DriverBase):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    def _interaction_payload(self, it: Interaction) -> dict[str, Any]:
        state = self.state
        app = state.application
        locale = it.locale
        channel = it.channel
        channel_data = channel.payload()
        payload: dict[str, Any] = {
            "id": str(it.id),
            "application_id": str(app.id),
            "type": it.type,
            "data": it.data,
            "token": it.token,
            "version": 1,
            "channel_id": str(channel.id),
            "channel": channel_data,
            "locale": locale,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "entitlement_sku_ids": [],
        }
        entitlements = [
            e
            for e in app.entitlements
            if not e.deleted
            and not e.ended
            and (e.user_id == it.user.id or (it.guild is not None and e.guild_id == it.guild.id))
        ]
        payload["entitlements"] = [e.payload() for e in entitlements]
        if it.guild is not None and it.member is not None:
            guild = it.guild
            member_perms = perms.permissions_for(it.member, channel)
            channel_data["permissions"] = str(member_perms)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.preferred_locale, "features": list(guild.features)},
                guild_locale=guild.preferred_locale,
                member={**it.member.payload(), "permissions": str(member_perms)},
                app_permissions=str(perms.permissions_for(guild.me, channel)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=it.user.payload(),
                app_permissions=str(
                    P.VIEW_CHANNEL
                    | P.SEND_MESSAGES
                    | P.EMBED_LINKS
                    | P.ATTACH_FILES
                    | P.READ_MESSAGE_HISTORY
                    | P.ADD_REACTIONS
                ),
                authorizing_integration_owners={"0": "0"},
                context=1,
            )
        if it.message is not None:
            payload["message"] = it.message.payload()
        return payload

    async def _deliver(self, it: Interaction, timeout: float | None) -> Interaction:
        guild_id = it.guild.id if it.guild is not None else None
        # A session that is resuming counts: the interaction waits in its replay buffer,
        # as Discord would hold it, and is delivered when the bot is back.
        sessions = [s for s in self.gateway.sessions.values() if not s.invalid and s.wants(guild_id)]
        if not sessions:
            connected = [f"{s.shard_id}/{s.shard_count}" for s in self.gateway.connected_sessions]
            raise EmulatorTimeout(
                f"no connected bot shard handles {it.guild.name if it.guild else 'DMs'} "
                f"(connected shards: {connected or 'none'}); start the bot before driving it"
            )
        self.interactions.register(it)
        it.request_index = self._request_seq + 1
        payload = self._interaction_payload(it)
        it.created = self.clock.now()
        self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id)
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        try:
            await asyncio.wait_for(it._acked.wait(), timeout)
        except TimeoutError:
            raise EmulatorTimeout(self._explain(it, f"did not answer within {timeout}s")) from None
        if it.response_type is None:
            raise EmulatorTimeout(self._explain(it, f"answered but Discord refused it: {it.callback_error}"))
        if it._answered.is_set():
            return it
        if it.response_type == DEFERRED_CHANNEL_MESSAGE:
            try:
                await asyncio.wait_for(it._answered.wait(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise EmulatorTimeout(
                    self._explain(
                        it, f"deferred but sent no follow-up and did not edit the original response within {timeout}s"
                    )
                ) from None
            return it
        if it.response_type == DEFERRED_UPDATE_MESSAGE:
            # An acknowledged click may be all the bot does; wait for an edit until it is quiet.
            while not it._answered.is_set() and time.monotonic() < deadline:
                if self._is_quiet(self.quiet_period):
                    break
                try:
                    await asyncio.wait_for(it._answered.wait(), 0.005)
                except TimeoutError:
                    pass
            if it.response is None:
                it.response = it.original
        return it

    def _explain(self, it: Interaction, what: str) -> str:
        where = f"#{it.channel.name}" if it.channel.name else "DMs"
        lines = [f"the bot {what}: {it.name} by {it.user.name} in {where} (interaction {it.id})."]
        if it.callback_error:
            lines.append(f"Its interaction callback was refused: {it.callback_error}.")
        lines.append("Requests the bot made meanwhile:")
        lines.append(self.requests.describe(it.request_index))
        shards = [f"{s.shard_id}/{s.shard_count}" for s in self.gateway.connected_sessions]
        lines.append(f"Connected shards: {shards or 'none'}.")
        if self.internal_errors:
            lines.append(f"Emulator internal errors: {self.internal_errors[-1].splitlines()[0]}")
        return "\n".join(lines)

    def _who(self, who: Member | User) -> tuple[Member | None, User, Guild | None]:
        if isinstance(who, Member):
            return who, who.user, who.guild
        if isinstance(who, User):
            return None, who, None
        raise TypeError(f"expected a Member or User, got {who!r}")

    def _pick_channel(
        self, member: Member | None, user: User, guild: Guild | None, in_channel: Channel | str | None
    ) -> Channel:
        if guild is None:
            if in_channel is not None and isinstance(in_channel, Channel):
                return in_channel
            return self.state.dm_channel(user)
        if in_channel is not None:
            return guild.channel(in_channel)
        assert member is not None
        for channel in guild.text_channels:
            if channel.visible_to(member):
                return channel
        raise LookupError(f"{member.name} can see no text channel in {guild.name}; pass in_channel=")

    def _as_message(self, message: Message | Interaction) -> Message:
        if isinstance(message, Interaction):
            if message.response is None:
                raise LookupError(f"{message.name} has no answer message to interact with")
            return message.response
        if isinstance(message, Message):
            return message
        raise TypeError(f"expected a Message or an Interaction result, got {message!r}")

    def _actor(
        self, by: Member | User | None, msg: Message
    ) -> tuple[Member | None, User, Guild | None]:
        guild = msg.channel.guild
        if by is None:
            if msg.interaction_user_id is None:
                raise ValueError("who clicks? pass by=member")
            user = self.state.users[msg.interaction_user_id]
            member = guild.members.get(user.id) if guild else None
            return member, user, guild
        member, user, _ = self._who(by)
        if guild is not None:
            member = guild.members.get(user.id)
            if member is None:
                raise PermissionError(f"{user.name} is not a member of {guild.name}")
            if not msg.channel.visible_to(member):
                raise PermissionError(f"{user.name} cannot see #{msg.channel.name}")
        if msg.ephemeral and msg.interaction_user_id not in (None, user.id):
            raise PermissionError(f"{user.name} cannot see an ephemeral message meant for someone else")
        return member, user, guild
