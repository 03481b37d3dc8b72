"""Every hook is documented, with its arguments, where plugin authors look: docs/plugins.md.

As datasette does: the hooks the core declares and those every installed plugin declares
(its ``alphapy_hookspecs``) are compared with the rows of the hook tables, so a new hook
or a changed argument cannot ship undocumented.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alphapy.plugins import PluginManager

PLUGINS_DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
HOOK_ROW = re.compile(r"^\| `(?P<name>\w+)\((?P<args>[^)]*)\)` \|", re.MULTILINE)


def documented_hooks(text: str) -> dict[str, tuple[str, ...]]:
    """The ``name(args)`` rows of the tables under ``## The hooks`` (up to the next chapter)."""
    section = text.split("\n## The hooks\n", 1)[1].split("\n## ", 1)[0]
    return {m["name"]: tuple(a.strip() for a in m["args"].split(",") if a.strip())
            for m in HOOK_ROW.finditer(section)}


@pytest.fixture(scope="module")
def declared_hooks() -> dict[str, tuple[tuple[str, ...], str]]:
    """Name -> (arguments, docstring) of every hook the core and the installed plugins declare."""
    manager = PluginManager()
    manager.load_entrypoints(log_failures=False)
    hooks = {}
    for name, caller in vars(manager.pm.hook).items():
        if getattr(caller, "spec", None) is not None:
            hooks[name] = (tuple(caller.spec.argnames), (caller.spec.function.__doc__ or "").strip())
    return hooks


def test_the_hook_parser_reads_signatures() -> None:
    text = "# Doc\n## The hooks\n\n| `a()` | sync |\n| `b(x, y)` | async |\nnot `c(z)`\n## Next\n| `d()` | x |\n"
    assert documented_hooks(text) == {"a": (), "b": ("x", "y")}


def test_plugins_declare_hooks_of_their_own(declared_hooks) -> None:
    assert "ticket_summarized" in declared_hooks  # the tickets plugin's, installed with this repository
    assert "health" in declared_hooks


def test_every_hook_is_documented_with_its_arguments(declared_hooks) -> None:
    documented = documented_hooks(PLUGINS_DOC.read_text(encoding="utf-8"))
    assert {name: args for name, (args, _doc) in declared_hooks.items()} == documented


def test_every_hook_says_what_it_is_for(declared_hooks) -> None:
    assert [name for name, (_args, doc) in sorted(declared_hooks.items()) if not doc] == []
