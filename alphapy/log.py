"""Structured logging for the core and every plugin.

One structlog pipeline serves our own events and the standard-library loggers of
discord.py, asyncpg and aiohttp alike, so that everything is redacted the same way and
shares the guild/shard/plugin/command context bound through contextvars. Humans at a
terminal get coloured console lines; anything else (containers, files) gets JSON lines.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

import structlog

REDACTED = "***"

# Keys whose values are secrets whatever they contain.
# Whole words at the end of a key (``discord_token``, ``api_key``), not ``prompt_tokens``.
_SECRET_KEY = re.compile(
    r"(?:^|[_-])(token|secret|password|passwd|api[_-]?key|authorization|credentials?)$", re.I
)

# Secret-looking substrings inside any text: Discord bot tokens, OpenAI-style keys,
# passwords in connection URLs, and Authorization header values.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}"), REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(@)", re.I), r"\1" + REDACTED + r"\2"),
    (re.compile(r"((?:Bot|Bearer)\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + REDACTED),
)

_known_secrets: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Remember configured secret values so that they are hidden wherever they appear."""
    _known_secrets.update(v for v in values if v and len(v) >= 6)


def redact_text(text: str) -> str:
    """Hide known secrets and secret-looking substrings in one string."""
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth > 4:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else _redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(v, depth + 1) for v in value)
    return value


def redact_event(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last line of defence against secrets in logs."""
    for key, value in list(event.items()):
        if _SECRET_KEY.search(key):
            event[key] = REDACTED
        elif isinstance(value, BaseException):
            event[key] = redact_text(repr(value))
        else:
            event[key] = _redact(value)
    return event


def condense_library_warnings(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A library's warning carries its exception as one ``error`` line, not a traceback.

    asyncpg's pool, for one, warns with a full traceback every time it cannot reconnect
    during a database outage: an expected condition, retried, that would bury the log.
    Errors keep their traceback: those may be bugs.
    """
    record = event.get("_record")
    exc_info = event.get("exc_info")
    if record is not None and record.levelno < logging.ERROR and isinstance(exc_info, tuple) and exc_info[1]:
        error = exc_info[1]
        event.pop("exc_info")
        event["error"] = redact_text(f"{type(error).__name__}: {error}")  # after redact_event
    return event


def _render_exception_then_redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    # Tracebacks can quote a token passed as an argument: format them first, then redact.
    if "exception" in event and isinstance(event["exception"], str):
        event["exception"] = redact_text(event["exception"])
    return event


def configure_logging(
    level: str = "info",
    fmt: Literal["auto", "console", "json"] = "auto",
    secrets: Iterable[str] = (),
    stream: Any = None,
) -> None:
    """Configure structlog and route standard logging through the same processors."""
    register_secrets(secrets)
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not (hasattr(stream, "isatty") and stream.isatty()))

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event,
    ]
    renderer: Any
    if use_json:
        renderer = structlog.processors.JSONRenderer()
        tail: list[Any] = [structlog.processors.format_exc_info, _render_exception_then_redact]
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=hasattr(stream, "isatty") and stream.isatty())
        tail = []

    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, condense_library_warnings],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_alphapy", False):
            root.removeHandler(old)
    handler._alphapy = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    handler.addFilter(_drop_voice_notice)
    # discord.py's gateway chatter at INFO is noise for hosts; keep warnings.
    for noisy in ("discord.gateway", "discord.client", "discord.http", "aiohttp.access", "yoyo"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _drop_voice_notice(record: logging.LogRecord) -> bool:
    """discord.py warns at every start that voice libraries are missing; we have no voice."""
    return not (record.name == "discord.client" and "voice will NOT be supported" in str(record.msg))


def get_logger(name: str | None = None) -> Any:
    """A structlog logger; plugins use ``get_logger(__name__)``."""
    return structlog.stdlib.get_logger(name)


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind guild_id, shard, plugin, command ... for every event logged inside the block."""
    clean = {k: v for k, v in values.items() if v is not None}
    with structlog.contextvars.bound_contextvars(**clean):
        yield
