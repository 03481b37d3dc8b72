"""``POST /api/premium/webhook`` on the core's real web server: signatures, replays, events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest_asyncio
from alphapy_premium import ledger, store
from alphapy_premium.testing import webhook_delivery
from alphapy_premium.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers

from alphapy.testing import running_alphapy

SECRET = "whsec-test-0123456789abcdef"
USER, GUILD = 222_000_000_000_000_001, 333_000_000_000_000_001


def iso(days: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).isoformat()


@dataclass
class Hook:
    url: str
    http: aiohttp.ClientSession
    bot: Any

    async def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        async with self.http.post(self.url, data=body, headers=headers) as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None

    async def send(self, event_type: str, secret: str = SECRET, **data: Any) -> tuple[int, Any]:
        event_id = data.pop("event_id", None)
        body, headers = webhook_delivery(secret, event_type, data, event_id=event_id)
        return await self.post(body, headers)

    async def rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in await self.bot.db.fetch("SELECT * FROM premium_subs ORDER BY id")]

    async def events(self) -> int:
        return await self.bot.db.fetchval("SELECT count(*) FROM premium_webhook_events")


@pytest_asyncio.fixture
async def hook(emulator, guild, migrated_database_url, alphapy_plugins, premium_env) -> AsyncIterator[Hook]:
    premium_env(webhook_secret=SECRET)
    async with (running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins, health=True) as runner,
                aiohttp.ClientSession() as http):
        yield Hook(f"{runner.services.health.url}/api/premium/webhook", http, runner.bot)


CREATED = {"subscription_id": "sub_1", "user_id": USER, "guild_id": GUILD, "tier": "monthly"}


async def test_a_subscription_lives_through_its_events(hook: Hook) -> None:
    status, answer = await hook.send("subscription.created", **CREATED, expires_at=iso(30))
    assert (status, answer["status"]) == (200, "applied")
    (row,) = await hook.rows()
    assert (row["user_id"], row["guild_id"], row["tier"], row["status"], row["stripe_subscription_id"]) == (
        USER, GUILD, "monthly", "active", "sub_1")
    assert (await hook.bot.premium_status(USER, GUILD)).active

    renewed_until = iso(400)
    status, _ = await hook.send("subscription.renewed", subscription_id="sub_1", user_id=USER, tier="yearly",
                                expires_at=renewed_until)
    (row,) = await hook.rows()
    assert status == 200 and row["tier"] == "yearly" and row["expires_at"].isoformat() == renewed_until

    assert (await hook.send("subscription.cancelled", subscription_id="sub_1", user_id=USER))[0] == 200
    answer = await hook.bot.premium_status(USER, GUILD)
    assert (answer.active, answer.status) == (True, "cancelled")  # premium until expires_at

    assert (await hook.send("subscription.expired", subscription_id="sub_1", user_id=USER))[0] == 200
    assert not (await hook.bot.premium_status(USER, GUILD)).active
    assert [r["status"] for r in await hook.rows()] == ["expired"] and await hook.events() == 4


async def test_a_lifetime_subscription_has_no_expiry(hook: Hook) -> None:
    status, _ = await hook.send("subscription.created", **{**CREATED, "tier": "lifetime"})
    assert status == 200 and (await hook.rows())[0]["expires_at"] is None


async def test_a_delivery_is_applied_once_however_often_it_comes(hook: Hook) -> None:
    body, headers = webhook_delivery(SECRET, "subscription.created", {**CREATED, "expires_at": iso(30)},
                                     event_id="evt_once")
    assert (await hook.post(body, headers)) == (200, {"status": "applied", "subscription": 1})
    await ledger.revoke(hook.bot.db, sub_id=1)
    # the same delivery again, and re-signed under a fresh timestamp: nothing comes back to life
    assert (await hook.post(body, headers)) == (200, {"status": "duplicate"})
    assert (await hook.post(body, signed_headers(SECRET, body))) == (200, {"status": "duplicate"})
    assert [r["status"] for r in await hook.rows()] == ["expired"] and await hook.events() == 1


async def test_concurrent_deliveries_of_one_event_apply_once(hook: Hook) -> None:
    body, headers = webhook_delivery(SECRET, "subscription.created", {**CREATED, "expires_at": iso(30)})
    answers = await asyncio.gather(*(hook.post(body, headers) for _ in range(12)))
    assert sorted(a[1]["status"] for a in answers) == ["applied"] + ["duplicate"] * 11
    assert len(await hook.rows()) == 1


# --- refused deliveries: nothing changes -------------------------------------------------

def _tampered() -> list[tuple[str, Any]]:
    body = json.dumps({"id": "evt_x", "type": "subscription.created",
                       "data": {**CREATED, "user_id": str(USER), "guild_id": str(GUILD),
                                "expires_at": iso(30)}}).encode()
    stamp = str(int(time.time()))
    good = sign(SECRET, stamp, body)
    return [
        ("no headers", (body, {})),
        ("no signature", (body, {TIMESTAMP_HEADER: stamp})),
        ("another secret", (body, signed_headers("another-secret-0123456789", body))),
        ("body changed after signing", (body.replace(b"monthly", b"yearly"), {TIMESTAMP_HEADER: stamp,
                                                                             SIGNATURE_HEADER: good})),
        ("timestamp changed after signing", (body, {TIMESTAMP_HEADER: str(int(stamp) + 1), SIGNATURE_HEADER: good})),
        ("signature without its prefix", (body, {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: good.split("=", 1)[1]})),
        ("uppercase hex", (body, {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: good.upper()})),
        ("timestamp not a number", (body, {TIMESTAMP_HEADER: "yesterday", SIGNATURE_HEADER: good})),
        ("negative timestamp", (body, {TIMESTAMP_HEADER: "-1", SIGNATURE_HEADER: sign(SECRET, "-1", body)})),
        ("huge timestamp", (body, {TIMESTAMP_HEADER: "9" * 40, SIGNATURE_HEADER: sign(SECRET, "9" * 40, body)})),
        ("stale: six minutes old", (body, signed_headers(SECRET, body, int(time.time()) - 360))),
        ("from the future", (body, signed_headers(SECRET, body, int(time.time()) + 360))),
        ("non-ASCII signature", (body, {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: "sha256=é" * 3})),
    ]


async def test_a_bad_signature_changes_nothing(hook: Hook) -> None:
    for what, (body, headers) in _tampered():
        status, answer = await hook.post(body, {"Content-Type": "application/json", **headers})
        assert (status, set(answer)) == (401, {"error"}), what
    assert await hook.rows() == [] and await hook.events() == 0


MALFORMED = [
    b"", b"{", b"not json", b"\xff\xfe", b"[]", b"null", b"42", b'"text"', b'{"id": "evt"}',
    json.dumps({"id": "evt", "type": "subscription.created", "data": []}).encode(),
]


async def test_malformed_json_is_400(hook: Hook) -> None:
    for body in MALFORMED:
        status, answer = await hook.post(body, signed_headers(SECRET, body))
        assert status == 400 and "error" in answer, body
    assert await hook.rows() == [] and await hook.events() == 0


HOSTILE = [
    ("evt", "subscription.upgraded", {**CREATED, "expires_at": "2030-01-01T00:00:00Z"}),
    ("", "subscription.created", {**CREATED, "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt with spaces", "subscription.created", {**CREATED, "expires_at": "2030-01-01T00:00:00Z"}),
    ("e" * 201, "subscription.created", {**CREATED, "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt\x00", "subscription.created", {**CREATED, "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED, "tier": "platinum", "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED}),                                   # monthly without an end
    ("evt", "subscription.created", {**CREATED, "tier": "lifetime", "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED, "expires_at": "2030-01-01T00:00:00"}),  # no offset
    ("evt", "subscription.created", {**CREATED, "expires_at": "soon"}),
    ("evt", "subscription.created", {**CREATED, "user_id": -1, "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED, "user_id": 2**64, "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED, "user_id": "abc", "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED, "guild_id": None, "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED, "subscription_id": "'; DROP TABLE premium_subs; --",
                                     "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.created", {**CREATED, "subscription_id": "x" * 201, "expires_at": "2030-01-01T00:00:00Z"}),
    ("evt", "subscription.renewed", {"subscription_id": "sub_1", "user_id": USER}),  # renewed without an end
]


async def test_hostile_events_are_400(hook: Hook) -> None:
    for event_id, event_type, data in HOSTILE:
        body = json.dumps({"id": event_id, "type": event_type, "data": data}).encode()
        status, answer = await hook.post(body, signed_headers(SECRET, body))
        assert status == 400 and len(answer["error"]) <= 300, (event_id[:20], event_type, data, answer)
    assert await hook.rows() == [] and await hook.events() == 0


async def test_a_body_over_64_kib_is_413(hook: Hook) -> None:
    body = json.dumps({"id": "evt", "padding": "x" * 70_000}).encode()
    status, _ = await hook.post(body, signed_headers(SECRET, body))
    assert status == 413 and await hook.events() == 0


# --- how the body arrives: in pieces, chunked, nested ------------------------------------

async def _post_in_pieces(url: str, body: bytes, headers: dict[str, str], pieces: int) -> tuple[int, Any]:
    """POST over a raw socket, the body written in ``pieces`` separate writes."""
    from urllib.parse import urlsplit

    target = urlsplit(url)
    reader, writer = await asyncio.open_connection(target.hostname, target.port)
    head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Content-Length": str(len(body)),
                                                "Connection": "close"}.items())
    writer.write(f"POST {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n{head}\r\n".encode())
    await writer.drain()
    step = -(-len(body) // pieces)
    for start in range(0, len(body), step):
        # The pause lets the server see a partial body (correct code passes without it).
        await asyncio.sleep(0.05)
        writer.write(body[start:start + step])
        await writer.drain()
    answer = await reader.read()
    writer.close()
    head_text, _, payload = answer.partition(b"\r\n\r\n")
    return int(head_text.split()[1]), json.loads(payload)


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]
        await asyncio.sleep(0)


async def test_a_body_in_several_segments_is_read_whole(hook: Hook) -> None:
    body, headers = webhook_delivery(SECRET, "subscription.created", {**CREATED, "expires_at": iso(30)})
    assert (await _post_in_pieces(hook.url, body, headers, pieces=4)) == (200, {"status": "applied",
                                                                                "subscription": 1})
    assert len(await hook.rows()) == 1


async def test_a_chunked_body_is_read_whole(hook: Hook) -> None:
    body, headers = webhook_delivery(SECRET, "subscription.created", {**CREATED, "expires_at": iso(30)})
    async with hook.http.post(hook.url, data=_chunks(body, 40), headers=headers) as response:
        assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
        assert (response.status, await response.json()) == (200, {"status": "applied", "subscription": 1})


async def test_a_chunked_body_over_64_kib_is_413(hook: Hook) -> None:
    body = json.dumps({"id": "evt", "padding": "x" * 200_000}).encode()
    async with hook.http.post(hook.url, data=_chunks(body, 8192), headers=signed_headers(SECRET, body)) as response:
        assert (response.status, await response.json()) == (413, {"error": "body too large"})
    assert await hook.events() == 0


async def test_json_nested_too_deeply_is_400(hook: Hook) -> None:
    body = b"[" * 30_000 + b"]" * 30_000  # under 64 KiB, far deeper than the parser's recursion limit
    status, answer = await hook.post(body, signed_headers(SECRET, body))
    assert (status, answer) == (400, {"error": "the body is nested too deeply"})
    assert await hook.events() == 0


async def test_an_unknown_subscription_is_404_and_a_retry_applies(hook: Hook) -> None:
    renewal = {"subscription_id": "sub_9", "user_id": USER, "expires_at": iso(60), "event_id": "evt_renew"}
    assert (await hook.send("subscription.renewed", **dict(renewal)))[0] == 404
    assert await hook.events() == 0  # not recorded: the sender retries
    assert (await hook.send("subscription.created", **{**CREATED, "subscription_id": "sub_9"},
                            expires_at=iso(30)))[0] == 200
    assert (await hook.send("subscription.renewed", **dict(renewal)))[0] == 200
    assert (await hook.rows())[0]["expires_at"].isoformat() == renewal["expires_at"]


async def test_a_second_active_subscription_is_409(hook: Hook) -> None:
    await ledger.grant(hook.bot.db, user_id=USER, guild_id=GUILD + 1, tier="lifetime")
    status, answer = await hook.send("subscription.created", **CREATED, expires_at=iso(30))
    assert status == 409 and answer == {"error": "user already has another active subscription (#1)"}
    assert len(await hook.rows()) == 1 and await hook.events() == 0
    # another user's subscription id is not theirs to change
    await hook.send("subscription.created", **{**CREATED, "user_id": USER + 5}, expires_at=iso(30))
    status, _ = await hook.send("subscription.expired", subscription_id="sub_1", user_id=USER)
    assert status == 409 and [r["status"] for r in await hook.rows()] == ["active", "active"]


async def test_without_a_secret_the_webhook_is_off(emulator, guild, migrated_database_url, alphapy_plugins) -> None:
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins, health=True) as runner:
        body, headers = webhook_delivery("anything-0123456789abc", "subscription.created", CREATED)
        async with (aiohttp.ClientSession() as http,
                    http.post(f"{runner.services.health.url}/api/premium/webhook", data=body,
                              headers=headers) as response):
            assert response.status == 503
        assert await store.of_user(runner.bot.db, USER) == []
