"""Typed keys of the dashboard's application and request storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from alphapy.dashboard.access import Access
    from alphapy.dashboard.app import DashboardOptions

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPTIONS_KEY: Any = web.AppKey("alphapy_dashboard_options", object)
ACCESS_KEY: Any = web.AppKey("alphapy_dashboard_access", object)
LOGIN_LIMIT_KEY: Any = web.AppKey("alphapy_dashboard_login_limit", object)
WRITE_LIMIT_KEY: Any = web.AppKey("alphapy_dashboard_write_limit", object)

__all__ = ["ACCESS_KEY", "LOGIN_LIMIT_KEY", "OPTIONS_KEY", "WRITE_LIMIT_KEY", "Access", "DashboardOptions", "Handler"]
