"""Users: the accounts behind members, DMs and the bot itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(slots=True, eq=False)
class User:
    """A Discord account: a person, another bot, or the bot under test."""

    id: int
    name: str
    bot: bool = False
    global_name: str | None = None
    dms_open: bool = True
    system: bool = False
    avatar: str | None = None

    @property
    def display_name(self) -> str:
        return self.global_name or self.name

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        """``UserResponse``."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.global_name,
            "avatar": self.avatar,
            "discriminator": "0",
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }
        if self.bot:
            data["bot"] = True
        if self.system:
            data["system"] = True
        return data

    def __repr__(self) -> str:
        return f"<User {self.name!r} id={self.id}{' bot' if self.bot else ''}>"
