"""Checking traffic against Discord's own OpenAPI description.

A stand-in for Discord is only useful if it cannot drift from Discord. The description
ships inside the testing kit (``alphapy/testing/discord/openapi.json``); ``$ALPHAPY_DISCORD_OPENAPI``
names another file. Every JSON body the bot sends and every body the emulator answers is validated
against the matching operation of ``openapi.json`` (method + path template), with
``jsonschema``'s Draft 2020-12 validator over the operation's schema and the spec's
``components`` beside it so every ``$ref`` resolves. Validators are built once per
operation/direction/status and cached; the parsed spec is cached per file for the process.

Mismatches are collected as :class:`SpecViolation`; a request that does not match is also
answered ``400 Invalid Form Body`` as Discord would (see :mod:`.limits`), and a test
fixture fails a test that produced any.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_VAR = "ALPHAPY_DISCORD_OPENAPI"
log = logging.getLogger("alphapy.testing.emulator")

_SPEC_CACHE: dict[Path, dict[str, Any]] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class SpecViolation:
    """One body that does not match Discord's description."""

    operation: str
    direction: str  # "request" or "response"
    message: str
    path: str  # JSON path inside the body, e.g. "$.embeds[0].type"
    method: str
    url: str
    status: int | None = None
    schema_path: str = ""

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.operation} {self.direction}{where} at {self.path}: {self.message} [{self.method} {self.url}]"


#: Discord's description as shipped inside the testing kit (MIT, ``LICENSE`` beside it), so
#: a plugin developed in its own repository gets the same check as Alphapy's own tests.
PACKAGED_SPEC = Path(__file__).resolve().parent.parent / "discord" / "openapi.json"


def spec_path_from_env() -> Path | None:
    """``$ALPHAPY_DISCORD_OPENAPI`` when set, else the description shipped in the package."""
    value = os.environ.get(ENV_VAR)
    if value:
        return Path(value)
    return PACKAGED_SPEC if PACKAGED_SPEC.is_file() else None


_SPECS: dict[Path, OpenAPISpec] = {}


def load_spec(path: Path | str) -> OpenAPISpec | None:
    """The validators of one description, built once per process and shared by every
    emulator (validators are compiled per operation on first use). None when
    ``jsonschema`` (the ``test`` extra) is not installed: the documented limits are then
    still enforced, the description is not."""
    resolved = Path(path).resolve()
    with _LOCK:
        spec = _SPECS.get(resolved)
    if spec is not None:
        return spec
    try:
        import jsonschema  # noqa: F401 - only to know whether validation is possible
    except ImportError:
        log.warning("jsonschema is not installed: requests are not checked against Discord's OpenAPI description")
        return None
    spec = OpenAPISpec(resolved)
    with _LOCK:
        return _SPECS.setdefault(resolved, spec)


def _load(path: Path) -> dict[str, Any]:
    path = path.resolve()
    with _LOCK:
        doc = _SPEC_CACHE.get(path)
        if doc is None:
            doc = json.loads(path.read_text(encoding="utf-8"))
            _SPEC_CACHE[path] = doc
        return doc


#: Request properties holding a permission bitfield.
PERMISSION_FIELDS = frozenset({"allow", "deny", "permissions", "default_member_permissions"})
_DIGITS = {"type": "string", "pattern": "^[0-9]+$"}


def _accepts_integer(schema: Any) -> bool:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def _relax_permissions(node: Any) -> None:
    """In place: permission-bitfield properties typed integer also accept digit strings."""
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            for name, prop in list(props.items()):
                if name in PERMISSION_FIELDS and _accepts_integer(prop):
                    props[name] = {"anyOf": [prop, _DIGITS]}
        for value in node.values():
            _relax_permissions(value)
    elif isinstance(node, list):
        for value in node:
            _relax_permissions(value)


_LENIENT_CACHE: dict[int, dict[str, Any]] = {}


def _lenient_request_components(components: dict[str, Any]) -> dict[str, Any]:
    """The components used for *request* bodies, with two leniencies Discord itself has.

    * ``SnowflakeType`` is a string in the description, which is how Discord *answers*; in
      requests Discord also takes a snowflake as a JSON integer, and discord.py relies on
      it (``attachments[].id`` of a new upload is the integer index; overwrite, recipient
      and message-reference ids are ints).
    * Permission bitfields (``allow``, ``deny``, ``permissions``,
      ``default_member_permissions``) are typed integer for requests, but Discord
      documents permissions as integers *serialized as strings* and discord.py sends
      strings (they exceed 2**53).

    Nothing else is relaxed; responses are checked against the description as is.
    """
    cached = _LENIENT_CACHE.get(id(components))
    if cached is not None:
        return cached
    lenient: dict[str, Any] = json.loads(json.dumps(components))
    schemas = lenient.get("schemas", {})
    _relax_permissions(schemas)
    snowflake = schemas.get("SnowflakeType")
    if snowflake is not None:
        schemas["SnowflakeType"] = {"anyOf": [snowflake, {"type": "integer", "minimum": 0}]}
    _LENIENT_CACHE[id(components)] = lenient
    return lenient


_FIELD_ERROR = {
    "type": "object",
    "properties": {"code": {"type": ["integer", "string"]}, "message": {"type": "string"}},
    "required": ["code", "message"],
}


def _lenient_response_components(components: dict[str, Any]) -> dict[str, Any]:
    """The components used for *response* bodies: the leaves of an ``errors`` tree carry
    string codes (``"BASE_TYPE_MAX_LENGTH"``), as Discord sends them, where the description
    types every error code as an integer. Nothing else is relaxed."""
    lenient = dict(components)
    schemas = dict(lenient.get("schemas", {}))
    inner = schemas.get("InnerErrors")
    if isinstance(inner, dict) and "_errors" in inner.get("properties", {}):
        inner = json.loads(json.dumps(inner))
        inner["properties"]["_errors"]["items"] = _FIELD_ERROR
        schemas["InnerErrors"] = inner
        lenient["schemas"] = schemas
    return lenient


class OpenAPISpec:
    """Validators for the operations of one OpenAPI document."""

    def __init__(self, path: Path | str) -> None:
        import jsonschema  # optional dependency: only needed when validation is on

        self._jsonschema = jsonschema
        self.path = Path(path)
        self.doc = _load(self.path)
        self._components = self.doc.get("components", {})
        self._request_components = _lenient_request_components(self._components)
        self._response_components = _lenient_response_components(self._components)
        self._validators: dict[tuple[str, str, str], Any] = {}
        # path template -> regex for concrete paths (used when the route template is unknown)
        self._templates: list[tuple[re.Pattern[str], str]] = []
        for template in self.doc.get("paths", {}):
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            self._templates.append((re.compile(pattern), template))

    # -- lookup
    def template_for(self, path: str) -> str | None:
        """The spec path template matching a concrete path (literal segments win)."""
        if path in self.doc["paths"]:
            return path
        best: str | None = None
        best_literals = -1
        for regex, template in self._templates:
            if regex.match(path):
                literals = sum(1 for part in template.split("/") if part and not part.startswith("{"))
                if literals > best_literals:
                    best, best_literals = template, literals
        return best

    def operation(self, method: str, template: str) -> dict[str, Any] | None:
        item = self.doc["paths"].get(template)
        if item is None:
            return None
        operation: dict[str, Any] | None = item.get(method.lower())
        return operation

    # -- validation
    def _validator(self, key: tuple[str, str, str], schema: dict[str, Any]) -> Any:
        validator = self._validators.get(key)
        if validator is None:
            if key[1] == "request":
                schema = json.loads(json.dumps(schema))  # inline request schemas get the leniencies too
                _relax_permissions(schema)
            root = dict(schema)
            root["components"] = self._request_components if key[1] == "request" else self._response_components
            root.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
            validator = self._jsonschema.Draft202012Validator(root)
            self._validators[key] = validator
        return validator

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local ``$ref`` to a response/requestBody object."""
        seen = 0
        while "$ref" in node and seen < 10:
            ref = node["$ref"]
            target: Any = self.doc
            for part in ref.lstrip("#/").split("/"):
                target = target[part]
            node = target
            seen += 1
        return node

    def _errors(self, validator: Any, body: Any) -> list[tuple[str, str, str]]:
        if validator.is_valid(body):  # fast path: stops at the first failing keyword
            return []
        best_match = self._jsonschema.exceptions.best_match
        found: list[tuple[str, str, str]] = []
        for error in validator.iter_errors(body):
            leaf = best_match([error]) if error.context else error
            if leaf is None:
                leaf = error
            schema_path = "/".join(str(p) for p in leaf.absolute_schema_path)
            found.append((leaf.message[:500], leaf.json_path, schema_path))
            if len(found) >= 5:
                break
        return found

    def check_request(
        self, method: str, template: str, body: Any, content_type: str = "application/json"
    ) -> list[tuple[str, str, str, str]]:
        """Errors of a request body: (operation, message, json path, schema path)."""
        op = self.operation(method, template)
        if op is None or "requestBody" not in op:
            return []
        request_body = self._resolve(op["requestBody"])
        content = request_body.get("content", {})
        media = content.get(content_type) or content.get("application/json")
        if media is None or "schema" not in media:
            return []
        operation_id = op.get("operationId", f"{method} {template}")
        validator = self._validator((operation_id, "request", content_type), media["schema"])
        return [(operation_id, m, p, s) for m, p, s in self._errors(validator, body)]

    def check_response(self, method: str, template: str, status: int, body: Any) -> list[tuple[str, str, str, str]]:
        """Errors of a response body for ``status``."""
        op = self.operation(method, template)
        if op is None:
            return []
        responses = op.get("responses", {})
        key = str(status)
        response = responses.get(key)
        if response is None:
            key = f"{str(status)[0]}XX"
            response = responses.get(key) or responses.get("default")
        operation_id = op.get("operationId", f"{method} {template}")
        if response is None:
            return [(operation_id, f"status {status} is not a documented answer", "$", "responses")]
        response = self._resolve(response)
        media = response.get("content", {}).get("application/json")
        if media is None or "schema" not in media:
            if body is not None:
                return [(operation_id, f"status {status} documents no body but one was sent", "$", key)]
            return []
        if body is None:
            return [(operation_id, f"status {status} documents a body but none was sent", "$", key)]
        validator = self._validator((operation_id, "response", key), media["schema"])
        return [(operation_id, m, p, s) for m, p, s in self._errors(validator, body)]
