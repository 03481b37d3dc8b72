"""Start-up and shutdown edge cases of ``alphapy run``: empty variables, Discord refusing
or unreachable, two processes on one fresh data folder, an adopted embedded server."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alphapy.config import load_config
from alphapy.testing.emulator import DiscordEmulator

RUNNING = "Alphapy is running"


def run_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """The test's environment without a developer's Discord/database settings, plus ``values``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DISCORD_", "DATABASE_URL", "ALPHAPY_", "HEALTH_", "SHARD_", "OPENAI_"))}
    env.update(ALPHAPY_DATA_DIR=str(tmp_path / "data"), HEALTH_PORT="0", DASHBOARD_PORT="0", PLAYGROUND_PORT="0",
               ALPHAPY_PLUGINS="", LOG_FORMAT="json")
    env.update(values)
    return env


def start_run(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "alphapy", "run"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_until_running(process: subprocess.Popen[str], timeout: float = 120) -> list[str]:
    """stdout lines up to the "running" line (or the end of output)."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith(RUNNING) or not line:
            break
    return lines


def closed_loopback_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_one_line_failure(returncode: int, stdout: str, stderr: str, expected: str) -> None:
    assert returncode == 1, (stdout, stderr[-3000:])
    assert "Traceback" not in stdout + stderr, stderr[-3000:]
    ours = [line for line in stderr.splitlines() if line.startswith("alphapy: ")]
    assert len(ours) == 1, stderr[-3000:]
    assert expected in ours[0], ours[0]


# --- DISCORD_TOKEN and Discord ------------------------------------------------------------

def test_every_empty_optional_variable_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SHARD_COUNT", "SHARD_IDS", "LOG_LEVEL",
                 "HEALTH_PORT", "DISCORD_API_BASE", "ALPHAPY_DATA_DIR", "DATABASE_URL"):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("ALPHAPY_PLUGINS", "")  # documented: empty loads no plugin
    config = load_config(_env_file=None)
    assert config.discord_token is None and config.openai_api_key is None and not config.ai_configured
    assert (config.shard_count, config.shard_ids, config.log_level) == (None, None, None)
    assert config.shard_filter() == (1, [0])
    assert config.health_port == 8080 and config.discord_api_base == "https://discord.com/api/v10"
    assert str(config.data_dir) == ".alphapy" and config.database_url is None
    assert config.alphapy_plugins == []


def test_an_empty_discord_token_in_dotenv_means_no_token(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\nOPENAI_API_KEY=\nSHARD_COUNT=\nLOG_LEVEL=\n")
    process = start_run(tmp_path, run_env(tmp_path))
    try:
        lines = read_until_running(process)
        assert lines[0].startswith("No DISCORD_TOKEN: running against the built-in Discord emulator"), lines
        assert lines[-1].startswith(RUNNING), (lines, process.stderr.read() if process.stderr else "")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]


async def test_a_token_discord_refuses_is_one_line_and_a_failure(tmp_path: Path, migrated_database_url: str) -> None:
    emulator = DiscordEmulator(strict_token=True)
    await emulator.start()
    try:
        env = run_env(tmp_path, DATABASE_URL=migrated_database_url, DISCORD_TOKEN="not-the-bot-token.abc.def",
                      DISCORD_API_BASE=emulator.api_base, DISCORD_GATEWAY_URL=emulator.gateway_url)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "alphapy", "run", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        await emulator.stop()
    assert process.returncode is not None
    assert_one_line_failure(process.returncode, out.decode(), err.decode(), "Discord refused DISCORD_TOKEN")


def test_a_gateway_refusing_the_token_reads_like_a_refused_login() -> None:
    import discord

    from alphapy.discord_login import GATEWAY_AUTHENTICATION_FAILED, explain_connect_failure

    class ClosedSocket:
        code = GATEWAY_AUTHENTICATION_FAILED

    api_base = "http://127.0.0.1:1/api/v10"
    closed = discord.ConnectionClosed(ClosedSocket(), shard_id=None,  # type: ignore[arg-type]
                                      code=GATEWAY_AUTHENTICATION_FAILED)
    explained = explain_connect_failure(closed, api_base)
    assert explained is not None and str(explained).startswith("Discord refused DISCORD_TOKEN (the gateway closed")
    assert explain_connect_failure(ValueError("a bug"), api_base) is None  # a bug keeps its traceback


def test_unreachable_discord_is_one_line_and_a_failure(tmp_path: Path, migrated_database_url: str) -> None:
    port = closed_loopback_port()
    env = run_env(tmp_path, DATABASE_URL=migrated_database_url, DISCORD_TOKEN="some-token.abc.def",
                  DISCORD_API_BASE=f"http://127.0.0.1:{port}/api/v10",
                  DISCORD_GATEWAY_URL=f"ws://127.0.0.1:{port}/")
    done = subprocess.run([sys.executable, "-m", "alphapy", "run"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert_one_line_failure(done.returncode, done.stdout, done.stderr,
                            f"cannot reach Discord at http://127.0.0.1:{port}/api/v10")


# --- the embedded database ----------------------------------------------------------------

def postmaster_pid(data_dir: Path) -> int | None:
    pidfile = data_dir / "pgdata" / "postmaster.pid"
    return int(pidfile.read_text().split()[0]) if pidfile.exists() else None


def process_alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def stop_cleanly(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-3000:]
    assert out.strip().endswith("Alphapy stopped."), out
    return out, err


def test_two_processes_start_together_on_a_new_data_folder(tmp_path: Path) -> None:
    env = run_env(tmp_path)
    first, second = start_run(tmp_path, env), start_run(tmp_path, env)
    try:
        for process in (first, second):
            lines = read_until_running(process)
            assert lines[-1].startswith(RUNNING), (lines, process.poll() is not None and process.communicate()[1])
        server = postmaster_pid(tmp_path / "data")
        assert server is not None and process_alive(server)
    finally:
        for process in (first, second):
            if process.poll() is None:
                stop_cleanly(process)
    assert postmaster_pid(tmp_path / "data") is None and not process_alive(server)  # the last one stopped it


def test_a_clean_exit_stops_the_server_adopted_after_a_kill_9(tmp_path: Path) -> None:
    env = run_env(tmp_path)
    killed = start_run(tmp_path, env)
    try:
        assert read_until_running(killed)[-1].startswith(RUNNING)
    finally:
        killed.kill()  # SIGKILL: no cleanup at all, the embedded server keeps running
        killed.communicate(timeout=60)
    orphan = postmaster_pid(tmp_path / "data")
    assert orphan is not None and process_alive(orphan)

    try:
        again = start_run(tmp_path, env)
        try:
            assert read_until_running(again)[-1].startswith(RUNNING)
            assert postmaster_pid(tmp_path / "data") == orphan  # adopted, not started anew
        finally:
            stop_cleanly(again)
        assert postmaster_pid(tmp_path / "data") is None
        assert not process_alive(orphan)
    finally:
        if process_alive(orphan):  # the test failed: leave no server behind
            os.kill(orphan, signal.SIGTERM)
