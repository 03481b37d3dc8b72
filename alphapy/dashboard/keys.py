"""Typed keys of the dashboard's application storage: the options, the access cache, the rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

OPTIONS_KEY: Any = web.AppKey("alphapy_dashboard_options", object)
ACCESS_KEY: Any = web.AppKey("alphapy_dashboard_access", object)
LOGIN_LIMIT_KEY: Any = web.AppKey("alphapy_dashboard_login_limit", object)
WRITE_LIMIT_KEY: Any = web.AppKey("alphapy_dashboard_write_limit", object)
CHECK_LIMIT_KEY: Any = web.AppKey("alphapy_dashboard_check_limit", object)
GUILDS_KEY: Any = web.AppKey("alphapy_dashboard_guilds", object)

__all__ = ["ACCESS_KEY", "CHECK_LIMIT_KEY", "GUILDS_KEY", "LOGIN_LIMIT_KEY", "OPTIONS_KEY", "WRITE_LIMIT_KEY", "Handler"]
