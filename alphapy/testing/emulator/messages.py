"""Turning a message body the bot sent into stored message fields, as Discord does.

One place for the rules shared by channel sends, interaction responses and webhook
follow-ups: ``attachments`` entries map to uploaded ``files[n]``; an edit without
``attachments`` keeps the old ones; components get the numeric ``id`` Discord assigns; an
embed gets its ``type``; mentions are read from the content. Bodies are copied once here,
so stored messages never alias the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import Attachment, Channel, EmulatorState, Message, User

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

# Selects and their defaults (https://discord.com/developers/docs/components/reference)
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
_CONTAINERS = ("components",)


@dataclass(slots=True)
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    index: int
    filename: str
    content_type: str | None
    data: bytes


def _strip_none(value: Any) -> Any:
    """Deep copy without ``None`` values (Discord omits unset optional fields)."""
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_none(v) for v in value]
    return value


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component depth first: rows, containers, sections (and accessory), labels."""
    for comp in components:
        yield comp
        children = comp.get("components")
        if children:
            yield from walk_components(children)
        inner = comp.get("component")
        if isinstance(inner, dict):
            yield from walk_components([inner])
        accessory = comp.get("accessory")
        if isinstance(accessory, dict):
            yield from walk_components([accessory])


def normalize_components(components: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Copy components into Discord's answer shape: numeric ``id`` on each, select defaults."""
    if not components:
        return []
    result: list[dict[str, Any]] = _strip_none(components)
    used = {c["id"] for c in walk_components(result) if isinstance(c.get("id"), int)}
    counter = 0
    for comp in walk_components(result):
        if not isinstance(comp.get("id"), int):
            counter += 1
            while counter in used:
                counter += 1
            comp["id"] = counter
        ctype = comp.get("type")
        if ctype in SELECT_TYPES:
            comp.setdefault("min_values", 1)
            comp.setdefault("max_values", 1)
            if ctype == 3:
                comp.setdefault("options", [])
    return result


def normalize_embeds(embeds: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Copy embeds as Discord returns them (``type`` defaults to ``"rich"``)."""
    if not embeds:
        return []
    result: list[dict[str, Any]] = _strip_none(embeds)
    for embed in result:
        embed.setdefault("type", "rich")
        for field in embed.get("fields") or []:
            if isinstance(field, dict):
                field.setdefault("inline", False)
        for key in ("image", "thumbnail", "video"):
            media = embed.get(key)
            if isinstance(media, dict) and "url" in media:
                media.setdefault("proxy_url", media["url"])
    return result


def parse_mentions(state: EmulatorState, content: str, channel: Channel) -> tuple[list[User], list[int], bool]:
    """Users, role ids and @everyone mentioned in ``content``."""
    if "<@" not in content and "@everyone" not in content and "@here" not in content:
        return [], [], False
    users: list[User] = []
    seen: set[int] = set()
    for match in _USER_MENTION.finditer(content):
        uid = int(match.group(1))
        user = state.users.get(uid)
        if user is not None and uid not in seen:
            seen.add(uid)
            users.append(user)
    roles: list[int] = []
    guild = channel.guild
    if guild is not None:
        for match in _ROLE_MENTION.finditer(content):
            rid = int(match.group(1))
            if rid in guild.roles and rid not in roles:
                roles.append(rid)
    everyone = "@everyone" in content or "@here" in content
    return users, roles, everyone


def build_attachments(
    state: EmulatorState,
    channel_id: int,
    body: dict[str, Any],
    files: list[UploadedFile],
    existing: list[Attachment] | None = None,
) -> list[Attachment] | None:
    """The attachments a create/edit results in; None means "leave as they are" (edit)."""
    listed = body.get("attachments")
    if listed is None and not files:
        return None if existing is not None else []
    by_index = {f.index: f for f in files}
    used: set[int] = set()
    result: list[Attachment] = []
    old = {a.id: a for a in existing or []}
    for item in listed or []:
        try:
            ref = int(item.get("id"))
        except (TypeError, ValueError):
            continue
        if ref in old:
            result.append(old[ref])
            continue
        upload = by_index.get(ref)
        if upload is None:
            continue
        used.add(ref)
        result.append(
            state.new_attachment(
                channel_id,
                item.get("filename") or upload.filename,
                upload.data,
                upload.content_type,
                description=item.get("description"),
                title=item.get("title"),
            )
        )
    for upload in files:
        if upload.index not in used:
            result.append(state.new_attachment(channel_id, upload.filename, upload.data, upload.content_type))
    if listed is None and existing:
        result = list(existing) + result
    return result


def has_visible_content(body: dict[str, Any], files: list[UploadedFile]) -> bool:
    """Discord refuses a message with nothing to show (50006)."""
    return bool(
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or files
        or body.get("attachments")
    )


# Flags a sender may set on a message (others are Discord's to set).
_SETTABLE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 13) | (1 << 15)


def create_message(
    state: EmulatorState,
    channel: Channel,
    author: User,
    body: dict[str, Any],
    files: list[UploadedFile] | None = None,
    *,
    extra_flags: int = 0,
    allow_ephemeral: bool = False,
    message_type: int = 0,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: dict[str, Any] | None = None,
    interaction_user_id: int | None = None,
    dispatch: bool = True,
) -> Message:
    """Store a message built from a send body and announce it (MESSAGE_CREATE).

    Ephemeral messages (only possible for interaction answers) are kept out of the
    channel's history and get no gateway event, as on Discord.
    """
    from .state import FLAG_EPHEMERAL, Message

    files = files or []
    flags = (int(body.get("flags") or 0) & _SETTABLE_FLAGS) | extra_flags
    if not allow_ephemeral:
        flags &= ~FLAG_EPHEMERAL
    content = body.get("content") or ""
    if not isinstance(content, str):
        content = str(content)
    message_id = state.ids.next()
    reference = body.get("message_reference")
    message_reference = None
    if isinstance(reference, dict) and reference.get("message_id"):
        ref_channel = int(reference.get("channel_id") or channel.id)
        message_reference = {
            "type": int(reference.get("type") or 0),
            "channel_id": str(ref_channel),
            "message_id": str(reference["message_id"]),
        }
        if channel.guild is not None:
            message_reference["guild_id"] = str(channel.guild.id)
        if message_type == 0:
            message_type = 19  # REPLY
    mentions, mention_roles, everyone = parse_mentions(state, content, channel)
    message = Message(
        id=message_id,
        channel=channel,
        author=author,
        content=content,
        embeds=normalize_embeds(body.get("embeds")),
        components=normalize_components(body.get("components")),
        attachments=build_attachments(state, channel.id, body, files) or [],
        flags=flags,
        nonce=body.get("nonce"),
        type=message_type,
        tts=bool(body.get("tts")),
        webhook_id=webhook_id,
        application_id=application_id,
        interaction_metadata=interaction_metadata,
        message_reference=message_reference,
        mentions=mentions,
        mention_roles=mention_roles,
        mention_everyone=everyone,
        interaction_user_id=interaction_user_id,
    )
    if flags & FLAG_EPHEMERAL:
        state.ephemeral_messages[message.id] = message
        return message
    channel._append(message)
    if dispatch:
        guild_id = channel.guild.id if channel.guild is not None else None
        state.dispatch("MESSAGE_CREATE", message.gateway_payload, guild_id)
    return message


def apply_edit(
    state: EmulatorState,
    message: Any,
    body: dict[str, Any],
    files: list[UploadedFile] | None = None,
    *,
    finish_loading: bool = False,
) -> Any:
    """Apply an edit body to ``message`` and announce it (MESSAGE_UPDATE)."""
    from .state import FLAG_EPHEMERAL, FLAG_LOADING, iso

    files = files or []
    was_loading = bool(message.flags & FLAG_LOADING)
    if "content" in body:
        message.content = body["content"] or ""
        users, roles, everyone = parse_mentions(state, message.content, message.channel)
        message.mentions, message.mention_roles, message.mention_everyone = users, roles, everyone
    if "embeds" in body:
        message.embeds = normalize_embeds(body["embeds"])
    if "components" in body:
        message.components = normalize_components(body["components"])
    attachments = build_attachments(state, message.channel.id, body, files, existing=message.attachments)
    if attachments is not None:
        message.attachments = attachments
    if body.get("flags") is not None:
        keep = message.flags & ~_SETTABLE_FLAGS | (message.flags & FLAG_EPHEMERAL)
        message.flags = keep | (int(body["flags"]) & _SETTABLE_FLAGS & ~FLAG_EPHEMERAL)
    if finish_loading or was_loading:
        message.flags &= ~FLAG_LOADING
    if not was_loading:
        message.edited_timestamp = iso()
    if not message.ephemeral and not message.deleted:
        guild_id = message.channel.guild.id if message.channel.guild is not None else None
        state.dispatch("MESSAGE_UPDATE", message.gateway_payload, guild_id)
    return message
