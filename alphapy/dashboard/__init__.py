"""The hosts' web dashboard: log in with Discord, pick a server, switch its plugins.

It reads the database and Discord's REST API only (no gateway), so it runs inside
``alphapy run`` or on its own with ``alphapy dashboard``. Every request is authorized
afresh (:mod:`.access`), every form carries a CSRF token (:mod:`.csrf`), and every change
goes through the same core services as the slash commands. See ``docs/dashboard.md``.
"""

from alphapy.dashboard.app import DashboardOptions, create_app
from alphapy.dashboard.server import DashboardServer

__all__ = ["DashboardOptions", "DashboardServer", "create_app"]
