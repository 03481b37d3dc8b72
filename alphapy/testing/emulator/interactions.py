"""Interactions: what a person's click or command becomes, and how the bot's answer lands.

An :class:`Interaction` is both the emulator's record of one interaction and the result a
test driver returns: ``result.response`` is the bot's answer as a stored
:class:`~.state.Message` (``content``, ``embeds``, ``components``, ``ephemeral``,
``attachments``), ``result.modal`` the modal it opened, ``result.choices`` autocomplete
choices and ``result.followups`` later follow-ups.

:class:`InteractionLog` applies the callback types as Discord does: 4 creates the reply,
5 creates a "thinking" message that the first follow-up or an edit of ``@original`` fills
in, 6/7 acknowledge or update the clicked message in place, 8 carries autocomplete choices,
9 a modal. A second callback is refused (40060) and a late one is an unknown interaction
(10062), so a bot that answers twice or too slowly fails here as it would live. The token
serves follow-ups and edits for 15 minutes, then is refused (50027), measured on the
emulator's :class:`~.clock.Clock`.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from . import errors
from .clock import Clock
from .messages import UploadedFile, apply_edit, create_message, walk_components
from .state import FLAG_EPHEMERAL, FLAG_LOADING, Channel, Guild, Member, Message, User

if TYPE_CHECKING:
    from .state import EmulatorState

# Interaction types
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback types
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
#: Seconds an interaction token serves follow-ups and edits (Discord: 15 minutes).
TOKEN_LIFETIME = 15 * 60


class AutocompleteChoice(NamedTuple):
    """One choice offered by the bot; compares equal to a ``(name, value)`` tuple."""

    name: str
    value: Any


@dataclass(slots=True, eq=False)
class ModalField:
    """An input of a modal the bot opened (text input or select inside a label/row)."""

    custom_id: str
    type: int
    label: str | None = None
    style: int | None = None
    required: bool = True
    value: str | None = None
    placeholder: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    options: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Modal:
    """A modal the bot answered with (callback type 9)."""

    custom_id: str
    title: str
    components: list[dict[str, Any]]
    fields: list[ModalField]

    def field(self, ref: str) -> ModalField:
        """A field by custom id or label."""
        for f in self.fields:
            if f.custom_id == ref or f.label == ref:
                return f
        known = [f.label or f.custom_id for f in self.fields]
        raise KeyError(f"modal {self.title!r} has no field {ref!r}; fields: {known}")

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Modal:
        fields: list[ModalField] = []
        components = data.get("components") or []
        for comp in components:
            label = None
            inners: list[dict[str, Any]] = []
            if comp.get("type") == 18:  # Label wraps one component
                label = comp.get("label")
                if isinstance(comp.get("component"), dict):
                    inners = [comp["component"]]
            elif comp.get("type") == 1:
                inners = comp.get("components") or []
            else:
                inners = [comp]
            for inner in inners:
                custom_id = inner.get("custom_id")
                if custom_id is None:
                    continue
                fields.append(
                    ModalField(
                        custom_id=custom_id,
                        type=inner.get("type", 4),
                        label=inner.get("label") or label,
                        style=inner.get("style"),
                        required=inner.get("required", True),
                        value=inner.get("value"),
                        placeholder=inner.get("placeholder"),
                        min_length=inner.get("min_length"),
                        max_length=inner.get("max_length"),
                        options=list(inner.get("options") or []),
                    )
                )
        return cls(data.get("custom_id", ""), data.get("title", ""), components, fields)


class Interaction:
    """One interaction and, once the bot answered, its answer.

    ``response`` is the answer message (None for a modal or autocomplete); for a deferred
    answer it is the message after the follow-up or ``@original`` edit filled it in; for a
    component update (6/7) it is the clicked message, updated in place.
    """

    __slots__ = (
        "id",
        "token",
        "type",
        "user",
        "member",
        "guild",
        "channel",
        "data",
        "message",
        "name",
        "parent",
        "created",
        "request_index",
        "response_type",
        "response",
        "original",
        "modal",
        "choices",
        "followups",
        "deferred",
        "callback_error",
        "locale",
        "_acked",
        "_answered",
    )

    def __init__(
        self,
        interaction_id: int,
        kind: int,
        user: User,
        member: Member | None,
        guild: Guild | None,
        channel: Channel,
        data: dict[str, Any],
        *,
        name: str,
        message: Message | None = None,
        parent: Interaction | None = None,
    ) -> None:
        self.id = interaction_id
        self.token = f"aW50ZXJhY3Rpb24{interaction_id}{secrets.token_hex(8)}"
        self.type = kind
        self.user = user
        self.member = member
        self.guild = guild
        self.channel = channel
        self.data = data
        self.message = message
        self.name = name
        self.parent = parent
        self.created = time.monotonic()
        self.request_index = 0
        self.response_type: int | None = None
        self.response: Message | None = None
        self.original: Message | None = None
        self.modal: Modal | None = None
        self.choices: list[AutocompleteChoice] | None = None
        self.followups: list[Message] = []
        self.deferred = False
        self.callback_error: str | None = None
        self.locale = "en-US"
        self._acked = asyncio.Event()
        self._answered = asyncio.Event()

    # -- convenience: read the answer directly off the result
    def _answer(self) -> Message:
        if self.response is None:
            what = "a modal" if self.modal else "no message"
            raise AttributeError(f"the bot answered {self.name!r} with {what}; see .modal / .choices")
        return self.response

    @property
    def content(self) -> str:
        return self._answer().content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self._answer().embeds

    @property
    def embed(self) -> dict[str, Any] | None:
        return self._answer().embed

    @property
    def components(self) -> list[dict[str, Any]]:
        return self._answer().components

    @property
    def attachments(self) -> list[Any]:
        return self._answer().attachments

    @property
    def ephemeral(self) -> bool:
        return self._answer().ephemeral

    @property
    def answered(self) -> bool:
        return self._answered.is_set()

    @property
    def messages(self) -> list[Message]:
        """The answer followed by every follow-up."""
        return ([self.response] if self.response is not None else []) + list(self.followups)

    def __repr__(self) -> str:
        return f"<Interaction {self.name!r} type={self.type} response_type={self.response_type}>"


def _interaction_metadata(interaction: Interaction) -> dict[str, Any]:
    owners = {"0": str(interaction.guild.id)} if interaction.guild else {"1": str(interaction.user.id)}
    data: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type,
        "user": interaction.user.payload(),
        "authorizing_integration_owners": owners,
    }
    if interaction.type == MESSAGE_COMPONENT and interaction.message is not None:
        data["interacted_message_id"] = str(interaction.message.id)
    if interaction.type == MODAL_SUBMIT:
        parent = interaction.parent
        trigger: dict[str, Any] = {
            "id": str(parent.id if parent else interaction.id),
            "type": parent.type if parent else APPLICATION_COMMAND,
            "user": interaction.user.payload(),
            "authorizing_integration_owners": owners,
        }
        if parent is not None and parent.type == MESSAGE_COMPONENT and parent.message is not None:
            trigger["interacted_message_id"] = str(parent.message.id)
        data["triggering_interaction_metadata"] = trigger
    return data


class InteractionLog:
    """Every interaction by id and token, and the rules for the bot's answers."""

    def __init__(self, state: EmulatorState, *, deadline: float = 3.0, clock: Clock | None = None) -> None:
        self.state = state
        self.deadline = deadline
        self.clock = clock or Clock()
        self.by_id: dict[int, Interaction] = {}
        self.by_token: dict[str, Interaction] = {}

    def register(self, interaction: Interaction) -> None:
        self.by_id[interaction.id] = interaction
        self.by_token[interaction.token] = interaction
        interaction.created = self.clock.now()

    # -- lookups for the REST routes
    def for_callback(self, interaction_id: int, token: str) -> Interaction:
        interaction = self.by_id.get(interaction_id)
        if interaction is None or interaction.token != token:
            raise errors.unknown("interaction")
        return interaction

    def for_webhook(self, application_id: int, token: str) -> Interaction:
        interaction = self.by_token.get(token)
        if interaction is None or application_id != self.state.application.id:
            raise errors.unknown("Webhook")
        if self.clock.now() - interaction.created > TOKEN_LIFETIME:
            raise errors.invalid_webhook_token()
        return interaction

    def find_message(self, interaction: Interaction, ref: str) -> Message:
        if ref == "@original":
            if interaction.original is None:
                raise errors.unknown("Message")
            return interaction.original
        try:
            message_id = int(ref)
        except ValueError:
            raise errors.unknown("Message") from None
        for message in ([interaction.original] if interaction.original else []) + interaction.followups:
            if message.id == message_id:
                return message
        raise errors.unknown("Message")

    # -- the bot's answers
    def callback(self, interaction: Interaction, body: dict[str, Any], files: list[UploadedFile]) -> dict[str, Any]:
        """Apply ``POST /interactions/{id}/{token}/callback``; returns the with_response body."""
        if interaction.response_type is not None:
            raise errors.already_acknowledged()
        if self.deadline and self.clock.now() - interaction.created > self.deadline:
            interaction.callback_error = f"answered after the {self.deadline:g}s deadline"
            raise errors.unknown("interaction")
        kind = body.get("type")
        data = body.get("data") or {}
        state = self.state
        result: dict[str, Any] = {"interaction": {"id": str(interaction.id), "type": interaction.type}}
        info = result["interaction"]
        if kind == CHANNEL_MESSAGE:
            self._check_kind(interaction, kind, (APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT))
            message = self._reply(interaction, data, files)
            interaction.original = interaction.response = message
            info.update(
                response_message_id=str(message.id),
                response_message_loading=False,
                response_message_ephemeral=message.ephemeral,
            )
            result["resource"] = {"type": CHANNEL_MESSAGE, "message": message.payload()}
            done = True
        elif kind == DEFERRED_CHANNEL_MESSAGE:
            self._check_kind(interaction, kind, (APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT))
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._reply(interaction, {}, [], extra_flags=flags)
            interaction.original = message
            interaction.deferred = True
            info.update(
                response_message_id=str(message.id),
                response_message_loading=True,
                response_message_ephemeral=message.ephemeral,
            )
            done = False
        elif kind in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE):
            self._check_kind(interaction, kind, (MESSAGE_COMPONENT, MODAL_SUBMIT))
            if interaction.message is None:
                raise errors.bad_request("Interaction has no message to update", 50035)
            message = interaction.message
            interaction.original = message
            info.update(
                response_message_id=str(message.id),
                response_message_loading=False,
                response_message_ephemeral=message.ephemeral,
            )
            if kind == UPDATE_MESSAGE:
                apply_edit(state, message, data, files)
                interaction.response = message
                result["resource"] = {"type": UPDATE_MESSAGE, "message": message.payload()}
                done = True
            else:
                interaction.deferred = True
                done = False
        elif kind == AUTOCOMPLETE_RESULT:
            self._check_kind(interaction, kind, (AUTOCOMPLETE,))
            interaction.choices = [
                AutocompleteChoice(c.get("name", ""), c.get("value")) for c in data.get("choices") or []
            ]
            done = True
        elif kind == MODAL:
            self._check_kind(interaction, kind, (APPLICATION_COMMAND, MESSAGE_COMPONENT))
            interaction.modal = Modal.from_data(data)
            done = True
        else:
            raise errors.invalid_form_body("type", f"Value {kind!r} is not a valid interaction callback type.")
        interaction.response_type = kind
        interaction._acked.set()
        if done:
            interaction._answered.set()
        return result

    @staticmethod
    def _check_kind(interaction: Interaction, kind: int, allowed: tuple[int, ...]) -> None:
        if interaction.type not in allowed:
            raise errors.bad_request(
                f"Interaction callback type {kind} is not valid for interaction type {interaction.type}", 50035
            )

    def _reply(
        self, interaction: Interaction, data: dict[str, Any], files: list[UploadedFile], extra_flags: int = 0
    ) -> Message:
        state = self.state
        app_id = state.application.id
        return create_message(
            state,
            interaction.channel,
            state.bot_user,
            data,
            files,
            extra_flags=extra_flags,
            allow_ephemeral=True,
            message_type=20 if interaction.type == APPLICATION_COMMAND else 0,
            webhook_id=app_id,
            application_id=app_id,
            interaction_metadata=_interaction_metadata(interaction),
            interaction_user_id=interaction.user.id,
        )

    def followup(self, interaction: Interaction, body: dict[str, Any], files: list[UploadedFile]) -> Message:
        """``POST /webhooks/{app_id}/{token}``: the first one after a defer fills the original."""
        if interaction.response_type is None:
            raise errors.unknown("Webhook")
        original = interaction.original
        if original is not None and original.loading and interaction.response_type == DEFERRED_CHANNEL_MESSAGE:
            apply_edit(self.state, original, body, files, finish_loading=True)
            interaction.response = original
            interaction._answered.set()
            return original
        message = self._reply(interaction, body, files)
        if interaction.response is None:
            interaction.response = message
        else:
            interaction.followups.append(message)
        interaction._answered.set()
        return message

    def edit(self, interaction: Interaction, ref: str, body: dict[str, Any], files: list[UploadedFile]) -> Message:
        """``PATCH /webhooks/{app_id}/{token}/messages/{@original|id}``."""
        message = self.find_message(interaction, ref)
        apply_edit(self.state, message, body, files, finish_loading=True)
        if message is interaction.original and interaction.response is None:
            interaction.response = message
        interaction._answered.set()
        return message

    def delete(self, interaction: Interaction, ref: str) -> None:
        message = self.find_message(interaction, ref)
        delete_message(self.state, message)
        interaction._answered.set()


def delete_message(state: EmulatorState, message: Message) -> None:
    """Remove a message and announce MESSAGE_DELETE (ephemeral ones leave no trace)."""
    if message.ephemeral:
        message.deleted = True
        state.ephemeral_messages.pop(message.id, None)
        return
    message.channel._remove(message)
    guild = message.channel.guild
    data: dict[str, Any] = {"id": str(message.id), "channel_id": str(message.channel.id)}
    if guild is not None:
        data["guild_id"] = str(guild.id)
    state.dispatch("MESSAGE_DELETE", data, guild.id if guild else None)


def iter_buttons(message: Message) -> list[dict[str, Any]]:
    return [c for c in walk_components(message.components) if c.get("type") == 2]
