"""Alphapy: a plugin-based Discord bot framework.

This module is the public face plugins import: ``hookimpl`` marks a hook
implementation, ``hookspec`` lets a plugin declare hooks of its own. It stays
light on purpose (no discord.py, no asyncpg) so that ``alphapy --help`` starts fast.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

PROJECT_NAME = "alphapy"

hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
hookspec = pluggy.HookspecMarker(PROJECT_NAME)

__all__ = ["PROJECT_NAME", "__version__", "hookimpl", "hookspec"]
