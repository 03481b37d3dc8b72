"""Resident memory of the bot with every installed plugin against bare discord.py (issue 20).

The emulator runs in a process of its own (its copy of the guilds must not count) with
``GUILDS`` guilds of ``MEMBERS`` members. In turn, ``ROUNDS`` times: a real ``alphapy run``
process pointed at it (``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` / ``DISCORD_TOKEN``),
its RSS read with psutil once ``/readyz`` answers 200; then a bare discord.py bot with the
same intents and caches (``bare_discordpy_bot.py``), its RSS read once it is ready. The
database has every migration applied before (a bot restarting: nothing to apply).

Prints ``name: value unit`` lines and ``ratio bot_memory_over_bare_discordpy`` (the median of
each round's ratio; goal <= 1.25). ``BENCH_GUILDS`` / ``BENCH_ROUNDS`` override the sizes.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
from ratios import report

from alphapy.db.migrate import MigrationRunner
from alphapy.plugins import PluginManager
from alphapy.testing.database import TestDatabaseServer

GUILDS = int(os.environ.get("BENCH_GUILDS", "1000"))
MEMBERS = 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
SETTLE_SECONDS = 1.0  # let start-up garbage settle before reading the RSS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[str] | None) -> None:
    if process is None:
        return
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def alphapy_rss(env: dict[str, str]) -> tuple[float, float, dict[str, object]]:
    """MB once ready, seconds from process start to ready, the health report."""
    port = free_port()
    env = {**env, "HEALTH_PORT": str(port), "DASHBOARD_PORT": "0"}
    started = time.perf_counter()
    bot = subprocess.Popen([sys.executable, "-m", "alphapy", "run"], env=env, text=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if bot.poll() is not None:
                raise SystemExit("the bot stopped before it was ready")
            time.sleep(0.2)
        else:
            raise SystemExit("the bot did not become ready")
        ready = time.perf_counter() - started
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as response:
            health = json.loads(response.read())
        time.sleep(SETTLE_SECONDS)
        return psutil.Process(bot.pid).memory_info().rss / 2**20, ready, health
    finally:
        stop(bot)


def bare_rss(env: dict[str, str]) -> float:
    script = Path(__file__).resolve().parent / "bare_discordpy_bot.py"
    bare = subprocess.Popen([sys.executable, str(script)], env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    try:
        assert bare.stdout is not None
        line = bare.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit("the bare discord.py bot did not become ready")
        time.sleep(SETTLE_SECONDS)
        return psutil.Process(bare.pid).memory_info().rss / 2**20
    finally:
        stop(bare)


def main() -> None:
    server = TestDatabaseServer()
    url = server.create_database()
    plugins = PluginManager()
    plugins.load_entrypoints(log_failures=False)
    MigrationRunner(url, plugins.migration_sources()).apply()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "alphapy.testing.emulator", "--guilds", str(GUILDS), "--members", str(MEMBERS)],
        stdout=subprocess.PIPE, text=True)
    try:
        exports = ""
        assert emulator.stdout is not None
        for line in emulator.stdout:
            if line.startswith("export "):
                exports = line
                break
        env = dict(os.environ)
        for pair in exports.split()[1:]:
            key, _, value = pair.partition("=")
            env[key] = value
        env.update(DATABASE_URL=url, LOG_LEVEL="warning")
        env.pop("ALPHAPY_PLUGINS", None)
        ours, theirs, ratios, readies = [], [], [], []
        health: dict[str, object] = {}
        for _ in range(ROUNDS):
            rss, ready, health = alphapy_rss(env)
            bare = bare_rss(env)
            ours.append(rss)
            theirs.append(bare)
            readies.append(ready)
            ratios.append(rss / bare)
    finally:
        stop(emulator)
        server.drop_database(url)
        server.close()
    plugins_seen = ", ".join(sorted(health.get("plugins", {}) or {})) or "none with health"  # type: ignore[call-overload]
    print(f"bot_rss_{GUILDS}_guilds_{MEMBERS}_members: {statistics.median(ours):.0f} MB "
          f"(plugins: {plugins_seen}; guilds seen: {health.get('guilds')})")
    print(f"bare_discordpy_rss_{GUILDS}_guilds_{MEMBERS}_members: {statistics.median(theirs):.0f} MB")
    print(f"bot_process_start_to_ready_{GUILDS}_guilds: {statistics.median(readies):.1f} s "
          "(including interpreter start and imports)")
    report("bot_memory_over_bare_discordpy", statistics.median(ratios), "<=", 1.25)


if __name__ == "__main__":
    main()
