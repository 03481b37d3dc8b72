"""The emulator stays split by Discord resource, so a contributor knows which file is theirs.

Each route module lists its own routes; :class:`RestAPI` installs what every mixin lists,
exactly once. A resource module that grows past a reviewable size is a sign a resource
belongs in a file of its own (``docs/testing-emulator.md``, "Layout").
"""

from __future__ import annotations

import inspect
from collections import Counter
from pathlib import Path

import alphapy.testing.emulator as emulator_package
from alphapy.testing.emulator import DiscordEmulator

MAX_MODULE_LINES = 500


def test_no_emulator_module_outgrows_one_resource() -> None:
    root = Path(emulator_package.__file__).parent
    sizes = {str(path.relative_to(root)): len(path.read_text().splitlines()) for path in root.rglob("*.py")}
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not too_long, f"split these by resource (at most {MAX_MODULE_LINES} lines each): {too_long}"


def test_every_route_module_is_installed_once() -> None:
    from alphapy.testing.emulator.routes import RestAPI
    from alphapy.testing.emulator.routes.base import RouteBase

    api = RestAPI(DiscordEmulator())
    installed = Counter((method, template) for method, template, _ in api.routes())
    assert [route for route, count in installed.items() if count > 1] == []
    listed_by_mixins = {
        (method, template)
        for mixin in RestAPI.__mro__
        if mixin is not RestAPI and issubclass(mixin, RouteBase)
        for name, function in vars(mixin).items()
        if name.endswith("_routes") and inspect.isfunction(function)
        for method, template, _ in function(api)
    }
    assert listed_by_mixins, "no route module lists routes"
    assert set(installed) == listed_by_mixins
