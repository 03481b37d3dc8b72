"""Real ``alphapy run`` processes sharing one emulator and one database (SHARD_IDS=auto).

The test process hosts the emulator; each bot is a child process started the way an
operator's supervisor starts it, with its output in files for the failure message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

RUNNING = "Alphapy is running"


def bot_environment(emulator: Any, database_url: str, **values: str) -> dict[str, str]:
    """The environment of one bot process: the emulator as Discord, shards leased quickly."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "DATABASE_URL", "ALPHAPY_", "HEALTH_", "SHARD_", "OPENAI_", "DB_"))}
    env.update(
        DATABASE_URL=database_url, DISCORD_TOKEN=emulator.token, DISCORD_API_BASE=emulator.api_base,
        DISCORD_GATEWAY_URL=emulator.gateway_url, ALPHAPY_PLUGINS="reminders,premium", LOG_FORMAT="json",
        LOG_LEVEL="info", HEALTH_PORT="0", DASHBOARD_PORT="0", SHARD_IDS="auto", SHARD_COUNT="6",
        SHARD_LEASE_SECONDS="3", SHARD_IDENTIFY_SECONDS="0.3", DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="4",
        DB_TRACKER_POOL_SIZE="1",
    )
    env.update(values)
    return env


def migrate(env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "alphapy", "migrate"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


@dataclass
class BotProcess:
    """One ``alphapy run``; ``name`` labels its output files."""

    name: str
    env: dict[str, str]
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    started: list[float] = field(default_factory=list)

    @property
    def stdout_path(self) -> Path:
        return self.folder / f"{self.name}.{len(self.started)}.out"

    @property
    def stderr_path(self) -> Path:
        return self.folder / f"{self.name}.{len(self.started)}.err"

    def start(self) -> BotProcess:
        self.started.append(time.monotonic())
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "alphapy", "run"], env=self.env,
                                            cwd=self.folder, stdout=out, stderr=err)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def running(self) -> bool:
        """Whether it printed the running line (it holds shards and is connected)."""
        return RUNNING in self.stdout_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """``kill -9``: no clean stop, the leases are left to expire."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, as a supervisor stops it; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def tail(self) -> str:
        return (f"--- {self.name} stdout\n{self.stdout_path.read_text(errors='replace')[-2000:]}\n"
                f"--- {self.name} stderr\n{self.stderr_path.read_text(errors='replace')[-4000:]}")


def leases(database_url: str) -> dict[int, int]:
    """shard id -> pid of its live holder (shards without one are left out)."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT shard_id, pid FROM shard_leases WHERE holder <> '' AND expires_at > now()"
                            ).fetchall()
    return {int(shard): int(pid) for shard, pid in rows}
