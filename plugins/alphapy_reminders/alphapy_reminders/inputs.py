"""What people type into ``/reminder`` options, checked before anything is stored.

Each function returns the clean value or raises :class:`UserError` with one polite
sentence that says what is expected; nothing here touches Discord or the database.
"""

from __future__ import annotations

import re
from datetime import time
from urllib.parse import urlsplit

from alphapy import UserError
from alphapy_reminders import clock, days as weekdays

NAME_MAX = 100
MESSAGE_MAX = 2000
IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_URL_MAX = 500
IMAGE_TYPES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff", "image/gif": b"GIF8",
               "image/webp": b"RIFF"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def checked_name(text: str) -> str:
    """One line of 1..100 characters (runs of whitespace fold into one space)."""
    name = " ".join(text.split())
    if not name:
        raise UserError("Give the reminder a name.")
    if len(name) > NAME_MAX:
        raise UserError(f"A reminder's name can be at most {NAME_MAX} characters (this one has {len(name)}).")
    if _CONTROL.search(name):
        raise UserError("The name contains control characters; please type it again.")
    return name


def checked_message(text: str | None) -> str | None:
    """Up to 2,000 characters; ``\\n`` typed in a slash option becomes a line break."""
    if text is None:
        return None
    message = text.strip().replace("\\n", "\n")  # slash options are one line: "\n" asks for a line break
    if len(message) > MESSAGE_MAX:
        raise UserError(f"A reminder's message can be at most {MESSAGE_MAX:,} characters "
                        f"(this one has {len(message):,}).")
    if _CONTROL.search(message):
        raise UserError("The message contains control characters; please type it again.")
    return message or None


def checked_days(text: str) -> list[str]:
    try:
        return weekdays.to_db(weekdays.parse_days(text))
    except weekdays.InvalidDays as exc:
        raise UserError(str(exc)) from None


def checked_time(text: str, what: str) -> time:
    try:
        return clock.parse_time(text, what=what)
    except clock.InvalidTime as exc:
        raise UserError(str(exc)) from None


def checked_image_url(url: str) -> str:
    """An https link with a host and no credentials, stored as given."""
    url = url.strip()
    parts = urlsplit(url) if len(url) <= IMAGE_URL_MAX and not re.search(r"\s", url) else None
    if parts is None or parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise UserError(f"The image URL must be an https:// link of at most {IMAGE_URL_MAX} characters.")
    return url


def sniffed_image_type(data: bytes) -> str | None:
    """The image type the bytes say (a file's name and declared type can lie)."""
    for content_type, magic in IMAGE_TYPES.items():
        if data.startswith(magic) and (content_type != "image/webp" or data[8:12] == b"WEBP"):
            return content_type
    return None
