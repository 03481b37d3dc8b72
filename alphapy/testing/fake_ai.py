"""A fake OpenAI-compatible server on loopback, for tests of anything that uses ``bot.ai``.

It speaks enough of the OpenAI HTTP API for the real ``openai`` client:
``POST /v1/chat/completions`` (non-streaming, text and image content parts,
``response_format`` honoured) and ``GET /v1/models``. Requests are checked like OpenAI
checks them (a malformed one gets a 400 with OpenAI's error shape), recorded for
assertions, and answered from a script::

    async with FakeAI() as fake:
        config = Config(_env_file=None, **fake.config_overrides())
        fake.reply({"category": "billing", "urgent": True})   # next answer, as JSON
        fake.fail(500)                                         # then one server error
        ...
        request = fake.requests[-1]
        assert request.model == "gpt-4o" and request.images[0].startswith(b"\\x89PNG")

With nothing queued, a structured request gets the smallest object valid against its
JSON schema (required properties, first enum value, ``false``/``0``/``""``) and a text
request gets a short sentence.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["FakeAI", "FakeRequest", "example_for_schema"]

DEFAULT_TEXT = "This is a fake answer."
DEFAULT_REFUSAL = "I'm sorry, but I can't help with that."
GARBAGE = "Sure! Here is what you asked for: {not json"
_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ROLES = {"system", "developer", "user", "assistant", "tool"}
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


class _BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


@dataclass
class FakeRequest:
    """One well-formed chat completion request as the fake received it."""

    body: dict[str, Any]
    model: str
    messages: list[dict[str, Any]]
    system: str
    """Text of the system (and developer) messages, joined by blank lines."""
    user: str
    """Text parts of the user messages, joined by blank lines."""
    images: list[bytes | str]
    """Each image part: decoded bytes for a data URL, the URL itself otherwise."""
    image_types: list[str | None]
    """MIME type of each image part's data URL (None for a plain URL)."""
    response_format: dict[str, Any] | None
    authorization: str = field(repr=False, default="")

    @property
    def schema(self) -> dict[str, Any] | None:
        """The JSON schema asked for with ``response_format`` (json_schema), if any."""
        rf = self.response_format or {}
        if rf.get("type") == "json_schema":
            schema: dict[str, Any] | None = rf["json_schema"].get("schema")
            return schema
        return None

    @property
    def max_tokens(self) -> int | None:
        return self.body.get("max_completion_tokens") or self.body.get("max_tokens")


@dataclass
class _Step:
    kind: str  # "reply", "call", "fail", "garbage", "refuse"
    value: Any = None
    status: int = 200
    retry_after: float | None = None
    message: str | None = None


class FakeAI:
    """An OpenAI-compatible server on ``127.0.0.1`` (a free port) driven by a script."""

    def __init__(self, *, api_key: str = "fake-ai-key", models: tuple[str, ...] = ("gpt-4o-mini", "gpt-4o")) -> None:
        self.api_key = api_key
        self.models = list(models)
        self.requests: list[FakeRequest] = []
        self.rejected: list[tuple[Any, str]] = []
        """Malformed requests: (body, the 400 message)."""
        self._steps: deque[_Step] = deque()
        self._standing: Callable[[FakeRequest], Any] | None = None
        self._delays: deque[float] = deque()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._stopping = asyncio.Event()
        self._ids = itertools.count(1)

    # --- lifecycle -----------------------------------------------------------------
    async def start(self) -> FakeAI:
        if self._runner is not None:
            return self
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._list_models)
        app.router.add_get("/v1/models/{model}", self._get_model)
        self._stopping = asyncio.Event()
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a delay
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> FakeAI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeAI is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """The URL to give the client (``OPENAI_BASE_URL``), ending in ``/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    def config_overrides(self) -> dict[str, Any]:
        """Keyword arguments for ``Config`` that point the AI client at this server."""
        return {"openai_base_url": self.base_url, "openai_api_key": self.api_key}

    # --- script --------------------------------------------------------------------
    def reply(self, answer: Any, *, times: int = 1) -> None:
        """Queue an answer: a dict, list or pydantic model goes as JSON content, a str as is."""
        for _ in range(times):
            self._steps.append(_Step("reply", answer))

    def reply_with(self, handler: Callable[[FakeRequest], Any], *, times: int | None = 1) -> None:
        """Answer with ``handler(request)`` (its result as for :meth:`reply`; it may be a
        coroutine function). ``times=None`` makes it the standing answer whenever the
        queue is empty."""
        if times is None:
            self._standing = handler
            return
        for _ in range(times):
            self._steps.append(_Step("call", handler))

    def fail(
        self, status: int = 500, *, times: int = 1, retry_after: float | None = None, message: str | None = None
    ) -> None:
        """Queue ``times`` error answers with ``status`` (500, 503, 429, 401 ...).

        429 and 5xx carry ``retry-after``/``retry-after-ms`` headers (``retry_after``
        seconds, 10 ms by default so that client retries keep tests fast)."""
        if retry_after is None and (status == 429 or status >= 500):
            retry_after = 0.01
        for _ in range(times):
            self._steps.append(_Step("fail", status=status, retry_after=retry_after, message=message))

    def delay(self, seconds: float, *, times: int = 1) -> None:
        """Hold the next ``times`` requests for ``seconds`` before answering (timeouts)."""
        self._delays.extend([seconds] * times)

    def garbage(self, *, times: int = 1) -> None:
        """Queue answers whose content is not JSON."""
        for _ in range(times):
            self._steps.append(_Step("garbage"))

    def refuse(self, message: str = DEFAULT_REFUSAL, *, times: int = 1) -> None:
        """Queue refusals (``message.refusal`` set, no content), as OpenAI sends them."""
        for _ in range(times):
            self._steps.append(_Step("refuse", message))

    def reset(self) -> None:
        """Forget the script, the delays and the recorded requests."""
        self._steps.clear()
        self._delays.clear()
        self._standing = None
        self.requests.clear()
        self.rejected.clear()

    @property
    def pending(self) -> int:
        """Scripted answers not consumed yet."""
        return len(self._steps)

    # --- HTTP ----------------------------------------------------------------------
    @staticmethod
    def _error(status: int, message: str, *, type_: str | None = None, code: str | None = None,
               param: str | None = None, headers: dict[str, str] | None = None) -> web.Response:
        default_type, default_code = _ERROR_TYPES.get(status, ("server_error", None))
        body = {"error": {"message": message, "type": type_ or default_type, "param": param,
                          "code": code if code is not None else default_code}}
        return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)

    def _authorized(self, request: web.Request) -> bool:
        value = request.headers.get("Authorization", "")
        return value.startswith("Bearer ") and len(value) > len("Bearer ")

    def _unauthorized(self) -> web.Response:
        return self._error(401, "You didn't provide an API key. You need to provide your API key in an "
                                "Authorization header using Bearer auth.", code=None)

    async def _list_models(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        data = [{"id": m, "object": "model", "created": 1700000000, "owned_by": "fake-ai"} for m in self.models]
        return web.json_response({"object": "list", "data": data}, content_type="application/json")

    async def _get_model(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        name = request.match_info["model"]
        if name not in self.models:
            return self._error(404, f"The model `{name}` does not exist or you do not have access to it.")
        return web.json_response({"id": name, "object": "model", "created": 1700000000, "owned_by": "fake-ai"})

    async def _chat(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized()
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            self.rejected.append((raw, "body is not JSON"))
            return self._error(400, "We could not parse the JSON body of your request.")
        try:
            recorded = _parse_request(body, request.headers.get("Authorization", ""))
        except _BadRequest as exc:
            self.rejected.append((body, exc.message))
            return self._error(400, exc.message, param=exc.param)
        self.requests.append(recorded)

        if self._delays:
            seconds = self._delays.popleft()
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
            except TimeoutError:
                pass
            if self._stopping.is_set():
                return self._error(503, "The server is shutting down.")

        step = self._steps.popleft() if self._steps else None
        if step is not None and step.kind == "fail":
            headers: dict[str, str] = {"x-request-id": f"req_fake_{next(self._ids)}"}
            if step.retry_after is not None:
                headers["retry-after"] = str(max(1, math.ceil(step.retry_after)))
                headers["retry-after-ms"] = str(max(1, round(step.retry_after * 1000)))
            message = step.message or {
                401: "Incorrect API key provided. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                429: "Rate limit reached for requests. Please try again shortly.",
            }.get(step.status, "The server had an error while processing your request. Sorry about that!")
            return self._error(step.status, message, headers=headers)

        content: str | None
        refusal: str | None = None
        if step is None:
            if self._standing is not None:
                content = _as_content(await _call(self._standing, recorded))
            else:
                content = _default_content(recorded)
        elif step.kind == "reply":
            content = _as_content(step.value)
        elif step.kind == "call":
            content = _as_content(await _call(step.value, recorded))
        elif step.kind == "garbage":
            content = GARBAGE
        else:  # refuse
            content, refusal = None, step.value
        return web.json_response(self._completion(recorded, content, refusal), content_type="application/json")

    def _completion(self, req: FakeRequest, content: str | None, refusal: str | None) -> dict[str, Any]:
        prompt_tokens = max(1, (len(req.system) + len(req.user)) // 4) + 85 * len(req.images)
        completion_tokens = max(1, len(content or refusal or "") // 4)
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


async def _call(handler: Callable[[FakeRequest], Any], request: FakeRequest) -> Any:
    result = handler(request)
    if asyncio.iscoroutine(result):
        result = await result
    return result


def _as_content(answer: Any) -> str:
    if isinstance(answer, str):
        return answer
    dump = getattr(answer, "model_dump_json", None)
    if callable(dump):
        return str(dump())
    return json.dumps(answer)


def _default_content(request: FakeRequest) -> str:
    rf = request.response_format or {"type": "text"}
    if rf["type"] == "json_schema":
        return json.dumps(example_for_schema(rf["json_schema"]["schema"]))
    if rf["type"] == "json_object":
        return "{}"
    return DEFAULT_TEXT


# --- request checks ----------------------------------------------------------------------
def _parse_request(body: Any, authorization: str) -> FakeRequest:
    if not isinstance(body, dict):
        raise _BadRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _BadRequest("you must provide a model parameter", "model")
    if body.get("stream"):
        raise _BadRequest("FakeAI does not support streaming (stream=true).", "stream")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _BadRequest("'messages' must be a non-empty array.", "messages")
    for name, low, high in (("temperature", 0, 2), ("top_p", 0, 1)):
        value = body.get(name)
        if value is not None and (not isinstance(value, (int, float)) or not low <= value <= high):
            raise _BadRequest(f"Invalid '{name}': must be between {low} and {high}.", name)
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise _BadRequest(f"Invalid '{name}': must be a positive integer.", name)

    system: list[str] = []
    user: list[str] = []
    images: list[bytes | str] = []
    image_types: list[str | None] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise _BadRequest(f"Invalid type for '{where}': expected an object.", where)
        role = message.get("role")
        if role not in _ROLES:
            raise _BadRequest(f"Invalid value for '{where}.role': {role!r}.", f"{where}.role")
        content = message.get("content")
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise _BadRequest(f"Missing required parameter: '{where}.tool_call_id'.", f"{where}.tool_call_id")
        if content is None and role == "assistant":
            continue
        texts: list[str] = []
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for j, part in enumerate(content):
                at = f"{where}.content[{j}]"
                if not isinstance(part, dict):
                    raise _BadRequest(f"Invalid type for '{at}': expected an object.", at)
                kind = part.get("type")
                if kind == "text":
                    if not isinstance(part.get("text"), str):
                        raise _BadRequest(f"Missing required parameter: '{at}.text'.", f"{at}.text")
                    texts.append(part["text"])
                elif kind == "image_url":
                    if role != "user":
                        raise _BadRequest(f"Image content parts are only allowed in user messages ({at}).", at)
                    data, mime = _parse_image(part.get("image_url"), at)
                    images.append(data)
                    image_types.append(mime)
                else:
                    raise _BadRequest(f"Invalid value for '{at}.type': {kind!r}.", f"{at}.type")
        else:
            raise _BadRequest(
                f"Invalid type for '{where}.content': expected a string or an array.", f"{where}.content"
            )
        if role in ("system", "developer"):
            system.extend(texts)
        elif role == "user":
            user.extend(texts)

    response_format = body.get("response_format")
    if response_format is not None:
        _check_response_format(response_format)
    return FakeRequest(
        body=body,
        model=model,
        messages=messages,
        system="\n\n".join(system),
        user="\n\n".join(user),
        images=images,
        image_types=image_types,
        response_format=response_format,
        authorization=authorization,
    )


_DATA_URL = re.compile(r"^data:(image/(?:png|jpeg|gif|webp));base64,(.*)$", re.S)


def _parse_image(value: Any, at: str) -> tuple[bytes | str, str | None]:
    if not isinstance(value, dict) or not isinstance(value.get("url"), str):
        raise _BadRequest(f"Missing required parameter: '{at}.image_url.url'.", f"{at}.image_url.url")
    detail = value.get("detail")
    if detail is not None and detail not in ("auto", "low", "high"):
        raise _BadRequest(f"Invalid value for '{at}.image_url.detail': {detail!r}.", f"{at}.image_url.detail")
    url = value["url"]
    if url.startswith("data:"):
        match = _DATA_URL.match(url)
        if not match:
            raise _BadRequest(
                "Invalid image data URL: expected data:image/(png|jpeg|gif|webp);base64,...", f"{at}.image_url.url"
            )
        try:
            data = base64.b64decode(match.group(2), validate=True)
        except (binascii.Error, ValueError):
            raise _BadRequest("Invalid base64 image data.", f"{at}.image_url.url") from None
        if not data:
            raise _BadRequest("Empty image data.", f"{at}.image_url.url")
        return data, match.group(1)
    if url.startswith(("https://", "http://")):
        return url, None
    raise _BadRequest("Invalid image URL: expected an http(s) URL or a base64 data URL.", f"{at}.image_url.url")


def _check_response_format(rf: Any) -> None:
    if not isinstance(rf, dict) or rf.get("type") not in ("text", "json_object", "json_schema"):
        raise _BadRequest("Invalid 'response_format.type': expected text, json_object or json_schema.",
                          "response_format.type")
    if rf["type"] != "json_schema":
        return
    spec = rf.get("json_schema")
    if not isinstance(spec, dict):
        raise _BadRequest("Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema")
    name = spec.get("name")
    if not isinstance(name, str) or not _SCHEMA_NAME.match(name):
        raise _BadRequest("Invalid 'response_format.json_schema.name': must match ^[a-zA-Z0-9_-]{1,64}$.",
                          "response_format.json_schema.name")
    schema = spec.get("schema")
    if not isinstance(schema, dict):
        raise _BadRequest("Invalid 'response_format.json_schema.schema': expected an object.",
                          "response_format.json_schema.schema")
    if spec.get("strict"):
        if schema.get("type") != "object":
            raise _BadRequest("Invalid schema for response_format: the root schema must be of type 'object'.",
                              "response_format")
        _check_strict(schema, schema, "root")


def _check_strict(node: Any, root: dict[str, Any], path: str, depth: int = 0) -> None:
    """OpenAI's strict-mode rules that trip people up: closed objects, all properties required."""
    if depth > 30:
        raise _BadRequest("Invalid schema for response_format: too deeply nested.", "response_format")
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_strict(item, root, f"{path}/{i}", depth + 1)
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        if len(node) > 1:
            raise _BadRequest(f"Invalid schema for response_format: $ref at {path} cannot have keywords beside it.",
                              "response_format")
        try:
            _resolve(root, node["$ref"])
        except (KeyError, ValueError, TypeError):
            raise _BadRequest(f"Invalid schema for response_format: unresolvable $ref at {path}.",
                              "response_format") from None
        return
    if node.get("type") == "object" or "properties" in node:
        if node.get("additionalProperties", True) is not False:
            raise _BadRequest(
                f"Invalid schema for response_format: In context={path}, 'additionalProperties' is required "
                "to be supplied and to be false.", "response_format")
        props = node.get("properties", {})
        missing = [key for key in props if key not in (node.get("required") or [])]
        if missing:
            raise _BadRequest(
                f"Invalid schema for response_format: In context={path}, 'required' is required to be supplied "
                f"and to be an array including every key in properties. Missing {missing[0]!r}.", "response_format")
    for key, value in node.items():
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            for name, sub in value.items():
                _check_strict(sub, root, f"{path}/{key}/{name}", depth + 1)
        elif key in ("items", "anyOf", "allOf", "oneOf", "prefixItems"):
            _check_strict(value, root, f"{path}/{key}", depth + 1)


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(ref)
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    if not isinstance(node, dict):
        raise TypeError(ref)
    return node


# --- default answers ---------------------------------------------------------------------
_FORMATS = {
    "date-time": "1970-01-01T00:00:00Z",
    "date": "1970-01-01",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "127.0.0.1",
}


def example_for_schema(schema: dict[str, Any], root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """The smallest value valid against ``schema``: required properties only, first enum
    value or union variant, ``false``/``0``/``""``/``[]``, minimums respected."""
    root = schema if root is None else root
    if depth > 20:
        return None
    if "$ref" in schema:
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return example_for_schema({**_resolve(root, schema["$ref"]), **siblings}, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example_for_schema(schema[key][0], root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(_resolve(root, part["$ref"]) if "$ref" in part else part)
        return example_for_schema(merged, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example_for_schema(props.get(name, {}), root, depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        count = int(schema.get("minItems", 0))
        items = schema.get("items", {})
        return [example_for_schema(items if isinstance(items, dict) else {}, root, depth + 1) for _ in range(count)]
    if kind == "string":
        if schema.get("format") in _FORMATS:
            return _FORMATS[schema["format"]]
        return "x" * int(schema.get("minLength", 0))
    if kind in ("integer", "number"):
        value: float = 0
        if "minimum" in schema and value < schema["minimum"]:
            value = schema["minimum"]
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            value = math.floor(schema["exclusiveMinimum"]) + 1
        if "maximum" in schema and value > schema["maximum"]:
            value = schema["maximum"]
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            value = math.ceil(schema["exclusiveMaximum"]) - 1
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None
