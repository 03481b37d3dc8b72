"""``alphapy new-plugin NAME``: a complete, tested plugin package to start from.

The package it writes follows ``docs/plugins.md`` (the shape of ``docs/example``) and its
tests pass at once with the testing kit, so a plugin author starts from green.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from alphapy.cli import EXIT_OK, EXIT_USAGE, fail


def add_parser(commands: Any) -> None:
    new = commands.add_parser(
        "new-plugin",
        help="create a new plugin package, with tests, in a new folder",
        description="Create alphapy_NAME/ (pyproject.toml with the entry point, plugin.py, a cog with "
        "a slash command and a button that survives restarts, store.py, a migration and its "
        "rollback, a setting, privacy hooks, a README and tests).",
    )
    new.add_argument("name", help="the plugin's name: lower-case letters, digits, underscores (e.g. greeter)")
    new.add_argument("--into", type=Path, default=Path("."), metavar="DIR",
                     help="the folder to create alphapy_NAME/ in (default: the current folder)")
    new.set_defaults(handler=new_plugin_command)


def new_plugin_command(args: argparse.Namespace) -> int:
    from alphapy.cli.new_plugin.names import invalid_reason, package_name, taken_reason
    from alphapy.cli.new_plugin.render import render

    name: str = args.name
    problem = invalid_reason(name)
    folder = Path(args.into) / package_name(name)
    if problem is None:
        problem = taken_reason(name, folder)
    if problem is not None:
        return fail(problem, EXIT_USAGE)
    try:
        written = render(name, folder)
    except OSError as exc:
        return fail(f"could not write {folder}: {exc.strerror or exc}.")
    print(f"Created {folder} ({len(written)} files). Next:")
    print(f"  cd {folder}")
    print('  pip install -e ".[test]"')
    print("  pytest")
    return EXIT_OK
