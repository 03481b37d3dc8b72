"""The billing service ("Core-API") over HTTP: the source of truth when it answers.

The contract (what :mod:`alphapy_premium.testing` fakes and a real service implements):

``GET {PREMIUM_API_URL}/v1/premium/users/{user_id}`` with ``Authorization: Bearer <token>``
answers ``200 {"user_id": "1", "subscription": null | {"id": "sub_1", "guild_id": "2",
"tier": "monthly", "status": "active", "expires_at": "2030-01-01T00:00:00Z"}}``; ``404``
means the service knows no such user (no subscription).

``POST {PREMIUM_API_URL}/v1/premium/subscriptions/{id}/transfer`` with
``{"user_id": "1", "guild_id": "3"}`` moves a subscription and answers ``200
{"subscription": {...}}``, or ``409 {"error": "..."}`` when it refuses.

Anything else (a timeout, a refused connection, a 5xx, a body that is not that JSON, an
answer about another user) is :class:`BillingUnavailable`: the caller falls back to the
local table and says so in the log. Snowflakes may be JSON strings or numbers.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, ValidationError

from alphapy import BodyTooLarge, read_body
from alphapy_premium.model import MAX_EXTERNAL_ID, MAX_SNOWFLAKE, Subscription

MAX_BODY = 64 * 1024
Snowflake = Field(gt=0, le=MAX_SNOWFLAKE)


class BillingUnavailable(Exception):
    """The billing service did not give a usable answer (the reason is for the log)."""


class BillingRefused(Exception):
    """The billing service answered and said no (its reason is shown to the member)."""


class BillingSubscription(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=MAX_EXTERNAL_ID)
    guild_id: int = Snowflake
    tier: Literal["monthly", "yearly", "lifetime"]
    status: Literal["active", "cancelled", "expired"]
    expires_at: AwareDatetime | None = None

    def to_subscription(self, user_id: int) -> Subscription:
        return Subscription(user_id=user_id, guild_id=self.guild_id, tier=self.tier, status=self.status,
                            expires_at=self.expires_at, external_id=self.id)


class UserAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    user_id: int = Snowflake
    subscription: BillingSubscription | None


class TransferAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subscription: BillingSubscription


class BillingClient:
    """A small aiohttp client with one session, a short timeout and strict answers."""

    def __init__(self, base_url: str, token: SecretStr | None, timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "alphapy-premium"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        return headers

    def _session_for_loop(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout, headers=self._headers(),
                                                  raise_for_status=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON or None); :class:`BillingUnavailable` for transport failures."""
        url = f"{self.base_url}{path}"
        try:
            async with self._session_for_loop().request(method, url, json=body) as response:
                raw = await read_body(response.content, MAX_BODY)
                status = response.status
        except BodyTooLarge:
            raise BillingUnavailable(f"{method} {path}: answer larger than {MAX_BODY} bytes") from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise BillingUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}".rstrip(": ")) from None
        try:
            data = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            data = None
            if 200 <= status < 300:
                raise BillingUnavailable(f"{method} {path}: HTTP {status} with a body that is not JSON") from None
        return status, data

    async def subscription_of(self, user_id: int) -> Subscription | None:
        """The user's current subscription as the billing service sees it, or None."""
        status, data = await self._request("GET", f"/v1/premium/users/{user_id}")
        if status == 404:
            return None
        if status != 200:
            raise BillingUnavailable(f"GET user: HTTP {status}")
        try:
            answer = UserAnswer.model_validate(data)
        except ValidationError as exc:
            raise BillingUnavailable(f"GET user: unexpected answer ({_first_error(exc)})") from None
        if answer.user_id != user_id:
            raise BillingUnavailable(f"GET user: answered about user {answer.user_id}, asked {user_id}")
        return answer.subscription.to_subscription(user_id) if answer.subscription else None

    async def transfer(self, external_id: str, user_id: int, guild_id: int) -> Subscription:
        """Ask the billing service to move a subscription it owns; it must agree first."""
        path = f"/v1/premium/subscriptions/{quote(external_id, safe='')}/transfer"
        status, data = await self._request("POST", path, {"user_id": str(user_id), "guild_id": str(guild_id)})
        if status == 409:
            reason = data.get("error") if isinstance(data, dict) else None
            raise BillingRefused(str(reason or "the billing service refused the transfer")[:300])
        if status != 200:
            raise BillingUnavailable(f"POST transfer: HTTP {status}")
        try:
            answer = TransferAnswer.model_validate(data)
        except ValidationError as exc:
            raise BillingUnavailable(f"POST transfer: unexpected answer ({_first_error(exc)})") from None
        moved = answer.subscription.to_subscription(user_id)
        if moved.guild_id != guild_id or moved.external_id != external_id:
            raise BillingUnavailable("POST transfer: the answer names another subscription or guild")
        return moved


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"

