"""Discord's error answers, so a bot under test sees the same codes it would see live.

discord.py turns a 403 into ``discord.Forbidden`` and a 404 into ``discord.NotFound``, and
bots branch on ``exc.code`` (50007 "cannot DM", 50013 "missing permissions"...). Raising
:class:`DiscordHTTPError` anywhere below a REST handler produces the exact JSON body
``{"message": ..., "code": ...}`` Discord sends.
"""

from __future__ import annotations

from typing import Any


class DiscordHTTPError(Exception):
    """An error answer of the emulated API: HTTP status, Discord error code and message."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {message} (code {code})")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Discord answers with (``ErrorResponse`` in the OpenAPI description)."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            body["errors"] = self.errors
        return body


def not_found() -> DiscordHTTPError:
    """A route Discord does not have."""
    return DiscordHTTPError(404, 0, "404: Not Found")


def unauthorized() -> DiscordHTTPError:
    return DiscordHTTPError(401, 0, "401: Unauthorized")


def unknown(kind: str) -> DiscordHTTPError:
    """``Unknown Channel`` (10003), ``Unknown Message`` (10008) and their siblings."""
    return DiscordHTTPError(404, UNKNOWN_CODES.get(kind, 0), f"Unknown {kind}")


UNKNOWN_CODES: dict[str, int] = {
    "Account": 10001,
    "Application": 10002,
    "Channel": 10003,
    "Guild": 10004,
    "Integration": 10005,
    "Invite": 10006,
    "Member": 10007,
    "Message": 10008,
    "Overwrite": 10009,
    "Role": 10011,
    "Token": 10012,
    "User": 10013,
    "Emoji": 10014,
    "Webhook": 10015,
    "Ban": 10026,
    "SKU": 10027,
    "Entitlement": 10029,
    "Application Command": 10063,
    "interaction": 10062,
}


def missing_access() -> DiscordHTTPError:
    """The bot cannot see the channel at all (no View Channel)."""
    return DiscordHTTPError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50013, "Missing Permissions")


def cannot_dm() -> DiscordHTTPError:
    """The member closed their DMs (or shares no server with the bot)."""
    return DiscordHTTPError(403, 50007, "Cannot send messages to this user")


def cannot_edit_other() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")


def empty_message() -> DiscordHTTPError:
    return DiscordHTTPError(400, 50006, "Cannot send an empty message")


def invalid_webhook_token() -> DiscordHTTPError:
    """An interaction token past its 15 minutes (or a webhook token that never was)."""
    return DiscordHTTPError(401, 50027, "Invalid Webhook Token")


def already_acknowledged() -> DiscordHTTPError:
    return DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")


def invalid_form_body(field: str, message: str) -> DiscordHTTPError:
    """A 400 ``Invalid Form Body`` (50035).

    Discord adds a nested ``errors`` object whose leaf codes are strings, which its own
    OpenAPI description types as integers; the field and reason go into the message instead
    so the answer stays valid against the description.
    """
    return DiscordHTTPError(400, 50035, f"Invalid Form Body: {field}: {message}")


def bad_request(message: str, code: int = 0) -> DiscordHTTPError:
    return DiscordHTTPError(400, code, message)
