"""``alphapy migrate`` with nothing to apply: the fast path and every way out of it (issue 20).

The fast path (:mod:`alphapy.db.up_to_date`) answers from the state a clean full run left;
these tests check it is taken only when nothing changed, and that whatever may have changed
(the configuration, the plugin set, the database) brings back the full path and its
messages. Each command is a real ``alphapy`` process against a real database; what a
process imported is read from ``sys.modules``, never timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from alphapy.db.up_to_date import STATE_FILE
from alphapy.testing.database import TestDatabaseServer

#: runs ``alphapy migrate`` (or the given arguments) and prints which heavy parts it imported
TRACED = textwrap.dedent("""
    import json, runpy, sys
    sys.argv = ["alphapy", *sys.argv[1:]]
    code = 0
    try:
        runpy.run_module("alphapy", run_name="__main__")
    except SystemExit as done:
        code = done.code
    heavy = ("pydantic_settings", "pluggy", "yoyo", "psycopg", "alphapy.plugins", "alphapy_faq")
    print(json.dumps({"code": code, "imported": sorted(h for h in heavy if h in sys.modules)}))
""")


def alphapy(cwd: Path, *args: str, **env: str) -> tuple[int, str, list[str]]:
    """Exit code, output (stdout and stderr) and the heavy modules imported, of one command."""
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HEALTH_", "DATABASE_URL", "SHARD_", "ALPHAPY_", "OPENAI_", "LOG_"))}
    done = subprocess.run([sys.executable, "-c", TRACED, *(args or ("migrate",))], env={**base, **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    return report["code"] or 0, "\n".join(lines[:-1]) + done.stderr, report["imported"]


def test_a_second_migrate_answers_without_config_plugins_or_yoyo(tmp_path: Path, database_url: str) -> None:
    code, output, imported = alphapy(tmp_path, DATABASE_URL=database_url)
    assert (code, "applied" in output) == (0, True), output
    assert "alphapy_faq" in imported  # the full path: every plugin loaded
    assert (tmp_path / ".alphapy" / STATE_FILE).is_file()
    state = (tmp_path / ".alphapy" / STATE_FILE).read_text()
    assert database_url not in state  # a digest, not the values

    code, output, imported = alphapy(tmp_path, DATABASE_URL=database_url)
    assert (code, output.strip()) == (0, "database is up to date")
    assert imported == []


def test_a_changed_configuration_is_validated_again(tmp_path: Path, database_url: str) -> None:
    assert alphapy(tmp_path, DATABASE_URL=database_url)[0] == 0
    (tmp_path / ".env").write_text("OPENAI_BASE_URL=openai//127.0.0.1:9\n")
    code, output, imported = alphapy(tmp_path, DATABASE_URL=database_url)
    assert code == 2, output
    assert "alphapy: invalid configuration: OPENAI_BASE_URL: must be an http:// or https:// URL" in output
    code, output, _ = alphapy(tmp_path, DATABASE_URL=database_url, HEALTH_PORT="eighty")
    assert code == 2, output
    assert "HEALTH_PORT: Input should be a valid integer" in output


def test_a_rolled_back_plugin_is_migrated_again(tmp_path: Path, database_url: str) -> None:
    assert alphapy(tmp_path, DATABASE_URL=database_url)[0] == 0
    code, output, _ = alphapy(tmp_path, "migrate", "--rollback", "faq", DATABASE_URL=database_url)
    assert (code, "rolled back" in output) == (0, True), output
    code, output, imported = alphapy(tmp_path, DATABASE_URL=database_url)
    assert (code, "faq_0001_init" in output) == (0, True), output
    assert "yoyo" in imported


def test_another_database_or_plugin_set_takes_the_full_path(tmp_path: Path, database_url: str,
                                                             alphapy_test_server: TestDatabaseServer) -> None:
    assert alphapy(tmp_path, DATABASE_URL=database_url)[0] == 0
    # Fewer plugins: the state no longer matches; the full path runs and is up to date.
    code, output, imported = alphapy(tmp_path, DATABASE_URL=database_url, ALPHAPY_PLUGINS="faq")
    assert (code, output.strip(), "pydantic_settings" in imported) == (0, "database is up to date", True)
    # A database the state was never written for: its migrations are applied.
    other = alphapy_test_server.create_database()
    try:
        code, output, _ = alphapy(tmp_path, DATABASE_URL=other)
        assert (code, "core_0001_init" in output) == (0, True), output
    finally:
        alphapy_test_server.drop_database(other)


def test_a_plugin_that_is_not_installed_is_reported_at_every_run(tmp_path: Path, database_url: str) -> None:
    for _ in range(2):
        code, output, imported = alphapy(tmp_path, DATABASE_URL=database_url, ALPHAPY_PLUGINS="faq,nope")
        assert code == 0, output
        assert "pydantic_settings" in imported  # never the fast path: nothing clean was recorded
    assert not (tmp_path / ".alphapy" / STATE_FILE).exists()


def test_the_digest_changes_with_a_local_source_file(tmp_path: Path) -> None:
    """An edited plugin in an editable install (its migrations, version and configuration
    unchanged) must not be taken for the state recorded before the edit."""
    from alphapy.install_state import digest

    source = tmp_path / "plugin.py"
    source.write_text("x = 1\n")
    before = digest([str(source)], {"a": 1})
    assert digest([str(source)], {"a": 1}) == before
    assert digest([str(source)], {"a": 2}) != before
    source.write_text("x = 22\n")
    assert digest([str(source)], {"a": 1}) != before
