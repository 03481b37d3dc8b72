"""The error tree every rule module fills: Discord's nested shape, prefixes, named rules."""

from __future__ import annotations

from alphapy.discord_rules import FormErrors
from alphapy.discord_rules.messages import check_message, embed_text_length


def test_the_tree_is_discords_nested_shape() -> None:
    errors = FormErrors()
    embed = errors.at("embeds", 0)
    embed.max_length("description", "x" * 4097, 4096, rule="embed.description.max_length")
    embed.at("fields", 3).required("value", rule="embed.field.value.length")
    too_long = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 4096 or fewer in length."}
    missing = {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}
    assert errors.tree() == {
        "embeds": {"0": {"description": {"_errors": [too_long]}, "fields": {"3": {"value": {"_errors": [missing]}}}}}
    }
    assert len(errors) == 2 and len(embed.at("fields")) == 1
    assert errors.summary().startswith("embeds.0.description: Must be 4096 or fewer in length. (BASE_TYPE_MAX_LENGTH")


def test_a_limit_just_inside_adds_nothing() -> None:
    errors = FormErrors()
    assert errors.max_length("content", "x" * 2000, 2000, rule="message.content.max_length")
    assert errors.length_between("custom_id", "x", 1, 100, rule="component.custom_id.length")
    assert not errors and errors.tree() == {}


def test_without_drops_only_the_named_rules() -> None:
    errors = FormErrors()
    check_message({"content": "x" * 2001, "embeds": [{"title": "t" * 257}]}, errors)
    assert errors.rules() == {"message.content.max_length", "embed.title.max_length"}
    assert errors.without(["message.content.max_length"]).rules() == {"embed.title.max_length"}
    assert errors.rules() == {"message.content.max_length", "embed.title.max_length"}  # a copy


def test_embed_text_counts_what_discord_counts() -> None:
    embed = {"title": "ab", "description": "cde", "fields": [{"name": "f", "value": "gh"}],
             "footer": {"text": "ij"}, "author": {"name": "k", "url": "https://example.invalid/long"}}
    assert embed_text_length(embed) == 11
