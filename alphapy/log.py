"""Structured logging for the core and every plugin.

One structlog pipeline serves our own events and the standard-library loggers of
discord.py, asyncpg and aiohttp alike, so that everything is redacted the same way and
shares the guild/shard/plugin/command context bound through contextvars. Humans at a
terminal get coloured console lines; anything else (containers, files) gets JSON lines.
Both formats redact the same way (:mod:`alphapy.redaction`): the fields first, then the
finished line, traceback included, so that no renderer can show a secret.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal

import structlog

from alphapy.redaction import REDACTED, SECRET_NAME, redact_text, register_secrets
from alphapy.running_plugin import running_plugin


def _redact(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth > 4:
        return value
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and SECRET_NAME.search(k) else _redact(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(v, depth + 1) for v in value)
    return value


def redact_event(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: secrets out of the event's fields, by key and by value."""
    for key, value in list(event.items()):
        if SECRET_NAME.search(key):
            event[key] = REDACTED
        elif isinstance(value, BaseException):
            event[key] = redact_text(repr(value))
        else:
            event[key] = _redact(value)
    return event


def condense_library_warnings(_logger: Any, _method: str,
                              event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
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


def _redacted_traceback(sio: Any, exc_info: Any) -> None:
    """The console renderer's exception formatter: a plain traceback, redacted."""
    sio.write("\n" + redact_text("".join(traceback.format_exception(*exc_info))).rstrip("\n"))


def _redact_rendered(_logger: Any, _method: str, line: Any) -> Any:
    """The last step of either format: the finished line, whatever rendered it, redacted."""
    return redact_text(line) if isinstance(line, str) else line


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
        add_hook_plugin,
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
        renderer = structlog.dev.ConsoleRenderer(colors=hasattr(stream, "isatty") and stream.isatty(),
                                                 exception_formatter=_redacted_traceback)
        tail = []

    structlog.configure(
        # Below the level, an event stops here: redacting and rendering it first, only for
        # the standard library to drop it, cost ~25 us per call (every settings change).
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, condense_library_warnings],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer, _redact_rendered],
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


__all__ = ["REDACTED", "configure_logging", "get_logger", "log_context", "redact_event", "redact_text",
           "register_secrets"]


def get_logger(name: str | None = None) -> Any:
    """A structlog logger; plugins use ``get_logger(__name__)``."""
    return structlog.stdlib.get_logger(name)


def add_hook_plugin(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Name the plugin whose hook was running when an event was logged (unless bound)."""
    plugin = running_plugin.get()
    if plugin is not None:
        event.setdefault("plugin", plugin)
    return event


@contextmanager
def log_context(**values: Any) -> Iterator[None]:
    """Bind guild_id, shard, plugin, command ... for every event logged inside the block."""
    clean = {k: v for k, v in values.items() if v is not None}
    with structlog.contextvars.bound_contextvars(**clean):
        yield
