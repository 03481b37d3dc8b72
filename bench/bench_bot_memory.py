"""Resident memory of the bot with every installed plugin, 1,000 guilds of 50 members.

The emulator runs in a process of its own (its copy of the guilds must not count), the
bot is a real ``alphapy run`` process pointed at it with ``DISCORD_API_BASE`` /
``DISCORD_GATEWAY_URL`` / ``DISCORD_TOKEN``; once ``/readyz`` answers 200 the bot's RSS is
read with psutil. Prints ``name: value unit`` lines (target < 250 MB).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import psutil

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.testing.database import TestDatabaseServer

GUILDS = 1000
MEMBERS = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    server = TestDatabaseServer()
    url = server.create_database()
    MigrationRunner(url, [core_source()]).apply()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "alphapy.testing.emulator", "--guilds", str(GUILDS), "--members", str(MEMBERS)],
        stdout=subprocess.PIPE, text=True)
    bot = None
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
        port = free_port()
        env.update(DATABASE_URL=url, HEALTH_PORT=str(port), LOG_LEVEL="warning")
        env.pop("ALPHAPY_PLUGINS", None)
        started = time.perf_counter()
        bot = subprocess.Popen([sys.executable, "-m", "alphapy", "run"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 180
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("the bot did not become ready")
        ready = time.perf_counter() - started
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=5) as response:
            import json

            report = json.loads(response.read())
        time.sleep(1.0)  # let start-up garbage settle
        rss = psutil.Process(bot.pid).memory_info().rss / 2**20
        print(f"bot_rss_{GUILDS}_guilds_{MEMBERS}_members: {rss:.0f} MB "
              f"(plugins: {', '.join(sorted(report.get('plugins', {}))) or 'none with health'}; "
              f"guilds seen: {report.get('guilds')})")
        print(f"bot_process_start_to_ready_{GUILDS}_guilds: {ready:.1f} s (including interpreter start and imports)")
    finally:
        for process in (bot, emulator):
            if process is not None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    main()
