"""Scale-out figures: memory and CPU per 1,000 guilds of 50 members, takeover after a kill.

The emulator runs in a process of its own with 1,000 guilds of 50 members and 2 shards.
First a bare discord.py ``AutoShardedClient`` (same intents, same guilds, no Alphapy) is
the baseline measured in this run; then two ``alphapy run`` processes with
``SHARD_IDS=auto`` share the two shards (500 guilds each), every installed plugin loaded.
One is killed with SIGKILL: the time until the other serves both shards is the takeover
time (lease ``SHARD_LEASE_SECONDS``, 10 s here), and the survivor's memory at 1,000
guilds gives the slope for "guilds per process under 250 MB".

Prints ``name: value unit`` lines, and the ratios against the baseline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import psutil

from alphapy.testing.database import TestDatabaseServer

GUILDS = 1000
MEMBERS = 50
SHARDS = 2
LEASE = 10.0
BUDGET_MB = 250.0
IDLE_WINDOW = 10.0

_BARE_CLIENT = """
import asyncio, sys
import discord
from alphapy.discord_endpoints import configure_endpoints
api, gateway, token = sys.argv[1:4]
configure_endpoints(api, gateway)
intents = discord.Intents.default(); intents.members = True; intents.message_content = True
client = discord.AutoShardedClient(intents=intents, shard_count=%d, chunk_guilds_at_startup=False,
                                   guild_ready_timeout=0.5, max_messages=1000)
@client.event
async def on_ready():
    print("ready", len(client.guilds), flush=True)
client.run(token, log_handler=None)
""" % SHARDS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def health(port: int, path: str = "/api/health") -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as resp:
            return int(resp.status), json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"null")
    except OSError:
        return 0, None


def wait(condition: Any, timeout: float, what: str) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"not within {timeout:g} s: {what}")
        time.sleep(0.05)
    return time.perf_counter() - started


def start_emulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    emulator = subprocess.Popen(
        [sys.executable, "-m", "alphapy.testing.emulator", "--guilds", str(GUILDS), "--members", str(MEMBERS),
         "--shards", str(SHARDS)], stdout=subprocess.PIPE, text=True)
    assert emulator.stdout is not None
    exports: dict[str, str] = {}
    for line in emulator.stdout:
        if line.startswith("export "):
            exports = dict(pair.partition("=")[::2] for pair in line.split()[1:])
            break
    return emulator, exports


def baseline(exports: dict[str, str]) -> tuple[float, float, float]:
    """RSS (MB), CPU seconds to ready and ready time of a bare discord.py client."""
    started = time.perf_counter()
    bare = subprocess.Popen([sys.executable, "-c", _BARE_CLIENT, exports["DISCORD_API_BASE"],
                             exports["DISCORD_GATEWAY_URL"], exports["DISCORD_TOKEN"]],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert bare.stdout is not None
        line = bare.stdout.readline()
        if not line.startswith("ready"):
            raise SystemExit("the bare discord.py client did not become ready")
        ready = time.perf_counter() - started
        time.sleep(1.0)
        rss, cpu = rss_mb(bare.pid), cpu_seconds(bare.pid)
        time.sleep(IDLE_WINDOW)
        idle = cpu_seconds(bare.pid) - cpu
        print(f"baseline_bare_discord_py_idle_cpu: {100 * idle / IDLE_WINDOW:.1f} % of one core")
        return rss, cpu, ready
    finally:
        bare.terminate()
        bare.wait(15)


def main() -> None:
    server = TestDatabaseServer()
    url = server.create_database()
    emulator, exports = start_emulator()
    bots: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        bare_rss, bare_cpu, bare_ready = baseline(exports)
        print(f"baseline_bare_discord_py_rss_{GUILDS}_guilds: {bare_rss:.0f} MB")
        print(f"baseline_bare_discord_py_cpu_to_ready: {bare_cpu:.2f} s (ready in {bare_ready:.1f} s)")
        subprocess.run([sys.executable, "-m", "alphapy", "migrate"], env={**os.environ, "DATABASE_URL": url},
                       check=True, capture_output=True)
        for _ in range(2):
            port = free_port()
            env = {**os.environ, **exports, "DATABASE_URL": url, "HEALTH_PORT": str(port), "LOG_LEVEL": "warning",
                   "SHARD_IDS": "auto", "SHARD_COUNT": str(SHARDS), "SHARD_LEASE_SECONDS": str(LEASE),
                   "DASHBOARD_PORT": "0"}
            env.pop("ALPHAPY_PLUGINS", None)
            bots.append((subprocess.Popen([sys.executable, "-m", "alphapy", "run"], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), port))
        started = time.perf_counter()
        wait(lambda: all(health(port, "/readyz")[0] == 200 for _, port in bots), 240, "both processes ready")
        ready = time.perf_counter() - started
        time.sleep(1.0)
        per_process = []
        for process, port in bots:
            report = health(port)[1]
            guilds = int(report["guilds"])
            per_process.append((rss_mb(process.pid), cpu_seconds(process.pid), guilds))
        rss_half = sum(r for r, _, _ in per_process) / len(per_process)
        guilds_half = sum(g for _, _, g in per_process) / len(per_process)
        cpu_total = sum(c for _, c, _ in per_process)
        print(f"alphapy_processes: 2 x {guilds_half:.0f} guilds (SHARD_IDS=auto, {SHARDS} shards), ready in {ready:.1f} s")
        print(f"alphapy_rss_per_process_{guilds_half:.0f}_guilds: {rss_half:.0f} MB")
        print(f"alphapy_cpu_to_ready_both_processes_{GUILDS}_guilds: {cpu_total:.2f} s "
              f"(ratio to bare client: {cpu_total / bare_cpu:.1f}x)")
        idle_before = [cpu_seconds(p.pid) for p, _ in bots]
        time.sleep(IDLE_WINDOW)
        idle = sum(cpu_seconds(p.pid) - before for (p, _), before in zip(bots, idle_before, strict=True))
        print(f"alphapy_idle_cpu_both_processes_{GUILDS}_guilds: {100 * idle / IDLE_WINDOW:.1f} % of one core "
              f"(heartbeats, lease renewals, health records; {IDLE_WINDOW:g} s window)")

        victim, survivor = bots
        killed = time.perf_counter()
        victim[0].send_signal(signal.SIGKILL)
        victim[0].wait(15)

        def both_shards_served() -> bool:
            status, report = health(survivor[1])
            shards = (report or {}).get("shards", {})
            return status == 200 and len([s for s in shards.get("shards", []) if s["connected"]]) == SHARDS

        wait(both_shards_served, LEASE * 4, "the survivor serving both shards")
        takeover = time.perf_counter() - killed
        wait(lambda: (health(survivor[1])[1] or {}).get("guilds") == GUILDS, 60, "every guild in the survivor")
        time.sleep(1.0)
        rss_full = rss_mb(survivor[0].pid)
        print(f"takeover_after_kill_9: {takeover:.1f} s (lease {LEASE:g} s: {takeover / LEASE:.2f} x the lease)")
        print(f"alphapy_rss_one_process_{GUILDS}_guilds_{MEMBERS}_members: {rss_full:.0f} MB "
              f"(ratio to bare client: {rss_full / bare_rss:.2f}x)")
        slope = (rss_full - rss_half) / max(1.0, GUILDS - guilds_half)  # MB per extra guild
        fixed = rss_full - slope * GUILDS
        print(f"alphapy_rss_per_1000_guilds: {slope * 1000:.0f} MB on top of {fixed:.0f} MB per process")
        if slope > 0:
            print(f"guilds_per_process_under_{BUDGET_MB:.0f}_MB: {(BUDGET_MB - fixed) / slope:,.0f}")
    finally:
        for process, _port in bots:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
        emulator.terminate()
        emulator.wait(15)
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    main()
