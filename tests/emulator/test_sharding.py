"""The emulator serves a sharded bot the way Discord does: ``GET /gateway/bot`` with the
identify budget, guilds on shard ``(guild_id >> 22) % shard_count``, events on that
shard's connection only, and an IDENTIFY refused (4008) when its bucket identifies too fast."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from alphapy.testing.emulator import DiscordEmulator


async def _gateway_bot(emu: DiscordEmulator) -> dict[str, Any]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as http:
        async with http.get(emu.api_base + "/gateway/bot") as resp:
            assert resp.status == 200
            body: dict[str, Any] = await resp.json()
            return body


async def _identify(http: aiohttp.ClientSession, emu: DiscordEmulator, shard: list[int]) -> Any:
    """A raw gateway connection that identified as ``shard``; its READY read (or it closed)."""
    ws = await http.ws_connect(emu.gateway_url)
    hello = json.loads((await ws.receive()).data)
    assert hello["op"] == 10
    await ws.send_json({"op": 2, "d": {"token": emu.token, "intents": 1 | 1 << 9 | 1 << 15, "shard": shard,
                                       "properties": {}}})
    return ws


async def _dispatches(ws: Any, until: str) -> list[dict[str, Any]]:
    """Frames up to and including the first dispatch named ``until``."""
    seen: list[dict[str, Any]] = []
    while True:
        msg = await ws.receive(timeout=5)
        assert msg.type is aiohttp.WSMsgType.TEXT, msg
        frame = json.loads(msg.data)
        seen.append(frame)
        if frame.get("t") == until:
            return seen


async def test_gateway_bot_answers_shards_and_the_identify_budget(emu: DiscordEmulator) -> None:
    emu.shard_count = 6
    emu.gateway.start_limit.max_concurrency = 2
    before = await _gateway_bot(emu)
    assert before["shards"] == 6 and before["url"] == emu.gateway_url
    limit = before["session_start_limit"]
    assert limit["max_concurrency"] == 2 and limit["total"] == 1000 and 0 < limit["reset_after"] <= 86_400_000
    async with aiohttp.ClientSession() as http:
        ws = await _identify(http, emu, [0, 6])
        await _dispatches(ws, "READY")
        await ws.close()
    assert (await _gateway_bot(emu))["session_start_limit"]["remaining"] == limit["remaining"] - 1


async def test_each_shard_gets_its_own_guilds_and_events(emu: DiscordEmulator) -> None:
    guilds = [emu.add_guild(f"Spread {i}") for i in range(8)]
    on_shard = {s: {str(g.id) for g in guilds if (g.id >> 22) % 2 == s} for s in (0, 1)}
    assert on_shard[0] and on_shard[1]
    async with aiohttp.ClientSession() as http:
        sockets = {s: await _identify(http, emu, [s, 2]) for s in (0, 1)}
        for shard, ws in sockets.items():
            ready = (await _dispatches(ws, "READY"))[-1]["d"]
            assert {g["id"] for g in ready["guilds"]} == on_shard[shard]
            assert ready["shard"] == [shard, 2]
        assert emu.gateway.shard_holders() == {0: 1, 1: 1}
        target = next(g for g in guilds if str(g.id) in on_shard[1])
        await emu.post(target.channel("general"), "for shard one", author=target.owner)
        frames = await _dispatches(sockets[1], "MESSAGE_CREATE")
        assert frames[-1]["d"]["guild_id"] == str(target.id)
        shard_zero_events = [f.get("t") for f in emu.gateway.sessions_of(0)[0].buffer_frames()]
        assert "MESSAGE_CREATE" not in shard_zero_events
        for ws in sockets.values():
            await ws.close()


async def test_an_identify_too_soon_in_its_bucket_is_refused_with_4008() -> None:
    async with DiscordEmulator(openapi_spec=False, shard_count=4, max_concurrency=2,
                               identify_interval=60.0) as emu, aiohttp.ClientSession() as http:
        first = await _identify(http, emu, [0, 4])
        await _dispatches(first, "READY")
        other_bucket = await _identify(http, emu, [1, 4])  # bucket 1 % 2: its own budget
        await _dispatches(other_bucket, "READY")
        same_bucket = await _identify(http, emu, [2, 4])  # bucket 2 % 2 == 0 identified just now
        closed = await same_bucket.receive(timeout=5)
        assert closed.type is aiohttp.WSMsgType.CLOSE and closed.data == 4008
        assert emu.gateway.start_limit.refused == 1
        assert emu.gateway.shard_holders() == {0: 1, 1: 1}
        for ws in (first, other_bucket, same_bucket):
            await ws.close()
