"""``POST /api/premium/webhook``: the billing system tells us what happened, signed.

The sender signs every delivery (Stripe's scheme, so a captured body cannot be replayed
under a fresh timestamp):

    X-Premium-Timestamp: 1735689600                       (Unix seconds)
    X-Premium-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

and the body is one event::

    {"id": "evt_1", "type": "subscription.created",
     "data": {"subscription_id": "sub_1", "user_id": "1", "guild_id": "2",
              "tier": "monthly", "expires_at": "2030-01-01T00:00:00Z"}}

``type`` is ``subscription.created``, ``.renewed`` (new ``expires_at``, maybe a new
``tier``), ``.cancelled`` (stays premium until ``expires_at``) or ``.expired``.

Answers: ``200 {"status": "applied"}`` or ``{"status": "duplicate"}`` (that event id was
applied before: nothing changes); ``400`` malformed JSON (or nested too deeply) or a
malformed event; ``401`` missing or wrong signature, or a timestamp more than five
minutes away; ``404`` an unknown subscription (not recorded, so a retry after the
``created`` event applies); ``409`` the user already holds another active subscription;
``413`` a body over 64 KiB, however it is framed (Content-Length or chunked); ``503`` no
``PREMIUM_WEBHOOK_SECRET`` configured. Only a 200 records the event id, in the same
transaction as the change: a delivery is applied exactly once however often it comes.
The whole body is read before the signature is checked, in as many TCP segments as
it takes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from alphapy import BodyTooLarge, NotJson, Queryable, get_logger, parse_json, read_body
from alphapy_premium import store
from alphapy_premium.model import MAX_EXTERNAL_ID, MAX_SNOWFLAKE, Subscription

if TYPE_CHECKING:
    from alphapy_premium.config import PremiumConfig
    from alphapy_premium.service import PremiumService

log = get_logger("alphapy.plugins.premium")

PATH = "/api/premium/webhook"
TIMESTAMP_HEADER = "X-Premium-Timestamp"
SIGNATURE_HEADER = "X-Premium-Signature"
MAX_BODY = 64 * 1024

EventType = Literal["subscription.created", "subscription.renewed", "subscription.cancelled",
                    "subscription.expired"]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=MAX_EXTERNAL_ID, pattern=r"^[\x21-\x7e]+$")]
Snowflake = Annotated[int, Field(gt=0, le=MAX_SNOWFLAKE)]


def sign(secret: str | bytes, timestamp: str | int, body: bytes) -> str:
    """The ``X-Premium-Signature`` value for ``body`` sent at ``timestamp``."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str | bytes, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers for a delivery of ``body`` (the sender's side; tests and tools use it)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, body),
            "Content-Type": "application/json"}


class Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def verify(secret: bytes, headers: Any, body: bytes, *, now: float, tolerance: int) -> None:
    """Raise :class:`Rejected` (401) unless the delivery is signed and fresh."""
    stamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not stamp or not signature:
        raise Rejected(401, "missing signature headers")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise Rejected(401, "malformed timestamp")
    expected = sign(secret, stamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace")):
        raise Rejected(401, "bad signature")
    if abs(now - int(stamp)) > tolerance:
        raise Rejected(401, "timestamp outside the tolerance")


class EventData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subscription_id: Identifier
    user_id: Snowflake
    guild_id: Snowflake | None = None
    tier: Literal["monthly", "yearly", "lifetime"] | None = None
    expires_at: AwareDatetime | None = None


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Identifier
    type: EventType
    data: EventData

    @model_validator(mode="after")
    def _complete(self) -> Event:
        data = self.data
        if self.type == "subscription.created" and (data.guild_id is None or data.tier is None):
            raise ValueError("subscription.created needs guild_id and tier")
        if (self.type in ("subscription.created", "subscription.renewed") and data.tier is not None
                and (data.tier == "lifetime") != (data.expires_at is None)):
            raise ValueError("expires_at is required for monthly and yearly and absent for lifetime")
        if self.type == "subscription.renewed" and data.tier is None and data.expires_at is None:
            raise ValueError("subscription.renewed needs expires_at")
        return self


async def apply(db: Any, event: Event, grace: timedelta) -> tuple[int, dict[str, Any], int | None]:
    """Apply one event exactly once: (HTTP status, answer, user whose premium changed)."""
    data = event.data
    async with db.transaction() as conn:
        if not await store.claim_event(conn, event.id, event.type):
            return 200, {"status": "duplicate"}, None
        row = await store.by_external_id(conn, data.subscription_id, lock=True)
        if row is not None and row["user_id"] != data.user_id:
            raise Rejected(409, "that subscription belongs to another user")
        try:
            if event.type == "subscription.created":
                assert data.guild_id is not None and data.tier is not None
                if row is None:
                    await store.expire_overdue_of_user(conn, data.user_id, grace)
                    row = await store.insert(conn, user_id=data.user_id, guild_id=data.guild_id, tier=data.tier,
                                             expires_at=data.expires_at, external_id=data.subscription_id)
                else:  # delivered again under a new event id: make the row say what the event says
                    row = await store.update_from_billing(conn, row["id"], guild_id=data.guild_id, tier=data.tier,
                                                          status="active", expires_at=data.expires_at)
            elif row is None:
                raise Rejected(404, "unknown subscription")
            elif event.type == "subscription.renewed":
                tier, expires_at = data.tier or row["tier"], data.expires_at
                if (tier == "lifetime") != (expires_at is None):
                    raise Rejected(400, "expires_at does not fit the tier")
                row = await store.update_from_billing(conn, row["id"], guild_id=row["guild_id"], tier=tier,
                                                      status="active", expires_at=expires_at)
            elif event.type == "subscription.cancelled":
                if row["status"] == "active":
                    row = await store.set_status(conn, row["id"], "cancelled", from_statuses=("active",))
            else:
                row = await store.set_status(conn, row["id"], "expired", from_statuses=("active", "cancelled")) or row
        except store.AlreadyActive as exc:
            existing = exc.existing["id"] if exc.existing is not None else "?"
            raise Rejected(409, f"user already has another active subscription (#{existing})") from None
    assert row is not None
    sub = Subscription.from_row(row)
    log.info("premium.webhook_applied", event_id=event.id, event_type=event.type, subscription_id=sub.id,
             user_id=sub.user_id, guild_id=sub.guild_id, status=sub.status)
    return 200, {"status": "applied", "subscription": sub.id}, sub.user_id


def _answer(status: int, payload: dict[str, Any]) -> web.Response:
    return web.Response(status=status, text=json.dumps(payload), content_type="application/json")


#: the live :class:`PremiumConfig` and the process's premium service for a request (None
#: before start-up)
ConfigSource = Callable[[web.Request], tuple["PremiumConfig | None", "PremiumService | None"]]


def make_handler(db: Queryable, config_source: ConfigSource) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The route handler; ``config_source(request)`` says what is live when it comes."""

    async def handle(request: web.Request) -> web.Response:
        config, service = config_source(request)
        if config is None or config.webhook_secret is None:
            return _answer(503, {"error": "the premium webhook is not configured"})
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            return _answer(413, {"error": "body too large"})
        try:
            verify(config.webhook_secret.get_secret_value().encode(), request.headers, body,
                   now=time.time(), tolerance=config.webhook_tolerance_seconds)
            try:
                raw = parse_json(body)
            except NotJson as exc:
                raise Rejected(400, str(exc)) from None
            try:
                event = Event.model_validate(raw)
            except ValidationError as exc:
                error = exc.errors()[0]
                where = ".".join(str(p) for p in error["loc"]) or "body"
                raise Rejected(400, f"{where}: {error['msg']}"[:300]) from None
            grace = service.grace if service is not None else timedelta(hours=config.expiry_grace_hours)
            status, payload, changed_user = await apply(db, event, grace)
        except Rejected as exc:
            log.warning("premium.webhook_rejected", status=exc.status, reason=exc.message,
                        remote=request.remote)
            return _answer(exc.status, {"error": exc.message})
        if changed_user is not None and service is not None:
            service.invalidate(changed_user)
        return _answer(status, payload)

    return handle


def add_route(app: web.Application, db: Queryable, config_source: ConfigSource) -> None:
    app.router.add_post(PATH, make_handler(db, config_source))


__all__ = ["PATH", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "Event", "apply", "sign", "signed_headers", "verify"]
