"""Three real ``alphapy run`` processes share one bot through PostgreSQL (``SHARD_IDS=auto``):
every guild served by exactly one of them, a ``kill -9`` taken over within the lease with
due work sent once, a rolling restart with no shard left alone longer than the lease.

Heavy (real processes, tens of seconds each): ``pytest -m scale``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time as clock_time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from alphapy.scheduler import notify_due, shard_of
from alphapy.testing.emulator import DiscordEmulator

from .cluster import BotProcess, bot_environment, leases, migrate
from .tcp_postgres import TcpPostgres

pytestmark = pytest.mark.scale

SHARDS = 6
LEASE = 3.0
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"


@pytest.fixture
def database(tcp_postgres: TcpPostgres) -> str:
    return tcp_postgres.create_database()


@asynccontextmanager
async def sharded_emulator(guilds: int, processes: list[BotProcess]) -> AsyncIterator[DiscordEmulator]:
    """An emulator enforcing the identify rate (one per bucket per 0.25 s) with ``guilds``;
    the bot processes end before it does (they would reconnect to a closing emulator)."""
    emulator = DiscordEmulator(shard_count=SHARDS, identify_interval=0.25, max_concurrency=1,
                               interaction_deadline=10.0, timeout=20.0)
    for i in range(guilds):
        emulator.add_guild(f"Scale {i}", owner_name=f"owner{i}")
    async with emulator:
        try:
            yield emulator
        finally:
            for bot in processes:
                if bot.alive():
                    await asyncio.to_thread(bot.kill)
    assert not emulator.internal_errors, emulator.internal_errors[:3]


async def stop_cluster(bots: list[BotProcess], database: str) -> None:
    """SIGTERM every process at once: each stops cleanly and hands its shards back."""
    codes = await asyncio.gather(*(asyncio.to_thread(b.terminate) for b in bots))
    assert codes == [0] * len(bots), "\n".join(b.tail() for b in bots)
    assert leases(database) == {}


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[BotProcess]]:
    """The bot processes a test starts; killed at the end, whatever happened."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        if bot.alive():
            bot.kill()


async def start_cluster(emulator: DiscordEmulator, database: str, folder: Path, processes: list[BotProcess],
                        count: int = 3, **values: str) -> list[BotProcess]:
    env = bot_environment(emulator, database, **values)
    await asyncio.to_thread(migrate, env, folder)
    bots = [BotProcess(f"bot{i}", env, folder).start() for i in range(count)]
    processes.extend(bots)
    await wait_for(lambda: all(b.running() for b in bots) and len(leases(database)) == SHARDS, 60,
                   "every process running and every shard leased", bots)
    await emulator.wait_until(lambda: len(emulator.gateway.connected_sessions) == SHARDS, timeout=30)
    return bots


async def wait_for(condition: Any, timeout: float, what: str, bots: list[BotProcess]) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}\n" + "\n".join(b.tail() for b in bots))
        await asyncio.sleep(0.1)


async def answered_once_everywhere(emulator: DiscordEmulator) -> None:
    """A slash command in every guild gets exactly one answer."""
    before = len(emulator.requests.matching("POST", CALLBACK))
    for guild in emulator.guilds:
        reply = await emulator.slash(guild.owner, "ping")
        assert reply.content.startswith("Pong"), (guild.name, reply.content)
    await emulator.settle()
    assert len(emulator.requests.matching("POST", CALLBACK)) - before == len(emulator.guilds)


def served_once(emulator: DiscordEmulator) -> bool:
    return emulator.gateway.shard_holders() == {shard: 1 for shard in range(SHARDS)}


async def test_three_processes_serve_600_guilds_each_guild_once(database: str, tmp_path: Path,
                                                                processes: list[BotProcess]) -> None:
    async with sharded_emulator(600, processes) as emulator:
        bots = await start_cluster(emulator, database, tmp_path, processes)
        held = leases(database)
        assert sorted(held) == list(range(SHARDS))
        assert sorted(held.values()) == sorted(b.pid for b in bots for _ in range(2))  # two shards each
        assert served_once(emulator)
        assert emulator.gateway.start_limit.refused == 0  # the processes took turns to identify
        await answered_once_everywhere(emulator)
        await stop_cluster(bots, database)
