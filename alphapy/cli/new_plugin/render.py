"""Write the plugin template (package data of the core) into a new folder.

Templates are plain files ending in ``.tmpl`` (so no tool imports, lints or collects
them as code) with ``{{placeholders}}`` in their names and text; plain replacement keeps
SQL's ``$1`` and Python's braces untouched and needs no template engine.
"""

from __future__ import annotations

import re
from importlib.resources import as_file, files
from pathlib import Path

SUFFIX = ".tmpl"
_LEFTOVER = re.compile(r"\{\{\w+\}\}")


def placeholders(name: str) -> dict[str, str]:
    from alphapy.cli.new_plugin.names import distribution_name, package_name

    return {
        "name": name,
        "package": package_name(name),
        "distribution": distribution_name(name),
        "Class": "".join(part.capitalize() for part in name.split("_") if part),
    }


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    leftover = _LEFTOVER.search(text)
    if leftover:
        raise ValueError(f"the plugin template has an unknown placeholder {leftover.group()}")
    return text


def render(name: str, folder: Path) -> list[Path]:
    """Create ``folder`` with the plugin ``name``; returns the files written, in order."""
    values = placeholders(name)
    written: list[Path] = []
    with as_file(files(__package__) / "template") as template:
        sources = sorted(p for p in template.rglob(f"*{SUFFIX}") if p.is_file())
        for source in sources:
            relative = fill(str(source.relative_to(template))[: -len(SUFFIX)], values)
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(fill(source.read_text(encoding="utf-8"), values), encoding="utf-8")
            written.append(target)
    return written
