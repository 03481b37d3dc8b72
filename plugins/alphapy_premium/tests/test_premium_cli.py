"""``alphapy premium grant|revoke|list|show`` on a real database, hostile arguments included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from alphapy.cli import main

USER, GUILD = "666000000000000001", "777000000000000001"


@pytest.fixture
def alphapy(migrated_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """``alphapy(...)`` runs the real command line in this process: (exit code, stdout, stderr)."""
    return command_line(migrated_database_url, monkeypatch, capsys)


@pytest.fixture
def parse_only(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """The command line with a database nobody listens on: only refusals before connecting pass."""
    return command_line("postgresql://nobody@127.0.0.1:9/none", monkeypatch, capsys)


def command_line(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ALPHAPY_PLUGINS", "premium")
    monkeypatch.delenv("LOG_LEVEL", raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(["premium", *args])
        except SystemExit as exit_:  # argparse refusing an argument
            code = int(exit_.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_grant_list_show_revoke(alphapy) -> None:
    code, out, err = alphapy("grant", "--user", USER, "--guild", GUILD, "--tier", "yearly")
    assert code == 0 and err == ""
    assert out.startswith(f"granted #1: user {USER} has yearly premium in guild {GUILD} until 20")

    code, out, err = alphapy("grant", "--user", USER, "--guild", "777000000000000002", "--tier", "monthly")
    assert code == 1 and out == ""
    assert err == (f"alphapy: user {USER} already has an active subscription (#1 in guild {GUILD}); "
                   "revoke it first with `alphapy premium revoke --id 1`\n")

    code, out, _ = alphapy("grant", "--user", "666000000000000002", "--guild", GUILD, "--tier", "lifetime",
                           "--external-id", "sub_abc", "--json")
    granted = json.loads(out)
    assert code == 0 and granted["tier"] == "lifetime" and granted["expires_at"] is None
    assert granted["external_id"] == "sub_abc" and granted["user_id"] == "666000000000000002"

    listing = json.loads(alphapy("list", "--guild", GUILD, "--json")[1])
    assert [(s["id"], s["status"]) for s in listing] == [(granted["id"], "active"), (1, "active")]  # newest first
    table = alphapy("list", "--status", "active")[1].splitlines()
    assert table[0].split()[:5] == ["ID", "USER", "GUILD", "TIER", "STATUS"] and len(table) == 3

    code, out, _ = alphapy("show", "--user", USER, "--guild", GUILD)
    assert code == 0 and out.splitlines()[-1] == f"user {USER} has premium in guild {GUILD} now (source: local)"
    shown = json.loads(alphapy("show", "--user", USER, "--guild", "777000000000000009", "--json")[1])
    assert shown["premium"]["active"] is False and len(shown["subscriptions"]) == 1

    assert alphapy("revoke", "--id", "1") == (0, f"revoked #1 (user {USER}, guild {GUILD}, yearly)\n", "")
    assert alphapy("revoke", "--id", "1")[1] == "nothing to revoke: no running subscription #1\n"
    assert alphapy("show", "--user", USER, "--guild", GUILD)[1].splitlines()[-1].endswith(
        "does not have premium in guild 777000000000000001 now (source: local)")
    assert alphapy("show", "--user", "666000000000000099")[1] == "user 666000000000000099 has no subscriptions\n"


@pytest.mark.parametrize(("args", "complaint"), [
    (["grant", "--user", "abc", "--guild", GUILD, "--tier", "monthly"], "is not a Discord id"),
    (["grant", "--user", "-1", "--guild", GUILD, "--tier", "monthly"], "is not a Discord id"),
    (["grant", "--user", "0", "--guild", GUILD, "--tier", "monthly"], "is not a Discord id"),
    (["grant", "--user", str(2**63), "--guild", GUILD, "--tier", "monthly"], "is not a Discord id"),
    (["grant", "--user", "1; DROP TABLE premium_subs", "--guild", GUILD, "--tier", "monthly"], "is not a Discord id"),
    (["grant", "--user", "١٢٣", "--guild", GUILD, "--tier", "monthly"], "is not a Discord id"),  # Arabic digits
    (["grant", "--user", USER, "--guild", "", "--tier", "monthly"], "is not a Discord id"),
    (["grant", "--user", USER, "--guild", GUILD, "--tier", "platinum"], "invalid choice: 'platinum'"),
    (["grant", "--user", USER, "--guild", GUILD], "the following arguments are required: --tier"),
    (["grant", "--user", USER, "--guild", GUILD, "--tier", "monthly", "--expires", "tomorrow"],
     "is not a date such as 2030-01-31"),
    (["grant", "--user", USER, "--guild", GUILD, "--tier", "monthly", "--expires", "2030-13-01"],
     "is not a date such as 2030-01-31"),
    (["grant", "--user", USER, "--guild", GUILD, "--tier", "monthly", "--external-id", "has space"],
     "an external id is 1 to 200 visible ASCII characters"),
    (["grant", "--user", USER, "--guild", GUILD, "--tier", "monthly", "--external-id", "x" * 201],
     "an external id is 1 to 200 visible ASCII characters"),
    (["revoke", "--id", "0"], "is not a subscription number"),
    (["revoke", "--id", str(2**31)], "is not a subscription number"),
    (["revoke", "--id", "1", "--user", USER], "not allowed with argument"),
    (["revoke"], "one of the arguments --id --user is required"),
    (["list", "--limit", "0"], "the limit is a number from 1 to 1000"),
    (["list", "--limit", "100000"], "the limit is a number from 1 to 1000"),
    (["list", "--status", "paused"], "invalid choice: 'paused'"),
    (["show"], "the following arguments are required: --user"),
])
def test_hostile_arguments_are_refused_before_anything_connects(parse_only, args, complaint) -> None:
    code, out, err = parse_only(*args)
    assert code == 2 and out == "" and complaint in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (["grant", "--user", USER, "--guild", GUILD, "--tier", "lifetime", "--expires", "2040-01-01"],
     "alphapy: a lifetime subscription has no expiry\n"),
    (["grant", "--user", USER, "--guild", GUILD, "--tier", "monthly", "--expires", "2001-01-01"],
     "alphapy: the expiry must be in the future\n"),
    (["revoke", "--id", "5"], "alphapy: there is no subscription #5\n"),
])
def test_refusals_exit_1_with_one_sentence(alphapy, args, message) -> None:
    assert alphapy(*args) == (1, "", message)


def test_a_malformed_variable_is_one_line(parse_only, premium_env) -> None:
    premium_env(api_url="billing.example")
    assert parse_only("list") == (2, "", "alphapy: PREMIUM_API_URL: Value error, must be an http:// or https:// URL\n")


def test_the_installed_command(migrated_database_url: str, tmp_path: Any) -> None:
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "ALPHAPY_PLUGINS": "premium"}
    env.pop("LOG_LEVEL", None)
    done = subprocess.run([sys.executable, "-m", "alphapy", "premium", "grant", "--user", USER, "--guild", GUILD,
                           "--tier", "monthly", "--expires", "2040-05-01T12:00:00+02:00", "--json"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["expires_at"] == "2040-05-01T10:00:00+00:00"
    assert done.stderr == ""
