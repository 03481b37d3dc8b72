"""Structured logs: JSON lines, context from contextvars, secrets redacted."""

from __future__ import annotations

import io
import json
import logging

import pytest

from alphapy.log import configure_logging, get_logger, log_context

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.ghijklmnopqrstuvwxyz0123456789"


@pytest.fixture
def captured() -> io.StringIO:
    stream = io.StringIO()
    configure_logging("debug", "json", secrets=["configured-secret-value"], stream=stream)
    yield stream
    configure_logging("info", "json")


def events(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_context_is_bound_through_contextvars(captured: io.StringIO) -> None:
    log = get_logger("test")
    with log_context(guild_id=42, shard=0, plugin="reminders", command="reminder add"):
        log.info("reminder.created", reminder_id=7)
    log.info("outside")
    inside, outside = events(captured)
    assert inside["event"] == "reminder.created"
    assert (inside["guild_id"], inside["shard"], inside["plugin"], inside["command"]) == (42, 0, "reminders", "reminder add")
    assert "guild_id" not in outside


def test_secrets_are_redacted_everywhere(captured: io.StringIO) -> None:
    log = get_logger("test")
    log.info("login", token=TOKEN, password="hunter2", api_key="sk-abcdefghijklmnopqrstuv")
    log.info("connecting", url="postgresql://alphapy:s3cr3t@db:5432/alphapy", note=f"Bot {TOKEN}")
    log.info("nested", payload={"headers": {"Authorization": "Bot xyz"}, "items": [TOKEN]})
    log.info("configured", text="the value configured-secret-value leaked")
    logging.getLogger("discord.client").warning("stdlib says %s", TOKEN)
    try:
        raise RuntimeError(f"bad token {TOKEN}")
    except RuntimeError:
        log.exception("failed")
    output = captured.getvalue()
    for secret in (TOKEN, "hunter2", "sk-abcdefghijklmnopqrstuv", "s3cr3t", "Bot xyz", "configured-secret-value"):
        assert secret not in output, secret
    login, connecting, nested, configured, stdlib, failed = events(captured)
    assert login["token"] == "***" and login["password"] == "***"
    assert connecting["url"] == "postgresql://alphapy:***@db:5432/alphapy"
    assert nested["payload"]["headers"]["Authorization"] == "***"
    assert stdlib["event"] == "stdlib says ***"
    assert "RuntimeError: bad token ***" in failed["exception"]


def test_console_format_is_readable() -> None:
    stream = io.StringIO()
    configure_logging("info", "console", stream=stream)
    get_logger("test").info("hello", guild_id=1)
    configure_logging("info", "json")
    line = stream.getvalue()
    assert "hello" in line and "guild_id=1" in line and not line.startswith("{")


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_exceptions_are_redacted_in_both_formats(fmt: str) -> None:
    stream = io.StringIO()
    configure_logging("info", fmt, secrets=["configured-secret-value"], stream=stream)
    try:
        try:
            raise ConnectionError("cannot log in to postgresql://alphapy:url-password-42@db/alphapy "
                                  "with configured-secret-value")
        except ConnectionError as exc:
            get_logger("test").exception("database.failed", error=str(exc))
            logging.getLogger("asyncpg").error("stdlib failure", exc_info=True)
    finally:
        configure_logging("info", "json")
    output = stream.getvalue()
    for secret in ("url-password-42", "configured-secret-value"):
        assert secret not in output, (secret, output)
    # what went wrong is still there: the exception, its traceback and the URL without its password
    assert output.count("ConnectionError: cannot log in to postgresql://alphapy:***@db/alphapy with ***") == 2
    assert "Traceback (most recent call last)" in output.replace("\\n", "\n")


def test_a_library_warning_carries_its_error_as_one_redacted_line(captured: io.StringIO) -> None:
    library = logging.getLogger("asyncpg.pool")
    for level in (logging.WARNING, logging.ERROR):
        try:
            raise ConnectionRefusedError("postgresql://bot:hunter2secret@db:5432/alphapy refused")
        except ConnectionRefusedError:
            library.log(level, "Failed to restore the pool connection floor; retrying", exc_info=True)
    warning, error = events(captured)
    assert "exception" not in warning  # an expected, retried condition: no traceback
    assert warning["error"] == "ConnectionRefusedError: postgresql://bot:***@db:5432/alphapy refused"
    assert "ConnectionRefusedError" in error["exception"] and "hunter2secret" not in error["exception"]


def test_an_event_below_the_level_is_never_rendered() -> None:
    """Hot paths log at info (every settings change); at warning that must cost nothing."""
    rendered: list[str] = []

    class Watched(dict):  # type: ignore[type-arg]
        """A field whose redaction (it walks every mapping) is seen."""

        def items(self):  # type: ignore[no-untyped-def]
            rendered.append("items")
            return super().items()

    stream = io.StringIO()
    configure_logging("warning", "json", stream=stream)
    try:
        log = get_logger("test")
        log.warning("kept", value=Watched())
        assert rendered  # an event that is kept is rendered
        kept = len(rendered)
        log.info("settings.changed", value=Watched())
    finally:
        configure_logging("info", "json")
    assert [event["event"] for event in events(stream)] == ["kept"]
    assert len(rendered) == kept  # the info event was not even looked at
