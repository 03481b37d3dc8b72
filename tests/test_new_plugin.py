"""``alphapy new-plugin``: the package it writes installs, loads, and its own tests pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alphapy.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main

NAME = "scaffoldcheck"  # not a plugin anyone installs, so the scaffold accepts it


def _environment(site: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    env.update(extra)
    return env


def test_the_new_plugin_installs_loads_and_passes_its_own_tests(tmp_path: Path, capsys) -> None:
    assert main(["new-plugin", NAME, "--into", str(tmp_path)]) == EXIT_OK
    project = tmp_path / f"alphapy_{NAME}"
    assert f"Created {project}" in capsys.readouterr().out
    expected = {"pyproject.toml", "README.md", f"alphapy_{NAME}/plugin.py", f"alphapy_{NAME}/cog.py",
                f"alphapy_{NAME}/store.py", f"alphapy_{NAME}/migrations/{NAME}_0001_init.sql",
                f"alphapy_{NAME}/migrations/{NAME}_0001_init.rollback.sql", "tests/conftest.py"}
    assert expected <= {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}

    # A real installation (wheel built by the package's own build backend) into a private folder.
    # (pip builds it with hatchling in an isolated environment, from the configured index.)
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                                str(site), str(project)], capture_output=True, text=True, timeout=180)
    assert installed.returncode == 0, installed.stderr

    listed = subprocess.run([sys.executable, "-m", "alphapy", "plugins", "--offline", "--json"],
                            env=_environment(site, ALPHAPY_PLUGINS=NAME), cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    [plugin] = json.loads(listed.stdout)["plugins"]
    assert (plugin["name"], plugin["status"], plugin["version"]) == (NAME, "loaded", "0.1.0")
    assert {"register_cogs", "register_migrations", "register_settings", "user_data", "forget_user"} <= set(
        plugin["hooks"])

    tested = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                            env=_environment(site), cwd=project, capture_output=True, text=True, timeout=300)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert " passed" in tested.stdout and "failed" not in tested.stdout


def test_the_new_plugin_passes_mypy_strict_as_its_readme_says(tmp_path: Path) -> None:
    """``mypy`` in the new plugin's folder, configured by its own pyproject.toml (strict, its
    package). The repository's mypy cache is reused (discord.py is the slow part), so this
    takes seconds once ``.ci/run`` has type-checked the core."""
    assert main(["new-plugin", NAME, "--into", str(tmp_path)]) == EXIT_OK
    project = tmp_path / f"alphapy_{NAME}"
    cache = Path(__file__).resolve().parent.parent / ".mypy_cache"
    checked = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(cache)], cwd=project,
                             capture_output=True, text=True, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues found in 4 source files" in checked.stdout  # plugin, cog, store, __init__


@pytest.mark.parametrize(("name", "reason"), [
    ("Greeter", "not a valid plugin name"),
    ("2fa", "not a valid plugin name"),
    ("greet-er", "not a valid plugin name"),
    ("class", "Python keyword"),
    ("a" * 25, "at most 24"),
    ("core", "name of Alphapy's core"),
    ("migrate", "name of Alphapy's core"),
])
def test_an_invalid_name_is_refused_with_a_sentence(name: str, reason: str, tmp_path: Path, capsys) -> None:
    assert main(["new-plugin", name, "--into", str(tmp_path)]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert reason in error and error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_installed_plugin_name_is_refused(install_test_plugins, tmp_path: Path, capsys) -> None:
    install_test_plugins("hello")
    into = tmp_path / "work"
    into.mkdir()
    assert main(["new-plugin", "hello", "--into", str(into)]) == EXIT_USAGE
    assert "a plugin named 'hello' is already installed" in capsys.readouterr().err
    assert list(into.iterdir()) == []


def test_an_existing_folder_is_left_alone(tmp_path: Path, capsys) -> None:
    mine = tmp_path / f"alphapy_{NAME}"
    mine.mkdir()
    (mine / "notes.txt").write_text("my work")
    assert main(["new-plugin", NAME, "--into", str(tmp_path)]) == EXIT_USAGE
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_folder_that_cannot_be_written_is_one_sentence(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    assert main(["new-plugin", NAME, "--into", str(blocker)]) == EXIT_FAILURE
    error = capsys.readouterr().err
    assert error.startswith("alphapy: could not write") and error.count("\n") == 1
