"""OAuth2 grants: the codes and tokens a web app gets when a person logs in with Discord.

Kept apart from the bot's own token so a Bearer token only ever opens the few routes Discord
opens to it, and a revoked or expired token stops working the way it does on Discord.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: How long an access token lives, as Discord answers in ``expires_in`` (7 days).
ACCESS_TOKEN_SECONDS = 604_800


@dataclass(slots=True)
class Grant:
    """What one person allowed one application: whose account, which scopes, where to return."""

    user_id: int
    scopes: tuple[str, ...]
    redirect_uri: str
    expires_at: float = 0.0


@dataclass(slots=True)
class OAuth2State:
    """Client credentials and the live codes and tokens; ``emu.oauth2``."""

    client_id: int
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    clock: Callable[[], float] = time.time
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)

    def issue_code(self, user_id: int, scopes: tuple[str, ...], redirect_uri: str) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = Grant(user_id, scopes, redirect_uri)
        return code

    def redeem_code(self, code: str, redirect_uri: str) -> Grant | None:
        """A code works once and only with the ``redirect_uri`` it was issued for."""
        grant = self.codes.pop(code, None)
        if grant is None or grant.redirect_uri != redirect_uri:
            return None
        return grant

    def issue_tokens(self, grant: Grant) -> tuple[str, str]:
        """A fresh (access, refresh) pair for ``grant``."""
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        live = Grant(grant.user_id, grant.scopes, grant.redirect_uri, self.clock() + ACCESS_TOKEN_SECONDS)
        self.access_tokens[access] = live
        self.refresh_tokens[refresh] = live
        return access, refresh

    def refresh(self, refresh_token: str) -> Grant | None:
        """A refresh token works once; the access tokens of its grant stop working."""
        grant = self.refresh_tokens.pop(refresh_token, None)
        if grant is not None:
            self._drop_access(grant)
        return grant

    def revoke(self, token: str) -> None:
        """Revoking either token of a grant ends the whole grant, as on Discord."""
        grant = self.access_tokens.get(token) or self.refresh_tokens.get(token)
        if grant is None:
            return
        self._drop_access(grant)
        for key in [k for k, g in self.refresh_tokens.items() if g is grant]:
            del self.refresh_tokens[key]

    def bearer(self, token: str) -> Grant | None:
        """The grant behind a live access token, or None."""
        grant = self.access_tokens.get(token)
        if grant is None or grant.expires_at <= self.clock():
            return None
        return grant

    def _drop_access(self, grant: Grant) -> None:
        for key in [k for k, g in self.access_tokens.items() if g is grant]:
            del self.access_tokens[key]
