"""Which of Discord's rules apply to which route, and the answer to a broken one.

Every request the emulator receives goes through :func:`check_request`: the body is
checked against the OpenAPI description (when one is loaded) and against the limits of
:mod:`alphapy.discord_rules` that the description leaves out. A problem is answered as
Discord answers it, ``400 Invalid Form Body`` (50035) with the ``errors`` tree, in tests,
``alphapy demo``, ``alphapy run`` offline and the benchmarks alike. A test that is about a
refusal opts out of exactly one named rule with ``emu.allow("message.content.max_length")``.
The rules and their sources are listed in ``docs/discord-limits.md``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alphapy.discord_rules import INVALID_FORM_BODY, FormErrors, commands as command_rules, messages as message_rules

from .errors import DiscordHTTPError

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

log = logging.getLogger("alphapy.testing.emulator")

#: The rule name of a body that does not match the OpenAPI description.
OPENAPI_RULE = "openapi.request"

#: A rule set for one route: the parsed JSON body (an object, or a list for bulk routes)
#: and the collector to add problems to.
Check = Callable[[Any, FormErrors], None]


def _objects_only(check: Callable[[Mapping[str, Any], FormErrors], object]) -> Check:
    """A body rule for routes whose body is a JSON object (anything else is the spec's to refuse)."""

    def checked(body: Any, errors: FormErrors) -> None:
        if isinstance(body, Mapping):
            check(body, errors)

    return checked


def _command_list(body: Any, errors: FormErrors) -> None:
    """The bulk overwrite's body: a list of command definitions (anything else is the route's to refuse)."""
    if isinstance(body, list) and all(isinstance(item, Mapping) for item in body):
        command_rules.bulk_overwrite_errors(body, errors)


_message = _objects_only(message_rules.check_message)
_channel = _objects_only(message_rules.check_channel)

_MESSAGE_ROUTES = (
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}"),
)

_COMMANDS_ROUTES = ("/applications/{application_id}/commands",
                    "/applications/{application_id}/guilds/{guild_id}/commands")

#: (method, route template) -> the rules of its body. (Editing one command is checked by
#: its route, on the definition merged with what it changes: see :func:`refuse`.)
ROUTE_CHECKS: dict[tuple[str, str], Check] = {
    **{("PUT", route): _command_list for route in _COMMANDS_ROUTES},
    **{("POST", route): _objects_only(command_rules.command_errors) for route in _COMMANDS_ROUTES},
    **{route: _message for route in _MESSAGE_ROUTES},
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"): _objects_only(
        message_rules.check_interaction_response
    ),
    ("PATCH", "/channels/{channel_id}"): _channel,
    ("POST", "/guilds/{guild_id}/channels"): _channel,
    ("POST", "/channels/{channel_id}/threads"): _channel,
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads"): _channel,
}

_JSON_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\['([^']*)'\]")
_SCHEMA_CODES = {
    "maxLength": "BASE_TYPE_MAX_LENGTH",
    "maxItems": "BASE_TYPE_MAX_LENGTH",
    "minLength": "BASE_TYPE_MIN_LENGTH",
    "minItems": "BASE_TYPE_MIN_LENGTH",
    "required": "BASE_TYPE_REQUIRED",
    "maximum": "NUMBER_TYPE_MAX",
    "minimum": "NUMBER_TYPE_MIN",
    "enum": "BASE_TYPE_CHOICES",
    "type": "BASE_TYPE_INVALID",
}


def path_of(json_path: str) -> tuple[str | int, ...]:
    """``$.embeds[0].type`` -> ``("embeds", 0, "type")`` (``['odd key']`` too)."""
    return tuple(
        int(index) if index else (name or quoted) for name, index, quoted in _JSON_PATH_PART.findall(json_path)
    )


def schema_code(schema_path: str) -> str:
    """Discord's leaf code for the JSON-schema keyword that failed (the path's last word)."""
    keyword = schema_path.rsplit("/", 1)[-1]
    return _SCHEMA_CODES.get(keyword, "BASE_TYPE_INVALID")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A request the emulator refused as Discord would (``emu.refusals``)."""

    method: str
    path: str
    errors: FormErrors

    def __str__(self) -> str:
        return f"{self.method} {self.path} refused (400 Invalid Form Body): {self.errors.summary()}"


def known_rules() -> set[str]:
    """Every rule name :meth:`DiscordEmulator.allow` accepts."""
    return {OPENAPI_RULE, *message_rules.RULES, *command_rules.RULES}


def body_errors(method: str, template: str, body: Any) -> FormErrors:
    """The documented limits a request body breaks (empty when the route has none)."""
    errors = FormErrors()
    check = ROUTE_CHECKS.get((method, template))
    if check is not None and body is not None:
        check(body, errors)
    return errors


def invalid_form_body(errors: FormErrors) -> DiscordHTTPError:
    """Discord's answer to a refused body: 400, code 50035 and the nested ``errors``."""
    return DiscordHTTPError(400, INVALID_FORM_BODY, "Invalid Form Body", errors=errors.tree())


def refuse_broken_body(emu: DiscordEmulator, method: str, template: str, path: str, body: Any) -> None:
    """Raise Discord's ``400 Invalid Form Body`` for a body that breaks the OpenAPI
    description or a documented limit, unless the test allowed that rule; record it in
    ``emu.refusals`` and log one line (what a host running offline sees)."""
    problems = body_errors(method, template, body)
    spec = emu.spec
    if spec is not None and body is not None and OPENAPI_RULE not in emu.allowed_rules:
        # Where a documented limit already names the field, the description's view of the
        # same spot (often a vague ``anyOf`` mismatch of a parent) adds nothing.
        named = [e.path for e in problems]
        for _operation, message, json_path, schema_path in spec.check_request(method, template, body):
            where = path_of(json_path)
            if not any(_overlaps(where, other) for other in named):
                problems.add(where, schema_code(schema_path), _shorten(message), rule=OPENAPI_RULE)
    refuse(emu, method, path, problems)


def refuse(emu: DiscordEmulator, method: str, path: str, problems: FormErrors) -> None:
    """Answer ``problems`` (less the rules the test allowed) with Discord's 400, recorded and logged."""
    problems = problems.without(emu.allowed_rules)
    if problems:
        refusal = Refusal(method, path, problems)
        emu.refusals.append(refusal)
        log.warning("%s", refusal)
        raise invalid_form_body(problems)


def _overlaps(a: tuple[str | int, ...], b: tuple[str | int, ...]) -> bool:
    """One path is the other or lies inside it."""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _shorten(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
