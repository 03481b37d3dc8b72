"""A fake billing service ("Core-API") on loopback, for this plugin's tests and others'.

It speaks the contract of :mod:`alphapy_premium.billing` and can misbehave on purpose::

    async with FakeBilling() as billing:
        billing.subscribe(user_id, guild_id, tier="yearly", expires_at=...)
        monkeypatch.setenv(...)  # or: for k, v in billing.env().items(): monkeypatch.setenv(k, v)
        billing.mode = "down"     # 503 for everything
        billing.mode = "slow"     # answers after ``billing.delay`` seconds
        billing.mode = "garbage"  # 200 with a body that is not JSON
        billing.mode = "wrong"    # 200 with JSON of the wrong shape
        billing.mode = "other_user"  # a well-formed answer about somebody else
        billing.mode = "trickle"  # the right answer, chunked, a few bytes at a time
        await billing.stop()      # connection refused from now on

``billing.requests`` lists what was asked (method, path, authorization), so a test can
prove that an answer came from the cache. :func:`webhook_delivery` builds a signed
webhook request body and headers the way the billing system sends them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from alphapy_premium.webhook import signed_headers

TOKEN_PREFIX = "fake-billing-token-"


@dataclass
class FakeSubscription:
    id: str
    user_id: int
    guild_id: int
    tier: str
    status: str = "active"
    expires_at: datetime | None = None

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, "guild_id": str(self.guild_id), "tier": self.tier, "status": self.status,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None}


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    body: Any = None


@dataclass
class FakeBilling:
    """The billing service on ``127.0.0.1`` and a free port."""

    token: str = field(default_factory=lambda: TOKEN_PREFIX + secrets.token_hex(8))
    mode: str = "up"
    delay: float = 5.0
    refuse_transfers: str | None = None  # a reason: transfers answer 409 with it
    subscriptions: dict[int, FakeSubscription] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)
        self.port = 0

    # --- arranging ----------------------------------------------------------------------
    def subscribe(self, user_id: int, guild_id: int, *, tier: str = "monthly", status: str = "active",
                  expires_at: datetime | None = None, sub_id: str | None = None) -> FakeSubscription:
        sub = FakeSubscription(sub_id or f"sub_fake_{next(self._ids)}", user_id, guild_id, tier, status, expires_at)
        self.subscriptions[user_id] = sub
        return sub

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """``PREMIUM_API_URL`` and ``PREMIUM_API_TOKEN`` pointing at this fake."""
        return {"PREMIUM_API_URL": self.url, "PREMIUM_API_TOKEN": self.token}

    def asked(self, path_prefix: str = "/v1/premium/users/") -> int:
        return sum(1 for r in self.requests if r.path.startswith(path_prefix))

    # --- the server ---------------------------------------------------------------------
    async def start(self) -> FakeBilling:
        app = web.Application()
        app.router.add_get("/v1/premium/users/{user_id}", self._user)
        app.router.add_post("/v1/premium/subscriptions/{sub_id}/transfer", self._transfer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBilling:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _misbehave(self) -> web.Response | None:
        if self.mode == "down":
            return web.Response(status=503, text="maintenance")
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if self.mode == "garbage":
            return web.Response(status=200, text="<html>oops</html>", content_type="text/html")
        if self.mode == "wrong":
            return web.json_response({"user": "someone", "premium": "yes please"})
        return None

    async def _user(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Seen("GET", request.path, request.headers.get("Authorization")))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        odd = await self._misbehave()
        if odd is not None:
            return odd
        user_id = int(request.match_info["user_id"])
        if self.mode == "other_user":
            return web.json_response({"user_id": str(user_id + 1), "subscription": None})
        sub = self.subscriptions.get(user_id)
        answer = {"user_id": str(user_id), "subscription": sub.payload() if sub else None}
        if self.mode == "trickle":
            return await self._trickle(request, answer)
        return web.json_response(answer)

    async def _trickle(self, request: web.Request, answer: dict[str, Any]) -> web.StreamResponse:
        """The answer in 16-byte chunks with pauses, as a slow proxy or a busy server sends it."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        body = json.dumps(answer).encode()
        for start in range(0, len(body), 16):
            await response.write(body[start:start + 16])
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    async def _transfer(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(Seen("POST", request.path, request.headers.get("Authorization"), body))
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "unauthorized"}, status=401)
        odd = await self._misbehave()
        if odd is not None:
            return odd
        if self.refuse_transfers:
            return web.json_response({"error": self.refuse_transfers}, status=409)
        sub = next((s for s in self.subscriptions.values() if s.id == request.match_info["sub_id"]), None)
        if sub is None or str(sub.user_id) != str(body.get("user_id")):
            return web.json_response({"error": "no such subscription"}, status=404)
        sub.guild_id = int(body["guild_id"])
        return web.json_response({"subscription": sub.payload()})


def webhook_delivery(secret: str, event_type: str, data: dict[str, Any], *, event_id: str | None = None,
                     timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """A signed delivery of one event: (raw body, headers)."""
    event = {"id": event_id or f"evt_{secrets.token_hex(6)}", "type": event_type, "created": int(time.time()),
             "data": {k: (str(v) if k in ("user_id", "guild_id") else v) for k, v in data.items()}}
    body = json.dumps(event, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)).encode()
    return body, signed_headers(secret, body, timestamp)
