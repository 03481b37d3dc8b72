"""Discord's limits on what a bot sends as a message, a modal, autocomplete or a channel.

Pure functions over the JSON bodies the bot sends, so the emulator refuses exactly what
Discord refuses and the bot can check a body before sending it. Each check adds problems
to a :class:`~alphapy.discord_rules.FormErrors` under the path Discord names (``content``,
``embeds.0.description``, ``data.components.0.components.0.custom_id``); the rule names
and the documentation page of each limit are in ``docs/discord-limits.md``. Where the
OpenAPI description and the documentation disagree (content is 4000 in the description
for channel messages), the documentation wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import FormErrors

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_WIDTH = 5
CUSTOM_ID_MAX = 100
SELECT_OPTIONS_MAX = 25
MODAL_TITLE_MAX = 45
MODAL_ROWS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_LENGTH_MAX = 4000
AUTOCOMPLETE_CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
CHANNEL_NAME_MAX = 100
CHANNEL_TOPIC_MAX = 1024

_DOCS = "https://discord.com/developers/docs"
_MESSAGE = f"{_DOCS}/resources/message#create-message"
_EMBED_LIMITS = f"{_DOCS}/resources/message#embed-object-embed-limits"
_ACTION_ROW = f"{_DOCS}/components/reference#action-row"
_CUSTOM_ID = f"{_DOCS}/components/reference#anatomy-of-a-component-custom-id"
_STRING_SELECT = f"{_DOCS}/components/reference#string-select"
_TEXT_INPUT = f"{_DOCS}/components/reference#text-input"
_MODAL = f"{_DOCS}/interactions/receiving-and-responding#interaction-response-object-modal"
_AUTOCOMPLETE = f"{_DOCS}/interactions/receiving-and-responding#interaction-response-object-autocomplete"
_CHOICE = (
    f"{_DOCS}/interactions/application-commands"
    "#application-command-object-application-command-option-choice-structure"
)
_CHANNEL = f"{_DOCS}/resources/channel#modify-channel"

#: Every rule of this module: name -> (the limit in words, the documentation page).
RULES: dict[str, tuple[str, str]] = {
    "message.content.max_length": (f"content at most {CONTENT_MAX} characters", _MESSAGE),
    "message.embeds.max_items": (f"at most {EMBEDS_MAX} embeds", _MESSAGE),
    "message.embeds.total_length": (f"all embed text of a message at most {EMBED_TOTAL_MAX}", _EMBED_LIMITS),
    "embed.title.max_length": (f"title at most {EMBED_TITLE_MAX}", _EMBED_LIMITS),
    "embed.description.max_length": (f"description at most {EMBED_DESCRIPTION_MAX}", _EMBED_LIMITS),
    "embed.fields.max_items": (f"at most {EMBED_FIELDS_MAX} fields", _EMBED_LIMITS),
    "embed.field.name.length": (f"field name 1-{EMBED_FIELD_NAME_MAX}", _EMBED_LIMITS),
    "embed.field.value.length": (f"field value 1-{EMBED_FIELD_VALUE_MAX}", _EMBED_LIMITS),
    "embed.footer.text.max_length": (f"footer text at most {EMBED_FOOTER_MAX}", _EMBED_LIMITS),
    "embed.author.name.max_length": (f"author name at most {EMBED_AUTHOR_MAX}", _EMBED_LIMITS),
    "message.components.max_rows": (f"at most {ACTION_ROWS_MAX} action rows", _ACTION_ROW),
    "component.row.width": (f"a row holds at most {ROW_WIDTH} buttons or one select", _ACTION_ROW),
    "component.custom_id.length": (f"custom id 1-{CUSTOM_ID_MAX} characters", _CUSTOM_ID),
    "component.custom_id.unique": ("custom ids unique within a message or modal", _CUSTOM_ID),
    "select.values.range": ("min_values <= max_values <= number of options", _STRING_SELECT),
    "select.options.max_items": (f"at most {SELECT_OPTIONS_MAX} options", _STRING_SELECT),
    "modal.title.length": (f"modal title 1-{MODAL_TITLE_MAX}", _MODAL),
    "modal.components.count": (f"1-{MODAL_ROWS_MAX} rows in a modal", _MODAL),
    "modal.row.width": ("one text input per modal row", _TEXT_INPUT),
    "text_input.label.max_length": (f"text input label at most {TEXT_INPUT_LABEL_MAX}", _TEXT_INPUT),
    "text_input.length.range": ("text input min_length <= max_length", _TEXT_INPUT),
    "text_input.value.max_length": ("pre-filled value no longer than max_length", _TEXT_INPUT),
    "autocomplete.choices.max_items": (f"at most {AUTOCOMPLETE_CHOICES_MAX} choices", _AUTOCOMPLETE),
    "autocomplete.choice.name.length": (f"choice name 1-{CHOICE_NAME_MAX}", _CHOICE),
    "autocomplete.choice.value.max_length": (f"string choice value at most {CHOICE_VALUE_MAX}", _CHOICE),
    "channel.name.length": (f"channel name 1-{CHANNEL_NAME_MAX}", _CHANNEL),
    "channel.topic.max_length": (f"channel topic at most {CHANNEL_TOPIC_MAX}", _CHANNEL),
}

ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT, LABEL = 1, 2, 3, 4, 18
SELECTS = frozenset({3, 5, 6, 7, 8})
#: Link (5) and premium (6) buttons carry no custom id.
_BUTTON_STYLES_WITHOUT_ID = frozenset({5, 6})
#: The message flag of "components v2" layouts, whose limits differ (not modelled here).
IS_COMPONENTS_V2 = 1 << 15

# Interaction callback types that carry a message, autocomplete choices or a modal.
CALLBACK_MESSAGE_TYPES = frozenset({4, 7})
CALLBACK_AUTOCOMPLETE = 8
CALLBACK_MODAL = 9

COMPONENT_LAYOUT_WIDTH_EXCEEDED = "COMPONENT_LAYOUT_WIDTH_EXCEEDED"
COMPONENT_CUSTOM_ID_DUPLICATED = "COMPONENT_CUSTOM_ID_DUPLICATED"
MAX_EMBED_SIZE_EXCEEDED = "MAX_EMBED_SIZE_EXCEEDED"
SELECT_VALUES_INVALID = "SELECT_COMPONENT_VALUES_INVALID"
TEXT_INPUT_LENGTHS_INVALID = "TEXT_INPUT_LENGTHS_INVALID"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def embed_text_length(embed: Mapping[str, Any]) -> int:
    """The characters Discord counts toward the 6000 of a message: title, description,
    field names and values, footer text and author name."""
    total = len(_text(embed.get("title"))) + len(_text(embed.get("description")))
    for field in _items(embed.get("fields")):
        if isinstance(field, Mapping):
            total += len(_text(field.get("name"))) + len(_text(field.get("value")))
    for key, inner in (("footer", "text"), ("author", "name")):
        part = embed.get(key)
        if isinstance(part, Mapping):
            total += len(_text(part.get(inner)))
    return total


def check_embed(embed: Mapping[str, Any], errors: FormErrors) -> None:
    """One embed's own limits (the message-wide 6000 is :func:`check_embeds`)."""
    errors.max_length("title", _text(embed.get("title")), EMBED_TITLE_MAX, rule="embed.title.max_length")
    errors.max_length(
        "description", _text(embed.get("description")), EMBED_DESCRIPTION_MAX, rule="embed.description.max_length"
    )
    fields = _items(embed.get("fields"))
    errors.max_length("fields", fields, EMBED_FIELDS_MAX, rule="embed.fields.max_items")
    for index, field in enumerate(fields):
        if not isinstance(field, Mapping):
            continue
        for key, limit in (("name", EMBED_FIELD_NAME_MAX), ("value", EMBED_FIELD_VALUE_MAX)):
            text = _text(field.get(key))
            rule = f"embed.field.{key}.length"
            if not text:
                errors.at("fields", index).required(key, rule=rule)
            else:
                errors.at("fields", index).max_length(key, text, limit, rule=rule)
    footer = embed.get("footer")
    if isinstance(footer, Mapping):
        errors.at("footer").max_length(
            "text", _text(footer.get("text")), EMBED_FOOTER_MAX, rule="embed.footer.text.max_length"
        )
    author = embed.get("author")
    if isinstance(author, Mapping):
        errors.at("author").max_length(
            "name", _text(author.get("name")), EMBED_AUTHOR_MAX, rule="embed.author.name.max_length"
        )


def check_embeds(embeds: Sequence[Any], errors: FormErrors) -> None:
    """At most 10 embeds, each within its limits, and all their text within 6000."""
    errors.max_length("embeds", embeds, EMBEDS_MAX, rule="message.embeds.max_items")
    total = 0
    for index, embed in enumerate(embeds):
        if isinstance(embed, Mapping):
            check_embed(embed, errors.at("embeds", index))
            total += embed_text_length(embed)
    if total > EMBED_TOTAL_MAX:
        errors.add(
            "embeds",
            MAX_EMBED_SIZE_EXCEEDED,
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
            rule="message.embeds.total_length",
        )


def _check_custom_id(component: Mapping[str, Any], errors: FormErrors, seen: set[str]) -> None:
    custom_id = component.get("custom_id")
    if not isinstance(custom_id, str):
        return
    if not errors.length_between("custom_id", custom_id, 1, CUSTOM_ID_MAX, rule="component.custom_id.length"):
        return
    if custom_id in seen:
        errors.add(
            "custom_id",
            COMPONENT_CUSTOM_ID_DUPLICATED,
            "Component custom id cannot be duplicated",
            rule="component.custom_id.unique",
        )
    seen.add(custom_id)


def _check_select(select: Mapping[str, Any], errors: FormErrors) -> None:
    """``min_values <= max_values``, and for a string select at most 25 options and no
    more values than options."""
    low = select.get("min_values", 1)
    high = select.get("max_values", 1)
    if not isinstance(low, int) or not isinstance(high, int):
        return
    if low > high:
        errors.add(
            "min_values",
            SELECT_VALUES_INVALID,
            f"min_values ({low}) must be less than or equal to max_values ({high}).",
            rule="select.values.range",
        )
    if select.get("type") == STRING_SELECT:
        options = _items(select.get("options"))
        errors.max_length("options", options, SELECT_OPTIONS_MAX, rule="select.options.max_items")
        if high > len(options):
            errors.add(
                "max_values",
                SELECT_VALUES_INVALID,
                f"max_values ({high}) must be less than or equal to the number of options ({len(options)}).",
                rule="select.values.range",
            )


def _width(component: Mapping[str, Any]) -> int:
    """A button takes one of a row's five places, a select all five."""
    return ROW_WIDTH if component.get("type") in SELECTS else 1


def check_components(components: Sequence[Any], errors: FormErrors, *, flags: int = 0) -> None:
    """Classic message components: at most 5 action rows, each at most 5 buttons or one
    select; custom ids of 1-100 characters, unique in the message; select value ranges.

    Messages flagged "components v2" follow other layout limits and are left to the
    OpenAPI description; their custom ids are still checked."""
    seen: set[str] = set()
    v2 = bool(flags & IS_COMPONENTS_V2)
    if not v2:
        errors.max_length("components", components, ACTION_ROWS_MAX, rule="message.components.max_rows")
    for index, row in enumerate(components):
        if not isinstance(row, Mapping):
            continue
        at_row = errors.at("components", index)
        children = [c for c in _items(row.get("components")) if isinstance(c, Mapping)]
        if row.get("type") == ACTION_ROW and not v2:
            if sum(_width(c) for c in children) > ROW_WIDTH:
                at_row.add(
                    "components",
                    COMPONENT_LAYOUT_WIDTH_EXCEEDED,
                    "The specified component exceeds the maximum width",
                    rule="component.row.width",
                )
        for child_index, child in enumerate(children):
            at_child = at_row.at("components", child_index)
            _check_custom_id(child, at_child, seen)
            if child.get("type") in SELECTS:
                _check_select(child, at_child)


def check_message(body: Mapping[str, Any], errors: FormErrors) -> None:
    """A message body (channel send or edit, interaction reply, webhook follow-up or edit)."""
    content = body.get("content")
    if isinstance(content, str):
        errors.max_length("content", content, CONTENT_MAX, rule="message.content.max_length")
    embeds = body.get("embeds")
    if isinstance(embeds, list):
        check_embeds(embeds, errors)
    components = body.get("components")
    if isinstance(components, list):
        flags = body.get("flags")
        check_components(components, errors, flags=flags if isinstance(flags, int) else 0)


def _check_text_input(text_input: Mapping[str, Any], errors: FormErrors) -> None:
    label = text_input.get("label")
    if isinstance(label, str):
        errors.max_length("label", label, TEXT_INPUT_LABEL_MAX, rule="text_input.label.max_length")
    low = text_input.get("min_length", 0)
    high = text_input.get("max_length", TEXT_INPUT_LENGTH_MAX)
    if isinstance(low, int) and isinstance(high, int) and low > high:
        errors.add(
            "min_length",
            TEXT_INPUT_LENGTHS_INVALID,
            f"min_length ({low}) must be less than or equal to max_length ({high}).",
            rule="text_input.length.range",
        )
    value = text_input.get("value")
    if isinstance(value, str) and isinstance(high, int):
        errors.max_length("value", value, high, rule="text_input.value.max_length")


def check_modal(data: Mapping[str, Any], errors: FormErrors) -> None:
    """A modal: title of 1-45, 1-5 rows (action rows or labels) each holding one input,
    custom ids 1-100 and unique, ``min_length <= max_length`` and a pre-filled value no
    longer than ``max_length``."""
    errors.length_between("title", _text(data.get("title")), 1, MODAL_TITLE_MAX, rule="modal.title.length")
    seen: set[str] = set()
    _check_custom_id(data, errors, set())
    rows = _items(data.get("components"))
    errors.length_between("components", rows, 1, MODAL_ROWS_MAX, rule="modal.components.count")
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            continue
        at_row = errors.at("components", index)
        if row.get("type") == LABEL:
            inner = row.get("component")
            placed = [(at_row.at("component"), inner)] if isinstance(inner, Mapping) else []
        else:
            children = [c for c in _items(row.get("components")) if isinstance(c, Mapping)]
            if len(children) > 1:
                at_row.add(
                    "components",
                    COMPONENT_LAYOUT_WIDTH_EXCEEDED,
                    "The specified component exceeds the maximum width",
                    rule="modal.row.width",
                )
            placed = [(at_row.at("components", i), c) for i, c in enumerate(children)]
        for at_input, component in placed:
            _check_custom_id(component, at_input, seen)
            if component.get("type") == TEXT_INPUT:
                _check_text_input(component, at_input)
            elif component.get("type") in SELECTS:
                _check_select(component, at_input)


def check_autocomplete(data: Mapping[str, Any], errors: FormErrors) -> None:
    """At most 25 choices, names of 1-100 characters, string values of at most 100."""
    choices = _items(data.get("choices"))
    errors.max_length("choices", choices, AUTOCOMPLETE_CHOICES_MAX, rule="autocomplete.choices.max_items")
    for index, choice in enumerate(choices):
        if not isinstance(choice, Mapping):
            continue
        at_choice = errors.at("choices", index)
        at_choice.length_between(
            "name", _text(choice.get("name")), 1, CHOICE_NAME_MAX, rule="autocomplete.choice.name.length"
        )
        value = choice.get("value")
        if isinstance(value, str):
            at_choice.max_length("value", value, CHOICE_VALUE_MAX, rule="autocomplete.choice.value.max_length")


def check_interaction_response(body: Mapping[str, Any], errors: FormErrors) -> None:
    """An interaction callback: its ``data`` by callback type, under ``data.``."""
    data = body.get("data")
    if not isinstance(data, Mapping):
        return
    kind = body.get("type")
    at_data = errors.at("data")
    if kind in CALLBACK_MESSAGE_TYPES:
        check_message(data, at_data)
    elif kind == CALLBACK_AUTOCOMPLETE:
        check_autocomplete(data, at_data)
    elif kind == CALLBACK_MODAL:
        check_modal(data, at_data)


def check_channel(body: Mapping[str, Any], errors: FormErrors) -> None:
    """A channel create or edit: name of 1-100 characters, topic of at most 1024."""
    name = body.get("name")
    if isinstance(name, str):
        errors.length_between("name", name, 1, CHANNEL_NAME_MAX, rule="channel.name.length")
    topic = body.get("topic")
    if isinstance(topic, str):
        errors.max_length("topic", topic, CHANNEL_TOPIC_MAX, rule="channel.topic.max_length")


__all__ = [
    "RULES",
    "check_autocomplete",
    "check_channel",
    "check_components",
    "check_embed",
    "check_embeds",
    "check_interaction_response",
    "check_message",
    "check_modal",
    "embed_text_length",
]
