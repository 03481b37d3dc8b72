"""The testing kit: real PostgreSQL, a Discord emulator and a fake AI server for tests.

Installed with ``alphapy[test]``; its pytest plugin (``alphapy.testing.pytest_plugin``)
is registered through the ``pytest11`` entry point, so its fixtures are available in
any project that has Alphapy installed. See ``docs/testing.md``.
"""

from __future__ import annotations

__all__ = ["TestDatabaseServer"]


def __getattr__(name: str) -> object:
    # Lazy: importing the kit must not start servers or import discord.py.
    if name == "TestDatabaseServer":
        from alphapy.testing.database import TestDatabaseServer

        return TestDatabaseServer
    raise AttributeError(name)
