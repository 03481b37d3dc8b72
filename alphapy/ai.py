"""The core AI client: one OpenAI-compatible connection for every plugin (``bot.ai``).

Plugins never build their own ``openai`` client. They ask :class:`AIClient` for a
structured answer (a pydantic model, validated) or for free text, and treat every AI call
as optional: a call can fail in a handful of well-defined ways, all subclasses of
:class:`AIError`, and the caller then takes its manual path::

    try:
        receipt = await bot.ai.structured(Receipt, system=PROMPT, user=note, images=[png])
    except AIError:
        receipt = None  # manual path: show the form, ping staff, ...
    await show(receipt)

:class:`AINotConfigured` is raised at once, without touching the network, when neither
``OPENAI_API_KEY`` nor ``OPENAI_BASE_URL`` is set, so the same code serves hosts without AI.

Privacy: prompts, answers and images may hold personal data. Nothing here logs them; the
log gets model, task, latency, outcome and token counts only. The system prompt and the
user content always travel in separate messages, never concatenated, so that what a
member typed (or what a screenshot says) cannot pose as instructions by position alone.

Importing this module does not import ``openai`` (about a second of start-up); the client
is built on the first call.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import re
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pydantic

from alphapy.log import get_logger, redact_text, register_secrets

if TYPE_CHECKING:
    from openai import AsyncOpenAI

    from alphapy.config import Config

__all__ = [
    "AIClient",
    "AIError",
    "AIInvalidAnswer",
    "AINotConfigured",
    "AITimeout",
    "AIUnavailable",
    "AIUnsupportedInput",
    "image_mime_type",
    "strict_json_schema",
]

T = TypeVar("T", bound=pydantic.BaseModel)


# Outcomes that count against health; "invalid" included: a model that keeps answering
# garbage is as useless to the plugins as one that does not answer.
_FAILURES = frozenset({"timeout", "unavailable", "invalid"})
MAX_IMAGE_BYTES = 20 * 1024 * 1024
_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")


# --- errors ----------------------------------------------------------------------------
class AIError(Exception):
    """Any reason an AI call gave no usable answer; callers catch this and go manual."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AINotConfigured(AIError):
    """No API key and no base URL: AI is off on this host (raised before any request)."""


class AITimeout(AIError):
    """No answer within the call's time budget (retries included)."""


class AIInvalidAnswer(AIError):
    """An answer came, but not a usable one: not JSON, not the schema, refused, empty, cut."""


class AIUnavailable(AIError):
    """The server could not be used: connection error, 5xx or 429 after retries, bad key,
    or a request the server rejected (unknown model, unsupported input)."""


class AIUnsupportedInput(AIError):
    """An input cannot be sent (an image in an unknown format, too large, a non-https URL);
    raised before any request."""


# --- helpers ---------------------------------------------------------------------------
def image_mime_type(data: bytes) -> str | None:
    """The MIME type of PNG, JPEG, GIF or WebP bytes (the formats vision models accept)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _image_url(image: bytes | bytearray | memoryview | str) -> str:
    if isinstance(image, str):
        if image.startswith("https://") or image.startswith("data:image/"):
            return image
        raise AIUnsupportedInput("an image URL must be https:// (or a data:image/ URL)")
    data = bytes(image)
    if len(data) > MAX_IMAGE_BYTES:
        raise AIUnsupportedInput(f"image of {len(data)} bytes exceeds {MAX_IMAGE_BYTES}")
    mime = image_mime_type(data)
    if mime is None:
        raise AIUnsupportedInput("image is not PNG, JPEG, GIF or WebP")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _resolve_ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"unsupported $ref {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    resolved: dict[str, Any] = node
    return resolved


def _strictify(node: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strictify(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) > 1:
        # Strict mode refuses siblings beside $ref (pydantic puts descriptions there).
        merged = {**_resolve_ref(root, node["$ref"]), **node}
        merged.pop("$ref")
        return _strictify(merged, root)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "default":
            continue  # every property is required in strict mode: a default means nothing
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            out[key] = {name: _strictify(sub, root) for name, sub in value.items()}
        else:
            out[key] = _strictify(value, root)
    if isinstance(out.get("properties"), dict):
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    elif out.get("type") == "object" and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


_schema_cache: dict[type[pydantic.BaseModel], dict[str, Any]] = {}


def strict_json_schema(schema: type[pydantic.BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in OpenAI's strict form: every property required (optional
    fields stay nullable), no extra properties, no defaults, no ``$ref`` with siblings."""
    cached = _schema_cache.get(schema)
    if cached is None:
        raw = schema.model_json_schema()
        cached = _strictify(raw, copy.deepcopy(raw))
        _schema_cache[schema] = cached
    return copy.deepcopy(cached)


def _parse_task_models(value: Any) -> dict[str, str]:
    if not value:
        return {}
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    pairs = (part.split("=", 1) for part in str(value).split(",") if "=" in part)
    return {k.strip(): v.strip() for k, v in pairs if k.strip() and v.strip()}


def _strip_fences(content: str) -> str:
    # Some OpenAI-compatible servers ignore response_format and wrap JSON in a code fence.
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text.strip()


@dataclass(frozen=True)
class _Outcome:
    at: float
    outcome: str
    latency: float


# --- the client ------------------------------------------------------------------------
class AIClient:
    """The process's AI client; plugins reach it as ``bot.ai``.

    ``models`` maps a task name to a model (``{"summary": "gpt-4o"}``); a task without an
    entry uses the vision model when images are sent (``OPENAI_VISION_MODEL``, else
    ``OPENAI_MODEL``), and ``OPENAI_MODEL`` otherwise.
    """

    def __init__(
        self,
        config: Config,
        *,
        models: Mapping[str, str] | None = None,
        health_window: int = 5,
        health_max_age: float = 300.0,
    ) -> None:
        self.config = config
        self.models: dict[str, str] = {
            **_parse_task_models(getattr(config, "openai_task_models", None)),
            **dict(models or {}),
        }
        self._client: AsyncOpenAI | None = None
        self._recent: deque[_Outcome] = deque(maxlen=max(1, health_window))
        self._health_max_age = health_max_age
        self._calls = 0
        self._failures = 0
        self._last_error: str | None = None
        if config.openai_api_key is not None:
            register_secrets([config.openai_api_key.get_secret_value()])

    # --- state ---------------------------------------------------------------------
    def available(self) -> bool:
        """Whether AI is configured on this host (a key or a base URL is set)."""
        return self.config.ai_configured

    def status(self) -> str:
        """``"not_configured"``, ``"ok"``, or ``"degraded"`` when the last call failed or at
        least two of the last few calls (within ``health_max_age`` seconds) failed."""
        if not self.available():
            return "not_configured"
        recent = self._fresh()
        if not recent:
            return "ok"
        failed = sum(1 for o in recent if o.outcome in _FAILURES)
        if recent[-1].outcome in _FAILURES or failed >= 2:
            return "degraded"
        return "ok"

    def stats(self) -> dict[str, Any]:
        """Figures for the health endpoint (no prompt content, no secrets)."""
        recent = self._fresh()
        latencies = [o.latency for o in recent]
        return {
            "status": self.status(),
            "calls": self._calls,
            "failures": self._failures,
            "recent_outcomes": [o.outcome for o in recent],
            "recent_avg_latency_ms": round(1000 * sum(latencies) / len(latencies), 1) if latencies else None,
            "last_error": self._last_error,
        }

    def _fresh(self) -> list[_Outcome]:
        cutoff = time.monotonic() - self._health_max_age
        return [o for o in self._recent if o.at >= cutoff]

    def model_for(self, task: str = "default", *, images: bool = False) -> str:
        """The model a call of ``task`` uses (with or without images)."""
        if task in self.models:
            return self.models[task]
        if images:
            return self.config.openai_vision_model or self.config.openai_model
        return self.config.openai_model

    # --- lifecycle -----------------------------------------------------------------
    def _openai(self) -> AsyncOpenAI:
        if self._client is None:
            from openai import AsyncOpenAI  # lazy: about a second to import

            key = self.config.openai_api_key
            self._client = AsyncOpenAI(
                # A local server (OPENAI_BASE_URL without a key) ignores the key; the
                # client insists on one.
                api_key=key.get_secret_value() if key is not None else "not-needed",
                base_url=self.config.openai_base_url,
                timeout=self.config.openai_timeout,
                max_retries=self.config.openai_max_retries,
            )
        return self._client

    async def close(self) -> None:
        """Close the HTTP connections (the client is rebuilt if used again)."""
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def __aenter__(self) -> AIClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- calls ---------------------------------------------------------------------
    async def structured(
        self,
        schema: type[T],
        *,
        system: str,
        user: str,
        images: Sequence[bytes | str] = (),
        task: str = "default",
        timeout: float | None = None,
        max_tokens: int | None = None,
    ) -> T:
        """Ask for a JSON answer constrained by ``schema`` and return it validated.

        ``images`` are PNG/JPEG/GIF/WebP bytes or https URLs; they go to the vision model.
        ``timeout`` (seconds, default ``OPENAI_TIMEOUT``) bounds the whole call, retries
        included. Raises a subclass of :class:`AIError` on any failure.
        """
        self._check_configured()
        if isinstance(images, (str, bytes, bytearray, memoryview)):
            images = [images if isinstance(images, str) else bytes(images)]  # one image passed bare, not in a list
        name = _SCHEMA_NAME.sub("_", schema.__name__)[:64] or "answer"
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": strict_json_schema(schema), "strict": True},
        }
        messages = self._messages(system, user, images)
        model = self.model_for(task, images=bool(images))
        started = time.monotonic()
        content, usage = await self._complete(
            model=model,
            task=task,
            messages=messages,
            timeout=timeout,
            started=started,
            images=len(images),
            extra={"response_format": response_format}
            | (self._max_tokens_arg(max_tokens) if max_tokens else {}),
        )
        try:
            answer = schema.model_validate_json(_strip_fences(content))
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_input=False, include_url=False)
            if any(e.get("type") == "json_invalid" for e in errors):
                reason = "answer is not JSON"
            else:
                where = ", ".join(".".join(str(p) for p in e.get("loc", ())) or "<root>" for e in errors[:5])
                reason = f"answer does not match {schema.__name__} ({len(errors)} errors at {where})"
            self._record(model, task, started, "invalid", images=len(images), usage=usage, reason=reason)
            raise AIInvalidAnswer(reason) from None
        self._record(model, task, started, "ok", images=len(images), usage=usage)
        return answer

    async def text(
        self,
        *,
        system: str,
        user: str,
        task: str = "default",
        timeout: float | None = None,
        max_tokens: int = 800,
    ) -> str:
        """Ask for free text (a summary, a reply draft); raises :class:`AIError` on failure."""
        self._check_configured()
        model = self.model_for(task)
        started = time.monotonic()
        content, usage = await self._complete(
            model=model,
            task=task,
            messages=self._messages(system, user, ()),
            timeout=timeout,
            started=started,
            images=0,
            extra=self._max_tokens_arg(max_tokens),
        )
        self._record(model, task, started, "ok", usage=usage)
        return content.strip()

    # --- internals -----------------------------------------------------------------
    def _check_configured(self) -> None:
        if not self.available():
            raise AINotConfigured("AI is not configured (set OPENAI_API_KEY or OPENAI_BASE_URL)")
        self._openai()  # built (and openai imported) before the clock starts

    def _max_tokens_arg(self, max_tokens: int) -> dict[str, int]:
        # OpenAI's own API wants max_completion_tokens (newer models refuse max_tokens);
        # OpenAI-compatible servers (Ollama, vLLM, llama.cpp ...) know max_tokens.
        key = "max_tokens" if self.config.openai_base_url else "max_completion_tokens"
        return {key: max_tokens}

    @staticmethod
    def _messages(system: str, user: str, images: Sequence[bytes | str]) -> list[dict[str, Any]]:
        # System and user content stay in separate messages: never concatenate them.
        user_content: str | list[dict[str, Any]]
        if images:
            parts: list[dict[str, Any]] = [{"type": "text", "text": user}] if user else []
            parts += [{"type": "image_url", "image_url": {"url": _image_url(img)}} for img in images]
            user_content = parts
        else:
            user_content = user
        return [{"role": "system", "content": system}, {"role": "user", "content": user_content}]

    async def _complete(
        self,
        *,
        model: str,
        task: str,
        messages: list[dict[str, Any]],
        timeout: float | None,
        started: float,
        images: int,
        extra: dict[str, Any],
    ) -> tuple[str, Any]:
        """One chat completion: (the answer's text, token usage), or an :class:`AIError`.

        Failures are recorded here; the caller records the outcome of a returned answer.
        """
        budget = timeout if timeout is not None else self.config.openai_timeout
        client = self._openai()
        import openai  # already imported by _openai(); cheap here

        try:
            async with asyncio.timeout(budget):
                response = await client.chat.completions.create(
                    model=model, messages=messages, timeout=budget, **extra  # type: ignore[arg-type]
                )
        except (TimeoutError, openai.APITimeoutError):
            self._record(model, task, started, "timeout", images=images, reason=f"no answer within {budget:g}s")
            raise AITimeout(f"no answer within {budget:g} s") from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            code = _error_code(exc)
            reason = f"server answered {status}" + (f" ({code})" if code else "")
            if status in (400, 404, 413, 422):
                reason += f": {_error_message(exc)}"
            self._record(model, task, started, "unavailable", images=images, reason=reason, status=status)
            raise AIUnavailable(reason, status=status, code=code) from None
        except openai.APIConnectionError as exc:
            reason = f"cannot reach the AI server ({type(exc.__cause__ or exc).__name__})"
            self._record(model, task, started, "unavailable", images=images, reason=reason)
            raise AIUnavailable(reason) from exc
        except openai.OpenAIError as exc:
            reason = f"AI client error ({type(exc).__name__})"
            self._record(model, task, started, "unavailable", images=images, reason=reason)
            raise AIUnavailable(reason) from None

        usage = response.usage
        if not response.choices:
            reason = "answer has no choices"
            self._record(model, task, started, "invalid", images=images, usage=usage, reason=reason)
            raise AIInvalidAnswer("answer has no choices")
        choice = response.choices[0]
        message = choice.message
        refused: str | None = None
        if getattr(message, "refusal", None):
            refused = "the model refused"
        elif choice.finish_reason == "length":
            refused = "answer cut at the token limit"
        elif choice.finish_reason == "content_filter":
            refused = "answer withheld by the content filter"
        elif not (message.content or "").strip():
            refused = "answer is empty"
        if refused is not None:
            self._record(model, task, started, "invalid", images=images, usage=usage, reason=refused)
            raise AIInvalidAnswer(refused)
        return message.content or "", usage

    def _record(
        self,
        model: str,
        task: str,
        started: float,
        outcome: str,
        *,
        images: int = 0,
        usage: Any = None,
        reason: str | None = None,
        status: int | None = None,
    ) -> None:
        latency = time.monotonic() - started
        self._recent.append(_Outcome(time.monotonic(), outcome, latency))
        self._calls += 1
        fields: dict[str, Any] = {
            "model": model,
            "task": task,
            "outcome": outcome,
            "latency_ms": round(latency * 1000, 1),
        }
        if images:
            fields["images"] = images
        if usage is not None:
            # Not "prompt_tokens": log redaction hides any key that contains "token".
            fields["usage"] = {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens}
        if status is not None:
            fields["status"] = status
        # Looked up per call, not cached at import: logging may be configured later.
        log = get_logger(__name__)
        if outcome == "ok":
            log.info("ai.call", **fields)
        else:
            self._failures += 1
            self._last_error = reason or outcome
            log.warning("ai.call", reason=reason, **fields)


def _error_code(exc: Any) -> str | None:
    code = getattr(exc, "code", None) or getattr(exc, "type", None)
    return str(code)[:60] if code else None


def _error_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    return redact_text(str(message or "no detail"))[:160]
