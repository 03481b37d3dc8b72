"""Shared test set-up for the core: the test plugin packages and the reference files."""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
TEST_PLUGINS = TESTS / "plugins"



def _write_dist_info(site: Path, project_dir: Path) -> None:
    """Make ``project_dir`` an installed distribution for importlib.metadata.

    This is what ``pip install`` leaves behind (a ``.dist-info`` with METADATA and
    entry_points.txt), read from the plugin's own pyproject.toml, without paying for a
    pip run in every test.
    """
    project = tomllib.loads((project_dir / "pyproject.toml").read_text())["project"]
    name, version = project["name"], project["version"]
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: {project['description']}\n"
    )
    lines = []
    for group, entries in project.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines.extend(f"{key} = {value}" for key, value in entries.items())
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def install_test_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Install test plugins (``"hello"``, ``"dependent"``, ``"broken"``) for this test.

    Returns a PYTHONPATH value under which a subprocess sees the same installation.
    """
    site = tmp_path / "site"
    site.mkdir()
    paths: list[str] = [str(site)]

    def install(*names: str) -> str:
        for name in names:
            project_dir = TEST_PLUGINS / f"alphapy_{name}"
            _write_dist_info(site, project_dir)
            monkeypatch.syspath_prepend(str(project_dir))
            paths.append(str(project_dir))
        monkeypatch.syspath_prepend(str(site))
        for module in [m for m in sys.modules if m.startswith(tuple(f"alphapy_{n}" for n in names))]:
            del sys.modules[module]
        importlib.invalidate_caches()
        return os.pathsep.join(paths)

    return install


def test_plugin(name: str) -> object:
    """Import a test plugin's hook module directly (for explicit registration)."""
    project_dir = str(TEST_PLUGINS / f"alphapy_{name}")
    if project_dir not in sys.path:
        sys.path.insert(0, project_dir)
    return importlib.import_module(f"alphapy_{name}.plugin")


test_plugin.__test__ = False  # type: ignore[attr-defined]
