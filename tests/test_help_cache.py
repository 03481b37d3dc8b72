"""``alphapy --help`` kept while what it is built from is unchanged (issue 20).

Each command is a real ``alphapy`` process; what it imported is read from ``sys.modules``,
never timed. The cache lives in ``XDG_CACHE_HOME``, here a test folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

HELP = textwrap.dedent("""
    import json, runpy, sys
    sys.argv = ["alphapy", *sys.argv[1:]]
    code = 0
    try:
        runpy.run_module("alphapy", run_name="__main__")
    except SystemExit as done:
        code = done.code
    print(json.dumps({"code": code, "plugins_imported": "alphapy.plugins" in sys.modules}))
""")


def alphapy_help(cache: Path, *args: str, **env: str) -> tuple[int, str, bool]:
    """Exit code, help text, and whether the plugins were loaded to build it."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ALPHAPY_", "XDG_", "COLUMNS"))}
    done = subprocess.run([sys.executable, "-c", HELP, *(args or ("--help",))],
                          env={**base, "XDG_CACHE_HOME": str(cache), **env},
                          capture_output=True, text=True, timeout=120)
    lines = done.stdout.rstrip("\n").splitlines()
    report = json.loads(lines[-1])
    return report["code"] or 0, "\n".join(lines[:-1]), report["plugins_imported"]


def test_the_second_help_is_the_same_text_without_loading_plugins(tmp_path: Path) -> None:
    code, first, loaded = alphapy_help(tmp_path)
    assert (code, loaded) == (0, True)
    assert "faq" in first and "migrate" in first  # plugins' commands and the core's
    code, second, loaded = alphapy_help(tmp_path)
    assert (code, second, loaded) == (0, first, False)
    code, short, loaded = alphapy_help(tmp_path, "-h")
    assert (code, short, loaded) == (0, first, False)


def test_another_plugin_set_or_width_builds_the_help_again(tmp_path: Path) -> None:
    _, everything, _ = alphapy_help(tmp_path)
    code, only_faq, loaded = alphapy_help(tmp_path, ALPHAPY_PLUGINS="faq")
    assert (code, loaded) == (0, True)
    assert "faq" in only_faq and "premium" not in only_faq and "premium" in everything
    _, wide, loaded = alphapy_help(tmp_path, ALPHAPY_PLUGINS="faq", COLUMNS="200")
    assert loaded
    assert max(len(line) for line in wide.splitlines()) > max(len(line) for line in only_faq.splitlines())


def test_an_unwritable_cache_still_prints_the_help(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for _ in range(2):
        code, text, loaded = alphapy_help(blocker)
        assert (code, "commands:" in text, loaded) == (0, True, True)
