"""The health server: ``/api/health``, ``/livez``, ``/readyz``, ``/metrics`` and plugin routes.

Monitoring may call ``/api/health`` many times a second; the report is built at most
once per ``cache_seconds`` (concurrent callers share one build), and a row goes to
``health_check_history`` at most once per ``record_interval``, across processes too
(the insert checks the table). ``/livez`` never touches the database: it proves the
event loop answers, which is what a restart decision needs.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web

from alphapy import __version__
from alphapy.log import get_logger
from alphapy.shards import describe_shards
from alphapy.web import BOT_SOURCE

if TYPE_CHECKING:
    from alphapy.plugins import HookResult, PluginInfo
    from alphapy.services import Services

log = get_logger(__name__)

SERVICE_NAME = "alphapy"
HISTORY_RETENTION = timedelta(days=30)
JSON = "application/json"

_RECORD = """
INSERT INTO health_check_history
    (service, version, uptime_seconds, db_status, guild_count, active_commands_24h,
     gpt_status, database_pool_size, status, plugins, checked_at)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $10, $11::jsonb, now()
WHERE NOT EXISTS (
    SELECT 1 FROM health_check_history
    WHERE service = $1 AND checked_at > now() - make_interval(secs => $9)
)
"""

# Without it two processes check "no recent row" at the same moment and both insert:
# the lock makes the second check wait for the first insert to commit, and the check
# runs as its own statement after the lock so that its snapshot sees that row.
_RECORD_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('alphapy.health_check_history:' || $1, 0))"

_PURGE = "DELETE FROM health_check_history WHERE checked_at < now() - make_interval(days => $1)"


#: the ``plugins`` statuses of a plugin that is not running at all (it never loaded)
NOT_RUNNING = ("failed", "missing")


def plugin_reports(infos: dict[str, PluginInfo], answers: list[HookResult]) -> dict[str, dict[str, Any]]:
    """One entry per known plugin: its ``health`` answer, or why it is not running.

    A loaded plugin without a ``health`` hook is ``ok``; one that failed to load (or is
    named by ``ALPHAPY_PLUGINS`` but not installed) reports ``failed``/``missing`` and
    the reason ``alphapy plugins`` shows.
    """
    reports: dict[str, dict[str, Any]] = {}
    for name, info in sorted(infos.items()):
        if info.status != "loaded":
            reports[name] = {"status": info.status, "error": info.error}
        else:
            reports[name] = {"status": "ok"}
    for result in answers:
        if result.error is not None:
            reports[result.plugin] = {"status": "down", "error": str(result.error) or type(result.error).__name__}
        elif result.value is not None:
            reports[result.plugin] = result.value
    return reports


def _plugin_statuses(plugins: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Each plugin's status word for the history row; errors and figures stay in the live report."""
    return {name: {"status": str(report.get("status", "ok"))} for name, report in plugins.items()}


@dataclass
class _Cached:
    report: dict[str, Any]
    built_at: float


@dataclass
class HealthState:
    """What the last recording and reports did (for tests and the log)."""

    recorded: int = 0
    last_record_attempt: float = 0.0
    builds: int = 0
    plugin_failures: dict[str, str] = field(default_factory=dict)


class HealthServer:
    """An aiohttp app over the services; plugins add routes through ``register_routes``."""

    def __init__(
        self,
        services: Services,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        record_interval: float = 60.0,
        cache_seconds: float = 1.0,
        service_name: str = SERVICE_NAME,
    ) -> None:
        self.services = services
        self.host = host
        self.port = port
        self.record_interval = record_interval
        self.cache_seconds = cache_seconds
        self.service_name = service_name
        self.state = HealthState()
        self._cached: _Cached | None = None
        self._building: asyncio.Future[dict[str, Any]] | None = None
        self._runner: web.AppRunner | None = None
        self.app = self._build_app()

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/health", self._health)
        app.router.add_get("/livez", self._livez)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        app[BOT_SOURCE] = lambda: self.services.bot
        for result in self.services.plugins.call_each("register_routes", app=app):
            if result.error is not None:
                log.error("plugin.routes_failed", plugin=result.plugin, error=str(result.error))
        return app

    # --- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
        if sockets:
            self.port = sockets[0].getsockname()[1]  # the real port when 0 asked for any
        log.info("health.listening", url=self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- the report -----------------------------------------------------------------
    async def report(self) -> dict[str, Any]:
        """The current report, built at most once per ``cache_seconds``."""
        cached = self._cached
        if cached is not None and time.monotonic() - cached.built_at < self.cache_seconds:
            return cached.report
        if self._building is not None:
            return await asyncio.shield(self._building)
        self._building = asyncio.get_running_loop().create_future()
        try:
            report = await self._build()
            self._cached = _Cached(report, time.monotonic())
            self._building.set_result(report)
            return report
        except BaseException as exc:
            self._building.set_exception(exc)
            self._building.exception()  # mark retrieved; callers re-raise their own
            raise
        finally:
            self._building = None

    async def _build(self) -> dict[str, Any]:
        self.state.builds += 1
        services = self.services
        db_status, commands_24h = "ok", None
        try:
            await asyncio.wait_for(services.db.fetchval("SELECT 1"), timeout=2)
            since = datetime.now(timezone.utc) - timedelta(hours=24)
            commands_24h = await asyncio.wait_for(services.tracker.count_since(since), timeout=5)
        except Exception as exc:
            db_status = "down"
            log.warning("health.database_check_failed", error=str(exc))
        # A hook that takes the bot is not asked before the bot attaches (or in a CLI).
        answers = await services.plugins.call_async("health", timeout=3, bot=services.bot,
                                                    unavailable=() if services.bot is not None else ("bot",))
        plugins = plugin_reports(services.plugins.infos, answers)
        gateway = services.gateway_status()
        command_sync = getattr(services.bot, "command_sync", None) or {"status": "none"}
        ai_status = services.ai.status()
        statuses = [db_status, *(str(p.get("status", "ok")) for p in plugins.values())]
        if gateway != "none":  # "none": no bot in this process (a CLI, a test of the services)
            statuses.append(gateway)
        if command_sync["status"] == "refused":
            statuses.append("refused")
        overall = "down" if db_status == "down" else ("degraded" if any(s != "ok" for s in statuses) else "ok")
        if ai_status == "degraded" and overall == "ok":
            overall = "degraded"
        pools = services.db.stats() if services.db.is_open else {}
        report = {
            "service": self.service_name,
            "version": __version__,
            "status": overall,
            "uptime_seconds": int(time.monotonic() - services.started_at),
            "checked_at": datetime.now(timezone.utc).isoformat(),
            "database": {"status": db_status, "pool": pools},
            "gateway": gateway,
            "command_sync": command_sync,
            "guilds": services.guild_count(),
            "commands_24h": commands_24h,
            "ai": ai_status,
            "tracker": asdict(services.tracker.stats()),
            "plugins": plugins,
            "shards": describe_shards(services),
        }
        await self._maybe_record(report)
        return report

    async def _maybe_record(self, report: dict[str, Any]) -> None:
        now = time.monotonic()
        if self.record_interval > 0 and now - self.state.last_record_attempt < self.record_interval:
            return
        self.state.last_record_attempt = now
        if report["database"]["status"] != "ok":
            return  # nowhere to write it; the next successful check records
        try:
            async with self.services.db.transaction() as conn:
                await conn.execute(_RECORD_LOCK, self.service_name)
                status = await conn.execute(
                    _RECORD, self.service_name, __version__, report["uptime_seconds"], report["database"]["status"],
                    report["guilds"], report["commands_24h"], report["ai"],
                    report["database"]["pool"].get("size"), max(self.record_interval, 0.0),
                    report["status"], json.dumps(_plugin_statuses(report["plugins"])),
                )
        except Exception as exc:
            log.warning("health.record_failed", error=str(exc))
            return
        if status.endswith(" 1"):
            self.state.recorded += 1

    async def record(self) -> None:
        """Build a report (which records a row when one is due): run periodically, so the
        history, and the dashboard reading it, stays current without anyone polling. It
        bypasses the cache so that callers of ``/api/health`` keep getting their own."""
        try:
            await self._build()
        except Exception as exc:
            log.warning("health.report_failed", error=str(exc))

    async def purge_history(self) -> int:
        """Delete history rows older than 30 days (a periodic task runs this)."""
        status = await self.services.db.execute(_PURGE, HISTORY_RETENTION.days)
        deleted = int(status.split()[-1])
        if deleted:
            log.info("health.history_purged", rows=deleted)
        return deleted

    # --- handlers -------------------------------------------------------------------
    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        return web.Response(body=json.dumps(data, default=str).encode(), status=status, content_type=JSON)

    async def _health(self, _request: web.Request) -> web.Response:
        report = await self.report()
        return self._json(report, 200 if report["status"] != "down" else 503)

    async def _livez(self, _request: web.Request) -> web.Response:
        return self._json({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        report = await self.report()
        reasons = []
        if report["database"]["status"] != "ok":
            reasons.append("database unreachable")
        if report["gateway"] not in ("ok", "none"):
            reasons.append(f"gateway {report['gateway']}")
        reasons += [f"plugin {name} down" for name, p in report["plugins"].items() if p.get("status") == "down"]
        reasons += report["shards"]["not_ready"]
        # A plugin that did not load leaves the others serving: ready, but say which and why.
        unavailable = {name: p.get("error") for name, p in report["plugins"].items()
                       if p.get("status") in NOT_RUNNING}
        detail: dict[str, Any] = {"failed_plugins": unavailable} if unavailable else {}
        # Discord refused the command list: still serving, with the commands it already had.
        if report["command_sync"]["status"] == "refused":
            detail["command_sync"] = {"status": "refused", "errors": report["command_sync"]["errors"],
                                      "detail": "Discord refused the command sync; the bot runs with the "
                                                "commands Discord already has"}
        if reasons:
            return self._json({"status": "not_ready", "reasons": reasons, **detail}, 503)
        return self._json({"status": "ready", **detail})

    async def _metrics(self, _request: web.Request) -> web.Response:
        from alphapy.metrics import CONTENT_TYPE

        body = self.services.metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
