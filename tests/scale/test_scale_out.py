"""Three real ``alphapy run`` processes share one bot through PostgreSQL (``SHARD_IDS=auto``):
every guild served by exactly one of them, a ``kill -9`` taken over within the lease with
due work sent once, a rolling restart with no shard left alone longer than the lease.

Heavy (real processes, tens of seconds each): ``pytest -m scale``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time as clock_time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from alphapy.scheduler import shard_of
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
    await wait_for(lambda: len(emulator.gateway.connected_sessions) == SHARDS, 60,
                   "every shard connected once", bots)
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
        two_each = sorted(b.pid for b in bots for _ in range(2))
        # a process that registered late gets its share handed over within a few renewals
        await wait_for(lambda: sorted(leases(database).values()) == two_each, LEASE * 5, "two shards each", bots)
        await emulator.wait_until(lambda: served_once(emulator), timeout=20)
        assert served_once(emulator)
        assert emulator.gateway.start_limit.refused == 0  # the processes took turns to identify
        await answered_once_everywhere(emulator)
        await stop_cluster(bots, database)


async def add_reminder_due(database: str, guild: Any, due: datetime, name: str) -> int:
    """A reminder in ``guild``'s #general falling due at ``due`` (as the plugin stores one)."""
    from alphapy_reminders import store

    conn = await asyncpg.connect(database)
    try:
        async with conn.transaction():
            return int(await store.add_recurring(
                conn, guild_id=guild.id, name=name, channel_id=guild.channel("general").id,
                at=clock_time(19), call_time=clock_time(19), days=["0"], message="on time",
                created_by=guild.owner.id, mention_role_id=None, image_url=None, next_fire_at=due))
    finally:
        await conn.close()


def reminders_sent(emulator: DiscordEmulator, guild: Any, name: str) -> int:
    return sum(1 for m in guild.channel("general").messages
               if m.author.id == emulator.bot_user.id and m.embeds and m.embeds[0].get("title") == f"⏰ {name}")


async def test_a_killed_process_is_taken_over_within_the_lease(database: str, tmp_path: Path,
                                                               processes: list[BotProcess]) -> None:
    async with sharded_emulator(120, processes) as emulator:
        bots = await start_cluster(emulator, database, tmp_path, processes)
        victim, survivors = bots[0], bots[1:]
        orphaned = sorted(s for s, pid in leases(database).items() if pid == victim.pid)
        guild = next(g for g in emulator.guilds if shard_of(g.id, SHARDS) in orphaned)
        due = datetime.now(UTC) + timedelta(seconds=1.5)  # falls due while nobody serves the guild
        await add_reminder_due(database, guild, due, "Takeover")
        await asyncio.to_thread(victim.kill)
        killed = time.monotonic()
        alive = {b.pid for b in survivors}
        await wait_for(lambda: set(leases(database).values()) <= alive and len(leases(database)) == SHARDS,
                       LEASE * 3, "the killed process's shards claimed by the others", bots)
        claimed_after = time.monotonic() - killed
        await wait_for(lambda: served_once(emulator), LEASE * 5, "every shard connected once again", bots)
        served_after = time.monotonic() - killed
        # expiry (at most one lease after the last renewal), the next renewal, and slack for a loaded machine
        assert claimed_after < LEASE + LEASE / 6 + 2.0, claimed_after
        await emulator.wait_until(lambda: reminders_sent(emulator, guild, "Takeover") >= 1, timeout=20)
        await answered_once_everywhere(emulator)
        assert reminders_sent(emulator, guild, "Takeover") == 1
        print(f"takeover: claimed {claimed_after:.2f} s, served {served_after:.2f} s after kill -9 "
              f"(lease {LEASE:g} s)")
        await stop_cluster(survivors, database)


async def test_a_rolling_restart_leaves_no_shard_alone_longer_than_the_lease(
        database: str, tmp_path: Path, processes: list[BotProcess]) -> None:
    async with sharded_emulator(60, processes) as emulator:
        bots = await start_cluster(emulator, database, tmp_path, processes)
        alone_since: dict[int, float] = {}
        longest_alone = dict.fromkeys(range(SHARDS), 0.0)
        most_holders = 0
        watching = True

        async def watch() -> None:
            nonlocal most_holders
            while watching:
                holders = emulator.gateway.shard_holders()
                most_holders = max([most_holders, *holders.values()])
                now = time.monotonic()
                for shard in range(SHARDS):
                    if holders.get(shard):
                        alone_since.pop(shard, None)
                    else:
                        started = alone_since.setdefault(shard, now)
                        longest_alone[shard] = max(longest_alone[shard], now - started)
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        by_shard = {shard_of(g.id, SHARDS): g for g in emulator.guilds}
        start = datetime.now(UTC)
        due = {shard: (by_shard[shard], start + timedelta(seconds=3 + 4 * shard)) for shard in range(SHARDS)}
        for shard, (guild, at) in due.items():
            await add_reminder_due(database, guild, at, f"Rolling {shard}")
        for bot in bots:  # one at a time, as a supervisor's rolling update does
            assert await asyncio.to_thread(bot.terminate) == 0, bot.tail()
            bot.start()
            # a rolling update waits for the new process to be serving before the next stop
            await wait_for(lambda bot=bot: bot.running() and bot.pid in leases(database).values()
                           and served_once(emulator), LEASE * 10, "the restarted process serving its share again",
                           bots)
        last_due = max(at for _, at in due.values())
        await emulator.wait_until(
            lambda: all(reminders_sent(emulator, g, f"Rolling {s}") >= 1 for s, (g, _) in due.items()),
            timeout=max(5.0, (last_due - datetime.now(UTC)).total_seconds() + 15))
        watching = False
        await watcher
        await answered_once_everywhere(emulator)
        assert {s: reminders_sent(emulator, g, f"Rolling {s}") for s, (g, _) in due.items()} == dict.fromkeys(
            range(SHARDS), 1)
        assert most_holders == 1  # never two processes on one shard
        assert max(longest_alone.values()) < LEASE, longest_alone
        print(f"rolling restart: longest time a shard had no process {max(longest_alone.values()):.2f} s")
        await stop_cluster([b for b in bots if b.alive()], database)


def alphapy_cli(env: dict[str, str], folder: Path, *args: str) -> None:
    """One operator command: another process writing to the shared database."""
    done = subprocess.run([sys.executable, "-m", "alphapy", *args], env=env, cwd=folder,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


async def within_a_second(check: Any) -> float:
    """Seconds until ``check()`` (async) holds; fails after one second."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < 1.0, "not seen within a second"
    return time.monotonic() - started


async def test_a_setting_and_a_premium_grant_reach_the_serving_processes_within_a_second(
        database: str, tmp_path: Path, processes: list[BotProcess]) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    async with sharded_emulator(12, processes) as emulator:
        bots = await start_cluster(emulator, database, tmp_path, processes, count=2)
        holder = leases(database)
        one_per_process = {holder[shard_of(g.id, SHARDS)]: g for g in emulator.guilds}
        assert set(one_per_process) == {b.pid for b in bots}
        env = bots[0].env

        async def timezone_shown(guild: Any, zone: str) -> bool:
            reply = await emulator.slash(guild.owner, "settings show", scope="core")
            return zone in reply.embeds[0]["description"]

        for guild in one_per_process.values():
            assert not await timezone_shown(guild, "Europe/Paris")  # read once: now in the process's cache
            await asyncio.to_thread(alphapy_cli, env, tmp_path, "settings", "set", "--guild", str(guild.id),
                                    "core", "timezone", "Europe/Paris")
            await within_a_second(lambda guild=guild: timezone_shown(guild, "Europe/Paris"))

        guild = next(iter(one_per_process.values()))

        async def image_reminder_saved() -> bool:
            reply = await emulator.slash(guild.owner, "reminder add", name="Poster", days="mon", time="19:00",
                                         message="Bring it",
                                         channel=guild.channel("general"), image=("poster.png", png, "image/png"))
            return reply.content.startswith("Saved")

        assert not await image_reminder_saved()  # a premium feature: refused, and "no premium" is cached
        await asyncio.to_thread(alphapy_cli, env, tmp_path, "premium", "grant", "--user", str(guild.owner.id),
                                "--guild", str(guild.id), "--tier", "monthly")
        await within_a_second(image_reminder_saved)
        await stop_cluster(bots, database)


def health_url(bot: BotProcess) -> str | None:
    """Where the process's health server listens (its ``health.listening`` log line)."""
    import json

    for line in bot.stderr_path.read_text(errors="replace").splitlines():
        if '"health.listening"' in line:
            return str(json.loads(line)["url"])
    return None


def readyz(url: str) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=5) as resp:
            return int(resp.status), json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read())


async def test_a_standby_takes_over_and_a_lost_lease_stops_only_that_shard(
        database: str, tmp_path: Path, processes: list[BotProcess]) -> None:
    async with sharded_emulator(4, processes) as emulator:
        env = bot_environment(emulator, database, SHARD_COUNT="1")
        await asyncio.to_thread(migrate, env, tmp_path)
        serving = BotProcess("serving", env, tmp_path).start()
        processes.append(serving)
        await wait_for(serving.running, 60, "the first process serving", [serving])
        standby = BotProcess("standby", env, tmp_path).start()
        processes.append(standby)
        await wait_for(lambda: health_url(standby) is not None and "shards.waiting" in standby.stderr_path.read_text(),
                       60, "the second process waiting for a shard", [serving, standby])
        url = health_url(standby)
        assert url is not None
        status, body = await asyncio.to_thread(readyz, url)
        assert status == 503 and "no shard claimed yet" in body["reasons"]

        await asyncio.to_thread(serving.kill)
        await wait_for(standby.running, LEASE * 5, "the standby serving after the kill", [serving, standby])
        status, body = await asyncio.to_thread(readyz, url)
        assert status == 200, body
        assert leases(database) == {0: standby.pid}

        conn = await asyncpg.connect(database)
        try:  # as if the database had judged its lease expired and another process claimed the shard
            await conn.execute("UPDATE shard_leases SET holder = 'elsewhere', pid = 1,"
                               " expires_at = now() + interval '1 hour' WHERE shard_id = 0")
            await emulator.wait_until(lambda: not emulator.gateway.connected_sessions, timeout=10)
            assert standby.alive()  # it stopped serving that shard, not running
            await wait_for(lambda: readyz(url) == (503, {"status": "not_ready",
                                                         "reasons": ["shards lost to another process"]}),
                           10, "/readyz saying why the process is not ready", [standby])
            await conn.execute("UPDATE shard_leases SET holder = '', expires_at = '-infinity' WHERE shard_id = 0")
        finally:
            await conn.close()
        await wait_for(lambda: leases(database) == {0: standby.pid}, LEASE * 3, "the shard claimed again",
                       [serving, standby])
        await emulator.wait_until(lambda: len(emulator.gateway.connected_sessions) == 1, timeout=10)
        assert (await emulator.slash(emulator.guilds[0].owner, "ping")).content.startswith("Pong")
        await stop_cluster([standby], database)
