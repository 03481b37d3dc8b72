"""``alphapy settings``: the operator's way to the same validated, audited settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture
def alphapy(migrated_database_url: str, tmp_path):
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "ALPHAPY_PLUGINS": ""}
    env.pop("LOG_LEVEL", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "alphapy", "settings", *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)

    return run


def test_set_list_history_rollback_reset(alphapy) -> None:
    refused = alphapy("set", "--guild", "5", "core", "timezone", "Mars/Olympus_Mons")
    assert refused.returncode == 1
    assert refused.stderr == "alphapy: core.timezone must be an IANA timezone such as Europe/Amsterdam\n"

    first = alphapy("set", "--guild", "5", "core", "timezone", "Europe/Amsterdam", "--by", "9")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "core.timezone = Europe/Amsterdam (created, history #1)\n"
    assert first.stderr == ""  # no log noise on an operator command
    assert alphapy("set", "--guild", "5", "core", "timezone", "Asia/Tokyo").returncode == 0

    listing = json.loads(alphapy("list", "--guild", "5", "core", "--json").stdout)
    timezone = next(item for item in listing if item["setting"] == "core.timezone")
    assert timezone == {"setting": "core.timezone", "value": "Asia/Tokyo", "default": False, "type": "timezone",
                        "help": timezone["help"]}
    assert alphapy("get", "--guild", "6", "core", "timezone").stdout == "UTC\n"  # another guild: default

    history = json.loads(alphapy("history", "--guild", "5", "--json").stdout)
    assert [(h["id"], h["change"], h["new_value"]) for h in history] == [
        (2, "updated", "Asia/Tokyo"), (1, "created", "Europe/Amsterdam")]
    assert history[1]["changed_by"] == 9

    back = alphapy("rollback", "--guild", "5", "1")
    assert back.stdout == "core.timezone rolled back to history #1 (history #3)\n"
    assert alphapy("get", "--guild", "5", "core", "timezone").stdout == "Europe/Amsterdam\n"
    assert alphapy("rollback", "--guild", "6", "1").stderr == "alphapy: there is no settings history entry #1 in this server\n"

    reset = alphapy("reset", "--guild", "5", "core", "timezone")
    assert reset.stdout == "core.timezone reset to its default UTC (history #4)\n"
    assert alphapy("get", "--guild", "5", "core", "timezone", "--json").stdout.strip() == \
        json.dumps({"setting": "core.timezone", "value": "UTC"}, indent=2)


def test_unknown_settings_and_bad_arguments(alphapy) -> None:
    unknown = alphapy("get", "--guild", "5", "core", "nope")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("alphapy: unknown setting core.nope; core has: ")
    usage = alphapy("set", "--guild", "not-a-number", "core", "timezone", "UTC")
    assert usage.returncode == 2 and "invalid int value" in usage.stderr


def test_an_unmigrated_database_says_what_to_do(database_url: str, tmp_path) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "ALPHAPY_PLUGINS": ""}
    done = subprocess.run([sys.executable, "-m", "alphapy", "settings", "list", "--guild", "1"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr == ("alphapy: the database has 3 pending migration(s) (core_0001_init, "
                           "core_0002_migration_records, core_0003_settings_write): "
                           "run `alphapy migrate` first\n")
