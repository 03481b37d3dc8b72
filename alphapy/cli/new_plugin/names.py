"""Which plugin names ``alphapy new-plugin`` accepts, and the sentence for one it refuses.

A plugin's name becomes its entry-point name, settings scope, migration prefix, table
prefix, command name and custom-id prefix, so it must be safe in all of them; and a name
already in use would make two plugins share those (the loader refuses both).
"""

from __future__ import annotations

import keyword
import re
from importlib import metadata, util
from pathlib import Path

# PostgreSQL cuts identifiers at 63 bytes and Discord command names at 32 characters: a
# 24-character name leaves room for the table, index and command names built from it.
MAX_LENGTH = 24
_LOWER_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_RESERVED = {"core", "alphapy"}


def package_name(name: str) -> str:
    return f"alphapy_{name}"


def distribution_name(name: str) -> str:
    return f"alphapy-{name.replace('_', '-')}"


def invalid_reason(name: str) -> str | None:
    """Why ``name`` cannot be a plugin name at all, or None."""
    if not _LOWER_IDENTIFIER.fullmatch(name):
        return (f"'{name}' is not a valid plugin name: use lower-case letters, digits and underscores, "
                "starting with a letter (e.g. 'greeter').")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"'{name}' is a Python keyword; please choose another plugin name."
    if len(name) > MAX_LENGTH:
        return f"'{name}' is {len(name)} characters long; a plugin name has at most {MAX_LENGTH}."
    if name in _RESERVED or name in _core_command_names():
        return f"'{name}' is a name of Alphapy's core; please choose another plugin name."
    return None


def taken_reason(name: str, folder: Path) -> str | None:
    """Why ``name`` is already in use on this machine (or ``folder`` exists), or None."""
    installed = [ep for ep in metadata.entry_points(group="alphapy.plugins") if ep.name == name]
    if installed:
        return f"a plugin named '{name}' is already installed ({installed[0].value}); please choose another name."
    distribution = distribution_name(name)
    try:
        metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        pass
    else:
        return f"the package {distribution} is already installed; please choose another name."
    if util.find_spec(package_name(name)) is not None:
        return f"a Python package named {package_name(name)} is already importable; please choose another name."
    if folder.exists():
        return f"{folder} already exists; choose another name or another folder (--into)."
    return None


def _core_command_names() -> set[str]:
    """The core's own ``alphapy`` commands: a plugin's ``register_cli`` group shares their space."""
    import argparse

    from alphapy.cli import _COMMAND_MODULES

    parser = argparse.ArgumentParser(add_help=False)
    commands = parser.add_subparsers()
    from importlib import import_module

    for module_name in _COMMAND_MODULES:
        import_module(module_name).add_parser(commands)
    return {name.replace("-", "_") for name in commands.choices}
