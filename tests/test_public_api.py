"""The three public modules: every exported name resolves, editors see each one, and
importing them stays light; the bundled plugins, the example and the scaffold use only them."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ("alphapy", "alphapy.cli", "alphapy.testing")
TEMPLATE = ROOT / "alphapy" / "cli" / "new_plugin" / "template"


@pytest.mark.parametrize("module_name", PUBLIC)
def test_every_exported_name_resolves(module_name: str) -> None:
    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{module_name} lists names it cannot give: {missing}"


def _type_checking_names(path: Path) -> set[str]:
    """The names a type checker sees from the module's ``if TYPE_CHECKING:`` block."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in ast.walk(node):
                if isinstance(child, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in child.names)
    return names


@pytest.mark.parametrize("module_name", PUBLIC)
def test_type_checkers_see_every_lazy_name(module_name: str) -> None:
    module = importlib.import_module(module_name)
    lazy = set(module._EXPORTS)
    unseen = lazy - _type_checking_names(Path(module.__file__))
    assert not unseen, f"{module_name}: add these to its TYPE_CHECKING block: {sorted(unseen)}"


def test_the_package_ships_py_typed() -> None:
    assert (ROOT / "alphapy" / "py.typed").is_file()


@pytest.mark.parametrize("module_name", PUBLIC)
def test_importing_a_public_module_does_not_import_discord_or_asyncpg(module_name: str) -> None:
    code = (f"import sys, {module_name}; "
            "heavy = sorted(m for m in ('discord', 'asyncpg', 'psycopg') if m in sys.modules); "
            "assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# -- plugins, the example and the scaffold use only the public modules --------------------


def _where_to_find() -> dict[str, str]:
    """Public name → the public module that exports it, for the failure message."""
    home: dict[str, str] = {}
    for module_name in reversed(PUBLIC):
        for name in importlib.import_module(module_name).__all__:
            home[name] = module_name
    return home


def _sources() -> list[tuple[Path, str]]:
    files = sorted((ROOT / "plugins").glob("*/**/*.py")) + sorted((ROOT / "docs" / "example").rglob("*.py"))
    sources = [(path, path.read_text()) for path in files if ".venv" not in path.parts]
    for path in sorted(TEMPLATE.rglob("*.py.tmpl")):
        # Template placeholders sit only in names and strings; make them parse as names.
        sources.append((path, path.read_text().replace("{{", "x_").replace("}}", "_x")))
    return sources


def private_imports(source: str) -> list[tuple[int, str, str]]:
    """(line, imported name, internal module) for each import of a non-public core module."""
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            root = node.module.split(".")[0]
            if root != "alphapy":
                continue
            if node.module not in PUBLIC:
                found += [(node.lineno, alias.name, node.module) for alias in node.names]
            else:
                public = importlib.import_module(node.module).__all__
                found += [(node.lineno, alias.name, f"{node.module}.{alias.name}")
                          for alias in node.names if alias.name not in public]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, alias.name) for alias in node.names
                      if alias.name.startswith("alphapy.") and alias.name not in PUBLIC]
    return found


def test_plugins_example_and_scaffold_import_only_public_modules() -> None:
    home = _where_to_find()
    problems = []
    for path, source in _sources():
        for line, name, module in private_imports(source):
            advice = f"import {name} from {home[name]}" if name in home else "not public: ask for it to be exported"
            problems.append(f"{path.relative_to(ROOT)}:{line}: {name} from internal {module}; {advice}")
    assert not problems, "\n".join(problems)


def test_the_check_names_the_internal_import_and_the_public_home() -> None:
    assert private_imports("from alphapy.cog import PluginCog\nfrom alphapy import hookimpl\n") == [
        (1, "PluginCog", "alphapy.cog")]
    assert private_imports("from alphapy import personal_data\n") == [
        (1, "personal_data", "alphapy.personal_data")]
    assert _where_to_find()["running_alphapy"] == "alphapy.testing"


def cog_lookups_by_name(source: str) -> list[int]:
    """Lines that look a cog up by a name string (``bot.get_cog("XCog")``)."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_cog"]


def test_plugins_reach_their_cog_by_class_not_by_name() -> None:
    problems = [f"{path.relative_to(ROOT)}:{line}: use XCog.of(bot) (or XCog.find(bot)) instead of get_cog"
                for path, source in _sources() for line in cog_lookups_by_name(source)]
    assert not problems, "\n".join(problems)


def test_the_cog_check_sees_a_lookup_by_name() -> None:
    assert cog_lookups_by_name('cog = interaction.client.get_cog("TicketsCog")\n') == [1]


def hand_written_escapes(source: str) -> list[int]:
    """Lines that escape text with discord.py directly instead of the core's text helpers."""
    return [node.lineno for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in ("escape_markdown", "escape_mentions")]


def test_plugins_escape_text_with_the_core_helpers() -> None:
    problems = [f"{path.relative_to(ROOT)}:{line}: use alphapy.escape / alphapy.safe instead of discord.utils' escapes"
                for path, source in _sources() for line in hand_written_escapes(source)]
    assert not problems, "\n".join(problems)


def test_the_escape_check_sees_discord_utils() -> None:
    assert hand_written_escapes("x = discord.utils.escape_markdown(name)\n") == [1]
