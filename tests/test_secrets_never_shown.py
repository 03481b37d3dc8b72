"""No secret reaches the screen: ``alphapy run``, ``migrate``, ``demo`` and their error paths.

Every secret-carrying variable holds a recognisable fake; each command runs as a real
subprocess (real PostgreSQL from the testing kit; Discord, the AI and billing services
at unreachable loopback ports), and its whole output must name what is wrong without
containing any fake.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from alphapy.testing.database import TestDatabaseServer

DB_PASSWORD = "fake-db-password-4f1c9a"
TYPO_PASSWORD = "fake-typo-url-password-91e0"  # inside a malformed URL of one case
FAKES = {
    "DISCORD_TOKEN": "fake-discord-token-8b2d71",
    "OPENAI_API_KEY": "fake-openai-key-3e9a55",
    "OPENAI_BASE_URL": "http://ai:fake-ai-url-password-2b8f@127.0.0.1:9/v1",
    "PREMIUM_API_TOKEN": "fake-billing-token-1a6e93",
    "PREMIUM_API_URL": "http://billing:fake-billing-url-password-5d07@127.0.0.1:9",
    "PREMIUM_WEBHOOK_SECRET": "fake-webhook-secret-7c0d42",
    "DISCORD_CLIENT_SECRET": "fake-client-secret-4d1c88",
    "DASHBOARD_SESSION_SECRET": "fake-session-secret-9e2f17",
}
SECRETS = [DB_PASSWORD, TYPO_PASSWORD, "fake-discord-token-8b2d71", "fake-openai-key-3e9a55",
           "fake-ai-url-password-2b8f", "fake-billing-token-1a6e93", "fake-billing-url-password-5d07",
           "fake-webhook-secret-7c0d42", "fake-client-secret-4d1c88", "fake-session-secret-9e2f17"]
OWN_VARIABLES = ("DATABASE_URL", "DISCORD_", "OPENAI_", "PREMIUM_", "ALPHAPY_", "HEALTH_", "DASHBOARD_", "LOG_",
                 "SHARD_", "DB_")


@pytest.fixture(scope="module")
def database_url_with_password(alphapy_test_server: TestDatabaseServer) -> Iterator[str]:
    """A fresh database whose URL carries the fake password (the test server trusts local users)."""
    url = alphapy_test_server.create_database()
    parts = urlsplit(url)
    if parts.password:  # TEST_DATABASE_URL with a real password: that one must not show either
        SECRETS.append(parts.password)
        yield url
    else:
        server = parts.netloc.rpartition("@")[2]
        yield urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}:{DB_PASSWORD}@{server}"))
    alphapy_test_server.drop_database(url)


def alphapy(tmp_path: Path, database_url: str, *args: str, **overrides: str | None) -> tuple[int, str]:
    """Run ``alphapy args`` with every fake set (None unsets one); (exit code, stdout and stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(OWN_VARIABLES)}
    env.update(FAKES, DATABASE_URL=database_url, ALPHAPY_DATA_DIR=str(tmp_path / "data"), ALPHAPY_PLUGINS="premium",
               HEALTH_PORT="0", DASHBOARD_PORT="0", DISCORD_API_BASE="http://127.0.0.1:9/api/v10",
               DISCORD_GATEWAY_URL="ws://127.0.0.1:9/", DB_CONNECT_TIMEOUT="5", LOG_LEVEL="debug")
    env.update({k: v for k, v in overrides.items() if v is not None})
    env = {k: v for k, v in env.items() if overrides.get(k, "") is not None}
    done = subprocess.run([sys.executable, "-m", "alphapy", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def assert_no_secret(output: str) -> None:
    for secret in SECRETS:
        assert secret[:12] not in output, f"{secret} (or its start) shown in:\n{output[-3000:]}"


TYPO_URL = f"postgresq://alphapy:{TYPO_PASSWORD}@127.0.0.1:1/alphapy"
UNREACHABLE = f"postgresql://alphapy:{TYPO_PASSWORD}@127.0.0.1:1/alphapy"

ERROR_PATHS = [
    ("migrate", {"DATABASE_URL": TYPO_URL}, 2, "DATABASE_URL: must be a postgresql:// URL"),
    ("migrate", {"DATABASE_URL": f"postgresql//alphapy:{TYPO_PASSWORD}@127.0.0.1:1/db"}, 2,
     "DATABASE_URL: must be a postgresql:// URL"),
    ("migrate", {"DATABASE_URL": f"postgresql:alphapy:{TYPO_PASSWORD}@127.0.0.1/db"}, 2,
     "DATABASE_URL: must be a postgresql:// URL"),
    # a long user name: the value shown is cut after 60 characters, in the middle of the password
    ("migrate", {"DATABASE_URL": f"postgres-sql://a-long-user-name-for-alphapy:{TYPO_PASSWORD}@db/x"}, 2,
     "DATABASE_URL: must be a postgresql:// URL"),
    ("migrate", {"OPENAI_BASE_URL": f"htp://ai:{TYPO_PASSWORD}@127.0.0.1:9/v1"}, 2,
     "OPENAI_BASE_URL: must be an http:// or https:// URL"),
    ("run", {"DISCORD_API_BASE": f"ftp://api:{TYPO_PASSWORD}@127.0.0.1:9/api"}, 2,
     "DISCORD_API_BASE: must be an http:// or https:// URL"),
    ("demo", {"DISCORD_API_BASE": f"http://api:{TYPO_PASSWORD}@127.0.0.1:9/api"}, 2,
     "DISCORD_API_BASE: must not contain a user name or password"),
    ("migrate", {"DATABASE_URL": UNREACHABLE}, 1, "cannot reach PostgreSQL at 127.0.0.1:1/alphapy"),
    ("run", {"DATABASE_URL": UNREACHABLE, "LOG_FORMAT": "console"}, 1, "cannot reach PostgreSQL at 127.0.0.1:1"),
    ("run", {"LOG_FORMAT": "console"}, 1, "alphapy: cannot reach Discord at http://127.0.0.1:9"),
    ("run", {"LOG_FORMAT": "json"}, 1, "alphapy: cannot reach Discord at http://127.0.0.1:9"),
]


@pytest.mark.parametrize(("command", "overrides", "code", "expected"), ERROR_PATHS,
                         ids=[f"{c}-{'-'.join(o)}" for c, o, _, _ in ERROR_PATHS])
def test_error_paths_say_what_is_wrong_without_secrets(tmp_path: Path, database_url_with_password: str, command: str,
                                                        overrides: dict[str, str], code: int, expected: str) -> None:
    returncode, output = alphapy(tmp_path, database_url_with_password, command, **overrides)
    assert (returncode, expected in output) == (code, True), output[-3000:]
    assert_no_secret(output)


def test_a_malformed_value_in_dot_env_is_redacted_too(tmp_path: Path, database_url_with_password: str) -> None:
    (tmp_path / ".env").write_text(f"OPENAI_BASE_URL=openai//ai:{TYPO_PASSWORD}@127.0.0.1:9\n")
    returncode, output = alphapy(tmp_path, database_url_with_password, "migrate", OPENAI_BASE_URL=None)
    assert (returncode, "OPENAI_BASE_URL: must be an http:// or https:// URL" in output) == (2, True), output
    assert_no_secret(output)


def test_migrate_and_db_url_succeed_without_secrets(tmp_path: Path, database_url_with_password: str) -> None:
    returncode, output = alphapy(tmp_path, database_url_with_password, "migrate")
    assert (returncode, "migration(s)" in output or "up to date" in output) == (0, True), output
    assert_no_secret(output)
    returncode, output = alphapy(tmp_path, database_url_with_password, "db", "url")
    assert (returncode, ":***@" in output) == (0, True), output
    assert_no_secret(output)


LOG_AN_EXCEPTION = """
from alphapy.log import get_logger
from alphapy.runtime import prepare

runtime = prepare(plugins=[])
try:
    raise ConnectionError("login failed with " + " and ".join(sys.argv[1:]))
except ConnectionError:
    get_logger("alphapy.test").exception("login.failed")
runtime.close()
"""


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_an_exception_in_a_log_line_shows_no_secret(tmp_path: Path, database_url_with_password: str,
                                                    log_format: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(OWN_VARIABLES)}
    env.update(FAKES, DATABASE_URL=database_url_with_password, LOG_FORMAT=log_format)
    done = subprocess.run([sys.executable, "-c", "import sys\n" + LOG_AN_EXCEPTION, *FAKES.values(),
                           database_url_with_password], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    output = done.stdout + done.stderr
    assert (done.returncode, "login.failed" in output, "ConnectionError: login failed with ***" in output) == (
        0, True, True), output
    assert_no_secret(output)


A_BUG_IN_A_COMMAND = """
import os, sys
import alphapy.cli.db

def broken(args):
    raise RuntimeError("bug while using " + os.environ["DISCORD_TOKEN"] + " at " + os.environ["OPENAI_BASE_URL"])

alphapy.cli.db.migrate_command = broken
from alphapy.cli import main
sys.exit(main(["migrate"]))
"""


def test_an_unexpected_error_shows_its_traceback_without_secrets(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(OWN_VARIABLES)}
    env.update(FAKES, ALPHAPY_PLUGINS="")
    done = subprocess.run([sys.executable, "-c", A_BUG_IN_A_COMMAND], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback (most recent call last)" in output, output
    assert "RuntimeError: bug while using *** at http://ai:***@127.0.0.1:9/v1" in output, output
    assert_no_secret(output)


def test_run_offline_shows_no_secret(tmp_path: Path, database_url_with_password: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(OWN_VARIABLES)}
    env.update({k: v for k, v in FAKES.items() if k != "DISCORD_TOKEN"}, DATABASE_URL=database_url_with_password,
               ALPHAPY_DATA_DIR=str(tmp_path / "data"), ALPHAPY_PLUGINS="premium", HEALTH_PORT="0", DASHBOARD_PORT="0", PLAYGROUND_PORT="0",
               LOG_LEVEL="debug", LOG_FORMAT="console")
    process = subprocess.Popen([sys.executable, "-m", "alphapy", "run"], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    lines = []
    while line := process.stdout.readline():  # until the bot runs (or the process ends)
        lines.append(line)
        if line.startswith("Alphapy is running"):
            break
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    output = "".join(lines) + out + err
    assert (process.returncode, lines[-1].startswith("Alphapy is running")) == (0, True), output[-3000:]
    assert_no_secret(output)
