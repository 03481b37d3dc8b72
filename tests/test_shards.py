"""SHARD_IDS=auto in one test process: several bots share the shards of one emulator through
the lease table, take over a stopped bot's shards, take turns to IDENTIFY and stop serving
a shard whose lease another process holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from alphapy.scheduler import shard_of
from alphapy.shards import ShardLeases, fair_share
from alphapy.testing.bot import running_alphapy

AUTO = {"shard_ids": "auto", "shard_count": 4, "shard_lease_seconds": 3, "shard_identify_seconds": 0.3}


@asynccontextmanager
async def bots_started_together(emulator: Any, url: str, count: int, **config: Any) -> AsyncIterator[list[Any]]:
    """``count`` bots starting at the same moment, as a supervisor starts its processes."""
    contexts = [running_alphapy(emulator, url, **config) for _ in range(count)]
    started = await asyncio.gather(*(c.__aenter__() for c in contexts), return_exceptions=True)
    try:
        for outcome in started:
            if isinstance(outcome, BaseException):
                raise outcome
        yield list(started)
    finally:
        for context, outcome in zip(contexts, started, strict=True):
            if not isinstance(outcome, BaseException):
                await context.__aexit__(None, None, None)


def served_by(runner: Any) -> set[int]:
    return {g.id for g in runner.bot.guilds}


def test_a_fair_share_is_capped_by_shards_per_process() -> None:
    assert fair_share(6, 3, None) == 2 and fair_share(6, 4, None) == 2 and fair_share(6, 0, None) == 6
    assert fair_share(6, 1, 4) == 4


async def test_two_bots_share_the_shards_and_every_guild_is_served_once(emulator: Any,
                                                                        migrated_database_url: str) -> None:
    emulator.gateway.start_limit.identify_interval = 0.25  # Discord's rule, shortened: one per bucket
    guilds = [emulator.add_guild(f"Auto {i}", owner_name=f"owner{i}") for i in range(12)]
    async with bots_started_together(emulator, migrated_database_url, 2, **AUTO) as (first, second):
        await emulator.wait_until(lambda: len(emulator.gateway.connected_sessions) == 4, timeout=20)
        assert served_by(first) | served_by(second) == {g.id for g in guilds}
        assert not served_by(first) & served_by(second)
        assert set(emulator.gateway.shard_holders().values()) == {1}
        assert emulator.gateway.start_limit.refused == 0  # the bots took turns to identify
        for guild in guilds:
            assert (await emulator.slash(guild.owner, "ping")).content.startswith("Pong")
        rows = await first.services.db.fetch("SELECT shard_id, holder FROM shard_leases ORDER BY shard_id")
        holders = {r["holder"] for r in rows}
        assert holders == {first.shard_keeper.leases.holder, second.shard_keeper.leases.holder}


async def test_a_stopped_bot_hands_its_shards_to_the_other(emulator: Any, migrated_database_url: str) -> None:
    guilds = [emulator.add_guild(f"Handover {i}", owner_name=f"owner{i}") for i in range(8)]
    async with running_alphapy(emulator, migrated_database_url, **AUTO, shards_per_process=2) as stays, \
            running_alphapy(emulator, migrated_database_url, **AUTO) as leaves:
        await emulator.wait_until(lambda: len(emulator.gateway.connected_sessions) == 4, timeout=20)
        moving = set(leaves.shard_keeper.held)
        assert moving == {0, 1, 2, 3} - stays.shard_keeper.held
        stays.shard_keeper.per_process = None  # room for the shards of the one that leaves
        await leaves.stop()
        # the clean stop released its rows: the next renewal claims them and connects them live
        await emulator.wait_until(lambda: stays.shard_keeper.held == {0, 1, 2, 3}, timeout=10)
        await emulator.wait_until(lambda: served_by(stays) == {g.id for g in guilds}, timeout=20)
        await emulator.wait_until(lambda: set(stays.services.scheduler.shard_ids) == {0, 1, 2, 3}, timeout=10)
        for guild in guilds:
            if shard_of(guild.id, 4) in moving:
                assert (await emulator.slash(guild.owner, "ping")).content.startswith("Pong")


async def test_a_bot_whose_lease_is_taken_stops_serving_that_shard(emulator: Any,
                                                                   migrated_database_url: str) -> None:
    guild = emulator.add_guild("Taken", owner_name="owner")
    async with running_alphapy(emulator, migrated_database_url, **{**AUTO, "shard_count": 1}) as runner:
        [shard] = runner.shard_keeper.held
        conn = await asyncpg.connect(migrated_database_url)
        try:  # what a process that found the lease expired does: the row is someone else's
            await conn.execute("UPDATE shard_leases SET holder = 'elsewhere', expires_at = now() + interval '1 hour'"
                               " WHERE shard_id = $1", shard)
            await emulator.wait_until(lambda: not emulator.gateway.connected_sessions, timeout=10)
            assert runner.shards_lost == [shard] and runner.shard_keeper.held == set()
            assert shard not in runner.services.scheduler.shard_ids and not runner.bot.guilds
            assert not runner.bot.is_closed()  # the process goes on, without that shard
            # the other holder goes away: the shard is free, and claimed again
            await conn.execute("UPDATE shard_leases SET holder = '', expires_at = '-infinity' WHERE shard_id = $1",
                               shard)
        finally:
            await conn.close()
        await emulator.wait_until(lambda: runner.shard_keeper.held == {shard}, timeout=10)
        await emulator.wait_until(lambda: len(emulator.gateway.connected_sessions) == 1, timeout=10)
        await emulator.wait_until(lambda: served_by(runner) == {guild.id}, timeout=10)
        assert (await emulator.slash(guild.owner, "ping")).content.startswith("Pong")


async def test_identify_turns_are_spaced_per_bucket_across_holders(migrated_database_url: str) -> None:
    from alphapy.db import Database

    async with Database(migrated_database_url) as db:
        one = ShardLeases(db, 4, lease_seconds=3)
        other = ShardLeases(db, 4, lease_seconds=3)
        assert await one.identify_turn(0, 0.5) == 0.0
        waited = await other.identify_turn(0, 0.5)  # another process, same bucket: waits its turn
        assert waited > 0.3
        assert await other.identify_turn(1, 0.5) == 0.0  # another bucket: at once


@pytest.mark.parametrize("value", ["auto", "AUTO", " auto "])
def test_shard_ids_auto_needs_no_shard_count(value: str) -> None:
    from alphapy.config import load_config

    config = load_config(_env_file=None, shard_ids=value)
    assert config.shards_auto and config.shard_filter() == (1, [])


async def test_alphapy_shards_shows_every_shard_and_its_process(emulator: Any, migrated_database_url: str) -> None:
    import json
    import os
    import sys

    emulator.add_guild("Viewed", owner_name="owner")
    async with running_alphapy(emulator, migrated_database_url,
                               **{**AUTO, "shard_count": 2, "shards_per_process": 1}) as runner:
        await emulator.wait_until(lambda: runner.shard_keeper.renewals >= 1, timeout=10)  # figures reported
        env = {**os.environ, "DATABASE_URL": migrated_database_url, "ALPHAPY_PLUGINS": ""}

        async def shards(*args: str) -> tuple[int, str]:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "alphapy", "shards", *args, env=env,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(process.communicate(), timeout=60)
            assert not err.strip() or b"Traceback" not in err, err.decode()
            return process.returncode or 0, out.decode()

        code, text = await shards()
        [held] = runner.shard_keeper.held
        assert code == 1  # a shard without a process is worth an alert
        lines = text.splitlines()
        assert lines[0].split() == ["SHARD", "PROCESS", "HOST", "RENEWED", "LATENCY", "GUILDS"]
        mine = next(line for line in lines if line.startswith(f"{held}/2 "))
        assert runner.shard_keeper.leases.holder in mine and mine.split()[-1] == str(len(runner.bot.guilds))
        assert next(line for line in lines if line.startswith(f"{1 - held}/2 ")).split()[1] == "(free)"
        assert lines[-1].startswith("1 shard(s) without a live process")
        code, raw = await shards("--json")
        rows = {row["shard_id"]: row for row in json.loads(raw)}
        assert rows[held]["holder"] == runner.shard_keeper.leases.holder and rows[held]["live"]
        assert rows[held]["latency_ms"] is not None and rows[1 - held]["holder"] == ""


async def test_health_describes_this_process_shards(emulator: Any, migrated_database_url: str) -> None:
    import aiohttp

    guilds = [emulator.add_guild(f"Health {i}", owner_name=f"owner{i}") for i in range(6)]
    async with running_alphapy(emulator, migrated_database_url, health=True,
                               **{**AUTO, "shard_count": 2, "shards_per_process": 1}) as runner:
        [held] = runner.shard_keeper.held
        health = runner.services.health
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{health.url}/api/health") as resp:
                shards = (await resp.json())["shards"]
            async with http.get(f"{health.url}/readyz") as resp:
                assert resp.status == 200, await resp.text()
        assert (shards["mode"], shards["shard_count"], shards["held"]) == ("auto", 2, [held])
        [detail] = shards["shards"]
        assert detail["id"] == held and detail["connected"]
        assert detail["guilds"] == sum(1 for g in guilds if shard_of(g.id, 2) == held)
        await runner.bot.shards[held].disconnect()  # this process's shard is down: not ready
        health.cache_seconds = 0
        async with aiohttp.ClientSession() as http, http.get(f"{health.url}/readyz") as resp:
            assert resp.status == 503 and f"shard {held} connecting" in (await resp.json())["reasons"]


def test_the_scheduler_of_an_auto_process_claims_nothing_until_shards_arrive() -> None:
    from alphapy.config import load_config
    from alphapy.scheduler import Scheduler

    scheduler = Scheduler.from_config(object(), load_config(_env_file=None, shard_ids="auto", shard_count=4))
    assert scheduler.shard_ids == [] and scheduler.shard_count == 4
    scheduler.serve_shards(4, [2, 0])
    guild_on_two = next(g for g in range(1 << 22, 1 << 30, 1 << 22) if shard_of(g, 4) == 2)
    assert scheduler.shard_ids == [0, 2] and scheduler.owns_guild(guild_on_two)
    with pytest.raises(ValueError):
        scheduler.serve_shards(4, [4])


async def test_without_shard_count_the_count_and_buckets_come_from_discord(emulator: Any,
                                                                          migrated_database_url: str) -> None:
    from alphapy.shards import GatewayPlan

    emulator.shard_count = 3
    emulator.gateway.start_limit.max_concurrency = 2
    guilds = [emulator.add_guild(f"Recommended {i}", owner_name=f"owner{i}") for i in range(6)]
    config = {k: v for k, v in AUTO.items() if k != "shard_count"}
    async with running_alphapy(emulator, migrated_database_url, **config) as runner:
        assert runner.shard_keeper.plan == GatewayPlan(shard_count=3, max_concurrency=2)
        assert runner.bot.shard_count == 3 and runner.shard_keeper.held == {0, 1, 2}
        assert served_by(runner) == {g.id for g in guilds}
        assert runner.services.config.shard_filter() == (3, [0, 1, 2])


async def test_a_shard_still_connecting_is_not_handed_over(migrated_database_url: str) -> None:
    """The rolling-restart race: a shard claimed at one renewal and shed at the next, while its
    connection was still waiting for an identify turn, got connected after the release."""
    from alphapy.db import Database
    from alphapy.shards import GatewayPlan, ShardKeeper

    async with Database(migrated_database_url) as db:
        keeper = ShardKeeper(ShardLeases(db, 2, lease_seconds=3), GatewayPlan(2), per_process=None,
                             identify_seconds=0.1)
        connected = asyncio.Event()
        launched: list[int] = []
        shed: list[int] = []

        async def connect(shard_ids: list[int]) -> None:
            await connected.wait()  # waiting for its identify turn
            launched.extend(shard_ids)

        async def hand_over(shard_ids: list[int]) -> None:
            shed.extend(shard_ids)

        keeper.on_claimed, keeper.on_shed = connect, hand_over
        await keeper.tick()  # alone: claims both shards, both start connecting
        assert keeper.held == {0, 1}
        newcomer = ShardLeases(db, 2, lease_seconds=3)
        await newcomer.register()  # a second process, with no shard: the fair share is now one
        await keeper.tick()
        assert shed == [] and keeper.held == {0, 1}  # both still connecting: neither is handed over
        connected.set()
        await asyncio.sleep(0.05)
        assert sorted(launched) == [0, 1]
        await keeper.tick()
        assert shed == [1] and keeper.held == {0}
        assert await newcomer.claim(1) == [1]
        await keeper.stop()
