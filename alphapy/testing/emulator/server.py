"""The HTTP side shared by every REST route: body parsing, answers, request log, checks.

One aiohttp middleware wraps every ``/api/v10`` request: it parses the JSON or multipart
body once (``payload_json`` + ``files[n]``), serves a 429 when a test asked for one, turns a
raised :class:`~.errors.DiscordHTTPError` into Discord's error body, adds rate-limit
headers, refuses a body Discord would refuse (:mod:`.limits`: the OpenAPI description and
Discord's documented limits), records the exchange in the request log and validates the
emulator's own answer against the description.

Answers are built with :func:`json_response`: the content type must be exactly
``application/json`` (discord.py compares the header literally; aiohttp's
``web.json_response`` appends ``; charset=utf-8`` and the bot would get a ``str``).
"""

from __future__ import annotations

import json
import logging
import mimetypes
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from . import errors
from .limits import refuse_broken_body
from .messages import UploadedFile
from .ratelimits import _pattern_regex
from .spec import SpecViolation

if TYPE_CHECKING:
    from .emulator import DiscordEmulator

log = logging.getLogger("alphapy.testing.emulator")

API_PREFIX = "/api/v10"
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Typed storage keys (aiohttp warns about plain strings since 3.12; older ones lack the types).
if hasattr(web, "RequestKey") and hasattr(web, "ResponseKey"):
    BODY_KEY: Any = web.RequestKey("alphapy_emulator_body", object)
    FILES_KEY: Any = web.RequestKey("alphapy_emulator_files", list)
    PAYLOAD_KEY: Any = web.ResponseKey("alphapy_emulator_payload", object)
    GRANT_KEY: Any = web.RequestKey("alphapy_emulator_grant", object)
else:  # pragma: no cover - aiohttp < 3.12
    BODY_KEY, FILES_KEY, PAYLOAD_KEY = "alphapy_emulator_body", "alphapy_emulator_files", "alphapy_emulator_payload"
    GRANT_KEY = "alphapy_emulator_grant"

# Routes authenticated by the interaction/webhook token in the path or the OAuth2 client
# credentials in the body, not a bot token.
_TOKEN_ROUTES = ("/interactions/", "/webhooks/", "/oauth2/token")
#: The routes a person's OAuth2 Bearer token opens (Discord opens more; a dashboard needs these).
BEARER_ROUTES = frozenset({"/users/@me", "/users/@me/guilds"})


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with exactly ``Content-Type: application/json``."""
    resp = web.Response(body=_dumps(data).encode(), status=status, headers=headers, content_type="application/json")
    resp[PAYLOAD_KEY] = data
    return resp


def no_content() -> web.Response:
    resp = web.Response(status=204)
    resp[PAYLOAD_KEY] = None
    return resp


@dataclass(slots=True)
class RequestRecord:
    """One request the bot made, and the emulator's answer."""

    seq: int
    method: str
    path: str
    query: dict[str, str]
    status: int
    json: Any
    route: str | None
    time: float
    files: list[str] = field(default_factory=list)
    response: Any = None

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


class RequestLog(deque[RequestRecord]):
    """The request log (bounded); ``emu.requests``. Oldest first."""

    def matching(self, method: str = "*", path: str = "*") -> list[RequestRecord]:
        """Requests whose method and path (or route template) match; ``{x}``/``*`` are wildcards."""
        regex = _pattern_regex(path)
        method = method.upper()
        return [
            r
            for r in self
            if method in ("*", r.method) and (regex.match(r.path) or (r.route is not None and r.route == path))
        ]

    def since(self, seq: int) -> Iterator[RequestRecord]:
        return (r for r in self if r.seq >= seq)

    def describe(self, seq: int = 0, limit: int = 12) -> str:
        lines = [f"  {r}" + (f"  {_short(r.json)}" if r.json is not None else "") for r in self.since(seq)]
        if not lines:
            return "  (no requests)"
        if len(lines) > limit:
            lines = lines[:limit] + [f"  ... and {len(lines) - limit} more"]
        return "\n".join(lines)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def read_body(request: web.Request) -> tuple[Any, list[UploadedFile], str]:
    """The request's JSON (``payload_json`` for multipart) and uploaded files."""
    ctype = request.content_type
    if ctype == "multipart/form-data":
        reader = await request.multipart()
        body: Any = None
        files: list[UploadedFile] = []
        while True:
            part = await reader.next()
            if part is None:
                break
            name = getattr(part, "name", None) or ""
            if name == "payload_json":
                body = json.loads(await part.text() or "null")  # type: ignore[union-attr]
            elif name.startswith("files[") and name.endswith("]"):
                data = await part.read()  # type: ignore[union-attr]
                filename = getattr(part, "filename", None) or f"file{len(files)}"
                content_type = part.headers.get("Content-Type")
                if not content_type or content_type == "application/octet-stream":
                    content_type = mimetypes.guess_type(filename)[0] or content_type
                files.append(UploadedFile(int(name[6:-1]), filename, content_type, bytes(data)))
        return body, files, ctype
    raw = await request.read()
    if not raw:
        return None, [], ctype
    if ctype == "application/json" or raw[:1] in (b"{", b"["):
        try:
            return json.loads(raw), [], ctype
        except ValueError:
            raise errors.DiscordHTTPError(400, 50109, "The request body contains invalid JSON.") from None
    return None, [], ctype


def _authenticate(emu: DiscordEmulator, request: web.Request, template: str | None) -> None:
    """The bot token opens every route; a live Bearer token only :data:`BEARER_ROUTES`."""
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bot ") and emu.accepts_token(auth[4:]):
        return
    if auth.startswith("Bearer ") and template in BEARER_ROUTES:
        grant = emu.oauth2.bearer(auth[7:])
        if grant is not None:
            request[GRANT_KEY] = grant
            return
    raise errors.unauthorized()


def make_middleware(emu: DiscordEmulator) -> Middleware:
    """The middleware wrapping every API request (see the module docstring)."""
    prefix_len = len(API_PREFIX)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith(API_PREFIX):
            return await handler(request)
        emu._inflight += 1
        started = time.monotonic()
        api_path = path[prefix_len:]
        method = request.method
        resource = request.match_info.route.resource
        template: str | None = None
        if resource is not None and not request.match_info.get("tail") and resource.canonical.startswith(API_PREFIX):
            template = resource.canonical[prefix_len:]
        body: Any = None
        files: list[UploadedFile] = []
        try:
            try:
                body, files, _ctype = await read_body(request)
                request[BODY_KEY] = body
                request[FILES_KEY] = files
                rule = emu.ratelimiter.take(method, api_path, template) or emu.ratelimiter.take_global(api_path)
                if rule is not None:
                    resp: web.StreamResponse = json_response(
                        emu.ratelimiter.limited_body(rule),
                        429,
                        emu.ratelimiter.limited_headers(rule, method, template or api_path),
                    )
                else:
                    if not any(api_path.startswith(p) for p in _TOKEN_ROUTES):
                        _authenticate(emu, request, template)
                    if template is not None:
                        refuse_broken_body(emu, method, template, api_path, body)
                    resp = await handler(request)
            except errors.DiscordHTTPError as exc:
                resp = json_response(exc.body(), exc.status)
            except web.HTTPException:
                raise
            except Exception as exc:  # noqa: BLE001 - an emulator bug must not look like Discord
                log.exception("emulator error on %s %s", method, path)
                emu.internal_errors.append(f"{method} {api_path}: {exc!r}\n{traceback.format_exc()}")
                # 400, not 500: discord.py retries 5xx with sleeps of several seconds.
                resp = json_response({"message": f"Emulator internal error: {exc!r}", "code": 0}, 400)
            if template is not None and resp.status != 429:
                major = (
                    request.match_info.get("channel_id")
                    or request.match_info.get("guild_id")
                    or request.match_info.get("webhook_id", "")
                )
                for key, value in emu.ratelimiter.headers(method, template, major).items():
                    resp.headers[key] = value
            payload = resp.get(PAYLOAD_KEY) if isinstance(resp, web.Response) else None
            record = RequestRecord(
                seq=emu._next_request_seq(),
                method=method,
                path=api_path,
                query=dict(request.query),
                status=resp.status,
                json=body,
                route=template,
                time=started,
                files=[f.filename for f in files],
                response=payload,
            )
            emu.requests.append(record)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s -> %s %s", method, api_path, resp.status, _short(body) if body is not None else "")
            if template is None:
                log.warning("unknown route %s %s (answered 404)", method, api_path)
                emu.unknown_routes.append(f"{method} {api_path}")
            if emu.spec is not None and template is not None:
                _validate_answer(emu, method, template, api_path, resp.status, payload)
            return resp
        finally:
            emu._inflight -= 1
            emu._touch()

    return middleware


def _validate_answer(emu: DiscordEmulator, method: str, template: str, path: str, status: int, payload: Any) -> None:
    """Record where the emulator's own answer drifts from Discord's description."""
    spec = emu.spec
    assert spec is not None
    for operation, message, json_path, schema_path in spec.check_response(method, template, status, payload):
        emu.spec_violations.append(
            SpecViolation(operation, "response", message, json_path, method, path, status, schema_path)
        )
