"""Checks, on the bodies the bot sent, the text lengths Discord refuses with 400 50035.

A test that pushes a command to its largest input asserts on what went over the wire, not
on what the bot meant to send: :func:`assert_sent_within_limits` reads
``emulator.requests``, so it is meaningful whether or not the emulator itself refuses
over-long bodies. The lengths are the ones in :mod:`alphapy.cogs.text`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alphapy.cogs import text as limits

_MESSAGE_CALLBACKS = {4, 7}  # CHANNEL_MESSAGE_WITH_SOURCE, UPDATE_MESSAGE
_AUTOCOMPLETE_CALLBACK = 8
_MODAL_CALLBACK = 9


def length_problems(body: Any) -> list[str]:
    """What in a request body is longer than Discord allows ("embeds.0.description: 4100 > 4096")."""
    if not isinstance(body, dict):
        return []
    if "type" in body and "data" in body and isinstance(body["data"], dict):
        if body["type"] in _MESSAGE_CALLBACKS:
            return _message(body["data"], "data.")
        if body["type"] == _MODAL_CALLBACK:
            return _modal(body["data"], "data.")
        if body["type"] == _AUTOCOMPLETE_CALLBACK:
            return _choices(body["data"].get("choices") or [], "data.choices")
        return []
    return _message(body, "")


def _over(problems: list[str], where: str, value: Any, limit: int, *, empty_ok: bool = True) -> None:
    if value is None:
        return
    size = len(str(value))
    if size > limit or (not empty_ok and size == 0):
        problems.append(f"{where}: {size} characters, Discord allows {'1-' if not empty_ok else ''}{limit}")


def _message(data: dict[str, Any], prefix: str) -> list[str]:
    problems: list[str] = []
    _over(problems, f"{prefix}content", data.get("content"), limits.MESSAGE_CONTENT)
    total = 0
    for index, embed in enumerate(data.get("embeds") or []):
        where = f"{prefix}embeds.{index}."
        _over(problems, where + "title", embed.get("title"), limits.EMBED_TITLE)
        _over(problems, where + "description", embed.get("description"), limits.EMBED_DESCRIPTION)
        fields = embed.get("fields") or []
        if len(fields) > limits.EMBED_FIELDS:
            problems.append(f"{where}fields: {len(fields)} fields, Discord allows {limits.EMBED_FIELDS}")
        for number, field in enumerate(fields):
            _over(problems, f"{where}fields.{number}.name", field.get("name"), limits.EMBED_FIELD_NAME, empty_ok=False)
            _over(problems, f"{where}fields.{number}.value", field.get("value"), limits.EMBED_FIELD_VALUE,
                  empty_ok=False)
        footer = (embed.get("footer") or {}).get("text")
        author = (embed.get("author") or {}).get("name")
        _over(problems, where + "footer.text", footer, limits.EMBED_FOOTER)
        _over(problems, where + "author.name", author, limits.EMBED_AUTHOR)
        total += sum(len(part or "") for part in (embed.get("title"), embed.get("description"), footer, author))
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > limits.EMBED_TOTAL:
        problems.append(f"{prefix}embeds: {total} characters of embed text, Discord allows {limits.EMBED_TOTAL}")
    for row_index, row in enumerate(data.get("components") or []):
        for index, component in enumerate(row.get("components") or []):
            _component(problems, component, f"{prefix}components.{row_index}.components.{index}.")
    return problems


def _component(problems: list[str], component: dict[str, Any], where: str) -> None:
    if component.get("type") == 2:
        _over(problems, where + "label", component.get("label"), limits.BUTTON_LABEL)
        return
    _over(problems, where + "placeholder", component.get("placeholder"), limits.SELECT_PLACEHOLDER)
    options = component.get("options") or []
    if len(options) > limits.SELECT_OPTIONS:
        problems.append(f"{where}options: {len(options)} options, Discord allows {limits.SELECT_OPTIONS}")
    for number, option in enumerate(options):
        _over(problems, f"{where}options.{number}.label", option.get("label"), limits.SELECT_OPTION_LABEL,
              empty_ok=False)
        _over(problems, f"{where}options.{number}.value", option.get("value"), limits.SELECT_OPTION_VALUE,
              empty_ok=False)
        _over(problems, f"{where}options.{number}.description", option.get("description"),
              limits.SELECT_OPTION_DESCRIPTION)


def _modal(data: dict[str, Any], prefix: str) -> list[str]:
    problems: list[str] = []
    _over(problems, prefix + "title", data.get("title"), limits.MODAL_TITLE, empty_ok=False)
    for row_index, row in enumerate(data.get("components") or []):
        for index, field in enumerate(row.get("components") or []):
            where = f"{prefix}components.{row_index}.components.{index}."
            _over(problems, where + "label", field.get("label"), limits.TEXT_INPUT_LABEL, empty_ok=False)
            _over(problems, where + "placeholder", field.get("placeholder"), limits.TEXT_INPUT_PLACEHOLDER)
            if field.get("value") is not None and field.get("max_length") is not None:
                _over(problems, where + "value", field["value"], int(field["max_length"]))
    return problems


def _choices(choices: list[dict[str, Any]], where: str) -> list[str]:
    problems: list[str] = []
    if len(choices) > limits.SELECT_OPTIONS:
        problems.append(f"{where}: {len(choices)} choices, Discord allows {limits.SELECT_OPTIONS}")
    for number, choice in enumerate(choices):
        _over(problems, f"{where}.{number}.name", choice.get("name"), 100, empty_ok=False)
        if isinstance(choice.get("value"), str):
            _over(problems, f"{where}.{number}.value", choice["value"], 100)
    return problems


def assert_sent_within_limits(emulator: Any, since: int = 0) -> int:
    """Fail, naming each request and field, if any body the bot sent (from request
    ``since`` on) is longer than Discord allows. Returns how many bodies were checked, so
    a test can also assert that it looked at something."""
    checked, problems = _check(emulator.requests.since(since))
    assert not problems, "Discord would refuse these bodies with 400 50035:\n" + "\n".join(problems)
    return checked


def _check(records: Iterable[Any]) -> tuple[int, list[str]]:
    checked = 0
    problems: list[str] = []
    for record in records:
        if record.method not in ("POST", "PATCH", "PUT") or not isinstance(record.json, dict):
            continue
        checked += 1
        problems += [f"  {record.method} {record.path}: {problem}" for problem in length_problems(record.json)]
    return checked, problems
