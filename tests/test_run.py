"""Running the bot for real: ``alphapy run`` with signals, and sharded bots sharing work."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from alphapy.scheduler import shard_of
from alphapy.testing.bot import running_alphapy


def test_alphapy_run_without_token_uses_the_emulator_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DISCORD_TOKEN", "ALPHAPY_PLUGINS", "HEALTH_PORT")}
    env.update(ALPHAPY_DATA_DIR=str(tmp_path / "data"), HEALTH_PORT="0", ALPHAPY_PLUGINS="", LOG_FORMAT="json",
               DASHBOARD_PORT="0", PLAYGROUND_PORT="0")
    process = subprocess.Popen([sys.executable, "-m", "alphapy", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("Alphapy is running") or not line:
            break
    assert lines[0].startswith("No DISCORD_TOKEN: running against the built-in Discord emulator at http://127.0.0.1:")
    assert lines[-1].startswith("Alphapy is running as Alphapy in 1 server(s)"), lines
    assert lines[-2].startswith("Dashboard at http://127.0.0.1:") and "consent page" in lines[-2], lines
    assert lines[-3].startswith("Playground at http://127.0.0.1:"), lines  # offline only, on loopback
    assert stat.S_IMODE((tmp_path / "data" / "dashboard_session_secret").stat().st_mode) == 0o600
    pidfile = tmp_path / "data" / "pgdata" / "postmaster.pid"
    assert pidfile.exists()  # the embedded database is up
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]
    assert out.strip().endswith("Alphapy stopped.")
    assert '"event": "scheduler.stopped"' in err  # the services stopped in order
    assert not pidfile.exists()  # and the embedded database with them


async def test_two_shard_processes_each_serve_their_own_guilds(emulator: Any, migrated_database_url: str) -> None:
    guilds = [emulator.add_guild(f"Guild {i}", owner_name=f"owner{i}") for i in range(6)]
    by_shard = {0: [g for g in guilds if shard_of(g.id, 2) == 0], 1: [g for g in guilds if shard_of(g.id, 2) == 1]}
    assert by_shard[0] and by_shard[1], "the emulator's ids spread guilds over both shards"
    async with running_alphapy(emulator, migrated_database_url, shard_count=2, shard_ids=[0]) as first, \
            running_alphapy(emulator, migrated_database_url, shard_count=2, shard_ids=[1]) as second:
        assert {g.id for g in first.bot.guilds} == {g.id for g in by_shard[0]}
        assert {g.id for g in second.bot.guilds} == {g.id for g in by_shard[1]}
        for guild in guilds:
            reply = await emulator.slash(guild.owner, "ping")
            assert reply.content.startswith("Pong")
        first_tracker, second_tracker = first.services.tracker, second.services.tracker  # type: ignore[union-attr]

        def recorded(tracker: Any) -> int:
            return tracker.queued + tracker.stats().written

        await emulator.wait_until(lambda: recorded(first_tracker) + recorded(second_tracker) == len(guilds))
        assert recorded(first_tracker) == len(by_shard[0]) and recorded(second_tracker) == len(by_shard[1])
