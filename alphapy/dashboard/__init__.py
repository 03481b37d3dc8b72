"""The hosts' web dashboard: log in with Discord, pick a server, switch its plugins.

It reads the database and Discord's REST API only (no gateway), so it runs inside
``alphapy run`` or on its own with ``alphapy dashboard``. Every request is authorized
afresh (:mod:`.access`), every form carries a CSRF token (:mod:`.csrf`), and every change
goes through the same core services as the slash commands. See ``docs/dashboard.md``.
"""

from typing import TYPE_CHECKING

from alphapy.exports import lazy_getattr

if TYPE_CHECKING:
    from alphapy.dashboard.app import DashboardOptions as DashboardOptions, create_app as create_app
    from alphapy.dashboard.server import DashboardServer as DashboardServer

# Imported when first used: ``alphapy run`` without OAuth2 credentials never starts the
# dashboard, and its templates and sessions should not cost that bot's memory.
_EXPORTS = {"DashboardOptions": "alphapy.dashboard.app", "create_app": "alphapy.dashboard.app",
            "DashboardServer": "alphapy.dashboard.server"}
__all__ = ["DashboardOptions", "DashboardServer", "create_app"]
__getattr__ = lazy_getattr(globals(), _EXPORTS)
