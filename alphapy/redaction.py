"""Hiding secrets in any text the process shows: log lines, tracebacks, CLI error lines.

One function, :func:`redact_text`, is the rule for all of them, so a log format or an
error path cannot forget a case the others handle. It hides two kinds of secret:

* values known to be secret: registered from the configuration, and read from the
  environment (and ``.env``) *before* the configuration is validated, because the line
  that says a value is malformed is exactly where a mistyped URL would show its password;
* secret-looking text: Discord bot tokens, ``sk-`` keys, ``Bot``/``Bearer`` header
  values and the password in ``scheme://user:password@host`` (also when the scheme is
  mistyped, as in ``postgresql//user:password@host``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote

REDACTED = "***"
MIN_SECRET_LENGTH = 6  # shorter values would hide ordinary words

# Names whose values are secrets whatever they contain: whole words at the end of a key
# or variable (``discord_token``, ``OPENAI_API_KEY``, ``PREMIUM_WEBHOOK_SECRET``), not
# ``prompt_tokens``.
SECRET_NAME = re.compile(
    r"(?:^|[_-])(token|secret|password|passwd|api[_-]?key|authorization|credentials?)$", re.I
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}"), REDACTED),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"(//[^:/@\s]*:)[^@/\s]+(@)"), r"\1" + REDACTED + r"\2"),
    (re.compile(r"((?:Bot|Bearer)\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + REDACTED),
)

_SCHEME_AND_SLASH = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/+")

_known: set[str] = set()
_longest_first: tuple[str, ...] = ()  # a longer secret may contain a shorter one


def register_secrets(values: Iterable[str]) -> None:
    """Remember secret values so that they are hidden wherever they appear."""
    global _longest_first
    new = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH} - _known
    if new:
        _known.update(new)
        _longest_first = tuple(sorted(_known, key=len, reverse=True))


def url_password(value: str) -> str | None:
    """The password inside a URL-like value, however its scheme is mistyped; None without one.

    ``user:pw@host``, ``scheme://user:pw@host``, ``scheme//user:pw@host`` and
    ``scheme:/user:pw@host`` all give ``pw``: the text between the user name's colon and
    the last ``@``.
    """
    userinfo, at, _host = value.strip().rpartition("@")
    if not at:
        return None
    if "//" in userinfo:
        userinfo = userinfo.rsplit("//", 1)[1]
    elif _SCHEME_AND_SLASH.match(userinfo):
        userinfo = _SCHEME_AND_SLASH.sub("", userinfo)
    elif userinfo.count(":") >= 2:  # scheme:user:pw
        userinfo = userinfo.split(":", 1)[1]
    _user, colon, password = userinfo.partition(":")
    if not colon or not password or any(c.isspace() for c in password):
        return None
    return password


def secrets_in(variables: Mapping[str, str | None]) -> list[str]:
    """The secret values among variables: those with secret names and URL passwords."""
    found: list[str] = []
    for name, value in variables.items():
        if not value:
            continue
        if SECRET_NAME.search(name):
            found += [value, value.strip()]
        password = url_password(value)
        if password is not None:
            found += [password, unquote(password)]
    return found


def register_environment_secrets(env_file: str | Path | None = ".env") -> None:
    """Register the secrets of the environment and of ``env_file`` (if it exists).

    Called before the configuration is validated, so that a malformed value's error line
    (and everything after it) is already redacted.
    """
    register_secrets(secrets_in(os.environ))
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values

        try:
            register_secrets(secrets_in(dotenv_values(env_file)))
        except (OSError, UnicodeDecodeError):
            pass  # the configuration reports an unreadable .env itself


def redact_text(text: str) -> str:
    """Hide known secrets and secret-looking substrings in one string."""
    for secret in _longest_first:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def describe_exception(exc: BaseException, limit: int = 300) -> str:
    """An exception as one line, ``Type: message``, for a log field, a health report or a status.

    The single describer of the core and plugins: messages from pluggy, asyncpg or pydantic
    span several lines, and one may quote a connection URL, so the lines are folded, known
    secrets hidden and the result cut to ``limit`` characters.
    """
    message = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    line = redact_text(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
    return line if len(line) <= limit else line[: limit - 3] + "..."


__all__ = ["REDACTED", "SECRET_NAME", "describe_exception", "redact_text", "register_environment_secrets", "register_secrets",
           "secrets_in", "url_password"]
