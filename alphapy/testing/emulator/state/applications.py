"""The bot's application: its registered commands and premium entitlements."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .. import permissions as perms
from .users import User


@dataclass(slots=True, eq=False)
class ApplicationCommand:
    """A command the bot registered (the stored definition, normalised to the response shape)."""

    id: int
    application_id: int
    name: str
    type: int
    data: dict[str, Any]
    guild_id: int | None = None
    version: int = 0

    @property
    def options(self) -> list[dict[str, Any]]:
        return self.data.get("options") or []

    def payload(self) -> dict[str, Any]:
        """``ApplicationCommandResponse``."""
        data = dict(self.data)
        data["id"] = str(self.id)
        data["application_id"] = str(self.application_id)
        data["version"] = str(self.version)
        data["type"] = self.type
        data.setdefault("description", "")
        dmp = data.get("default_member_permissions")
        data["default_member_permissions"] = None if dmp is None else str(dmp)
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data

    def __repr__(self) -> str:
        where = f" guild={self.guild_id}" if self.guild_id else ""
        return f"<ApplicationCommand {self.name!r} type={self.type}{where}>"


@dataclass(slots=True, eq=False)
class Entitlement:
    """A premium entitlement (type 8 = Discord App Subscription) of a user or guild."""

    id: int
    sku_id: int
    application_id: int
    user_id: int | None
    guild_id: int | None = None
    type: int = 8
    starts_at: str | None = None
    ends_at: str | None = None
    deleted: bool = False
    consumed: bool = False

    @property
    def ended(self) -> bool:
        if self.ends_at is None:
            return False
        return _dt.datetime.fromisoformat(self.ends_at) <= _dt.datetime.now(_dt.UTC)

    def payload(self) -> dict[str, Any]:
        """``EntitlementResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "sku_id": str(self.sku_id),
            "application_id": str(self.application_id),
            "user_id": str(self.user_id) if self.user_id is not None else "0",
            "type": self.type,
            "deleted": self.deleted,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "consumed": self.consumed,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


class Application:
    """The bot's application: its id, bot user, commands and entitlements."""

    __slots__ = ("id", "name", "bot", "owner", "flags", "commands", "guild_commands", "entitlements", "sku_id")

    def __init__(self, app_id: int, name: str, bot: User, owner: User) -> None:
        self.id = app_id
        self.name = name
        self.bot = bot
        self.owner = owner
        # GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED: the intents a small bot may use
        self.flags = (1 << 15) | (1 << 19)
        self.commands: dict[int, ApplicationCommand] = {}
        self.guild_commands: dict[int, dict[int, ApplicationCommand]] = {}
        self.entitlements: list[Entitlement] = []
        self.sku_id = 0

    def all_commands(self) -> list[ApplicationCommand]:
        found = list(self.commands.values())
        for cmds in self.guild_commands.values():
            found.extend(cmds.values())
        return found

    def payload(self) -> dict[str, Any]:
        """``PrivateApplicationResponse``."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "description": "",
            "type": None,
            "bot": self.bot.payload(),
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": self.flags,
            "flags_new": str(self.flags),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": self.owner.payload(),
            "approximate_guild_count": 0,
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": [],
            "tags": [],
            "integration_types_config": {"0": {}},
            "install_params": {"scopes": ["bot", "applications.commands"], "permissions": str(perms.DEFAULT_BOT)},
        }
