""".ci/run installs Debian's chromium when it is missing, before the README's test command.

The installing lines are run by bash with stand-ins for ``id``, ``sudo`` and ``apt-get``
that record their arguments: a test must not install packages on the machine it runs on.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CI_RUN = REPO / ".ci" / "run"


def _install_block() -> str:
    lines = CI_RUN.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("if ! command -v chromium"))
    end = next(i for i in range(start, len(lines)) if lines[i] == "fi")
    return "\n".join(lines[start:end + 1])


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_the_last_line_stays_the_readmes_test_command_and_chromium_comes_before_it() -> None:
    lines = CI_RUN.read_text().splitlines()
    readme = (REPO / "README.md").read_text()
    assert lines[-1] in readme.splitlines()
    assert "pytest" in lines[-1]
    assert any("apt-get install -y chromium" in line for line in lines[:-1])


@pytest.mark.parametrize(("uid", "has_sudo", "has_chromium", "expected"), [
    ("1000", True, False, ["sudo apt-get update", "apt-get update", "sudo apt-get install -y chromium",
                           "apt-get install -y chromium"]),
    ("0", True, False, ["apt-get update", "apt-get install -y chromium"]),
    ("1000", False, False, ["apt-get update", "apt-get install -y chromium"]),
    ("1000", True, True, []),
])
def test_chromium_is_installed_only_when_missing_through_sudo_when_not_root(
        tmp_path: Path, uid: str, has_sudo: bool, has_chromium: bool, expected: list[str]) -> None:
    log = tmp_path / "calls"
    tools = tmp_path / "bin"
    tools.mkdir()
    _tool(tools, "id", f'echo {uid}')
    _tool(tools, "apt-get", f'echo "apt-get $*" >> {log}')
    if has_sudo:
        _tool(tools, "sudo", f'echo "sudo $*" >> {log}\nexec "$@"')
    if has_chromium:
        _tool(tools, "chromium", "exit 0")
    script = "set -euo pipefail\n" + _install_block()
    subprocess.run(["/bin/bash", "-c", script], env={"PATH": str(tools)}, check=True, timeout=30)
    calls = log.read_text().splitlines() if log.exists() else []
    assert calls == expected
