"""Lazy re-exports for the three public modules (``alphapy``, ``alphapy.cli``, ``alphapy.testing``).

A public module names each export's home module instead of importing it, so
``import alphapy`` (and so ``alphapy --help``) pulls in discord.py, asyncpg or the
emulator only when a plugin first touches a name that needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_getattr(namespace: dict[str, Any], exports: Mapping[str, str]) -> Callable[[str], Any]:
    """Build a module ``__getattr__`` that imports ``exports[name]`` on first use and caches it.

    A home is ``"package.module"`` (same name there) or ``"package.module:other_name"``
    when the public name differs from the internal one.
    """

    def __getattr__(name: str) -> Any:
        home = exports.get(name)
        if home is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        module_name, _, attribute = home.partition(":")
        value = getattr(import_module(module_name), attribute or name)
        namespace[name] = value
        return value

    return __getattr__
