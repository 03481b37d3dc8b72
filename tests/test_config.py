"""Configuration from the environment and .env; bad values are one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alphapy.config import ConfigError, load_config


def run_alphapy(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTH_", "DATABASE_URL", "SHARD_"))}
    return subprocess.run([sys.executable, "-m", "alphapy", *args], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("HEALTH_PORT", "eighty", "HEALTH_PORT: Input should be a valid integer"),
        ("HEALTH_PORT", "70000", "HEALTH_PORT: Input should be less than or equal to 65535"),
        ("DATABASE_URL", "mysql://db/alphapy", "DATABASE_URL: must be a postgresql:// URL"),
        ("SHARD_IDS", "0,two", "SHARD_IDS: Input should be a valid integer"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: Input should be 'debug', 'info', 'warning', 'error' or 'critical'"),
        ("DISCORD_GATEWAY_URL", "http://gateway", "DISCORD_GATEWAY_URL: must be a ws:// or wss:// URL"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(tmp_path: Path, variable: str, value: str, expected: str) -> None:
    done = run_alphapy("migrate", env={variable: value}, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("alphapy: invalid configuration: ")
    assert expected in lines[0]
    assert "Traceback" not in done.stderr


def test_cross_field_rules() -> None:
    with pytest.raises(ConfigError, match="SHARD_IDS needs SHARD_COUNT"):
        load_config(_env_file=None, shard_ids="1")
    with pytest.raises(ConfigError, match=r"SHARD_IDS \[2\] must lie in 0..1"):
        load_config(_env_file=None, shard_count=2, shard_ids="0,2")
    with pytest.raises(ConfigError, match="DB_POOL_MIN_SIZE"):
        load_config(_env_file=None, db_pool_min_size=20, db_pool_max_size=5)


def test_dotenv_file_and_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "HEALTH_PORT", "ALPHAPY_PLUGINS", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DISCORD_TOKEN=MTIzNDU2Nzg5MDEyMzQ1Njc4.abcdef.ghijklmnopqrstuvwxyz0123456789\n"
        "HEALTH_PORT=9999\nALPHAPY_PLUGINS=reminders, tickets\nOPENAI_API_KEY=sk-test-not-real-0123456789\n"
    )
    config = load_config(_env_file=env_file)
    assert config.health_port == 9999
    assert config.alphapy_plugins == ["reminders", "tickets"]
    assert config.ai_configured
    assert "MTIz" not in repr(config) and "sk-test" not in repr(config)
    assert config.discord_token is not None
    assert config.discord_token.get_secret_value().startswith("MTIz")
    monkeypatch.setenv("HEALTH_PORT", "7000")  # the environment wins over .env
    assert load_config(_env_file=env_file).health_port == 7000


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HEALTH_HOST", "HEALTH_PORT", "ALPHAPY_PLUGINS", "SHARD_COUNT", "SHARD_IDS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(_env_file=None)
    assert (config.health_host, config.health_port) == ("127.0.0.1", 8080)
    assert config.alphapy_plugins is None  # unset: every installed plugin
    assert config.shard_filter() == (1, [0])
    assert config.database_url is None
