"""The core services of one process, built and started together in one order.

Plugins reach them through the bot (``bot.db``, ``bot.settings``, ``bot.tracker``,
``bot.ai``, ``bot.scheduler``, ``bot.premium_status(...)``); the bot runtime, the demo
and the testing kit all assemble them here, so there is one start-up order and one
shutdown order (docs/architecture.md, "Start-up" and "Shutdown"):

start: pools -> settings listener -> tracker -> scheduler (maintenance tasks) -> health
stop:  health -> scheduler -> tracker (flushed) -> settings -> AI client -> pools
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from alphapy.ai import AIClient
from alphapy.db import Database
from alphapy.log import get_logger
from alphapy.metrics import Metrics
from alphapy.scheduler import Scheduler
from alphapy.settings import SettingsRegistry, SettingsService, build_registry
from alphapy.tracking import CommandTracker

if TYPE_CHECKING:
    from alphapy.config import Config
    from alphapy.health import HealthServer
    from alphapy.plugins import PluginManager
    from alphapy.premium import PremiumStatus

log = get_logger(__name__)

AUDIT_RETENTION_INTERVAL = 3600.0
HEALTH_PURGE_INTERVAL = 3600.0
HEALTH_RECORD_FALLBACK = 60.0  # seconds between recordings when HEALTH_RECORD_INTERVAL is 0


class Services:
    """Database pools, settings, tracking, AI, scheduler, metrics and the health server."""

    def __init__(self, config: Config, plugins: PluginManager, database_url: str,
                 registry: SettingsRegistry | None = None) -> None:
        """``registry``: the one the start-up's plugin checks built (else it is built here)."""
        self.config = config
        self.plugins = plugins
        self.db = Database.from_config(database_url, config)
        plugins.provide(db=self.db, bot=None)
        if registry is None:
            registry = build_registry(plugins, plugins_enabled_by_default=config.plugins_enabled_by_default)
        self.registry = registry
        self.settings = SettingsService(self.db, self.registry, premium_check=self._premium_allows)
        self.tracker = CommandTracker.from_config(self.db, config)
        self.ai = AIClient(config)
        self.scheduler = Scheduler.from_config(self.db, config)
        self.metrics = Metrics()
        self.health: HealthServer | None = None
        self.bot: Any = None  # the discord.py bot, once the runtime attaches it
        self.shard_keeper: Any = None  # SHARD_IDS=auto: the leases of this process's shards
        self.started_at = time.monotonic()
        self._started = False

    # --- lifecycle ------------------------------------------------------------------
    async def start(self, *, health: bool = True) -> None:
        """Open the pools and start every service (migrations must have run)."""
        await self.db.open()
        await self.settings.start()
        await self.tracker.start()
        self.scheduler.every("core.audit_retention", AUDIT_RETENTION_INTERVAL, self.tracker.apply_retention)
        self.metrics.read_from(self.figures)
        if health:
            from alphapy.health import HealthServer

            self.health = HealthServer(
                self, host=self.config.health_host, port=self.config.health_port,
                record_interval=self.config.health_record_interval,
                cache_seconds=self.config.health_cache_seconds,
            )
            self.scheduler.every("core.health_history_purge", HEALTH_PURGE_INTERVAL, self.health.purge_history,
                                 run_at_start=True)
            # a row every interval even when nothing polls /api/health: the dashboard reads them
            self.scheduler.every("core.health_record", self.config.health_record_interval or HEALTH_RECORD_FALLBACK,
                                 self.health.record, run_at_start=True, jitter=0.0)
            await self.health.start()
        await self.scheduler.start()
        self.started_at = time.monotonic()
        self._started = True

    async def stop(self) -> None:
        """Stop in reverse order; the tracker flushes before the pools close."""
        steps = [
            ("health", self.health.stop if self.health else None),
            ("scheduler", self.scheduler.stop),
            ("tracker", self.tracker.stop),
            ("settings", self.settings.stop),
            ("ai", self.ai.close),
            ("database", self.db.close),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                await step()
            except Exception as exc:  # keep stopping the rest
                log.error("services.stop_failed", service=name, error=str(exc))
        self._started = False

    # --- questions the core answers for plugins ---------------------------------------
    async def premium_status(self, user_id: int, guild_id: int) -> PremiumStatus | None:
        """The premium plugin's answer (any plugin implementing the hook), or None."""
        answer: PremiumStatus | None = await self.plugins.call_first("premium_status", user_id=user_id,
                                                                     guild_id=guild_id)
        return answer

    async def _premium_allows(self, guild_id: int, user_id: int) -> bool:
        from alphapy.premium import is_active

        return is_active(await self.premium_status(user_id, guild_id))

    # --- figures for health and metrics -------------------------------------------------
    def guild_count(self) -> int | None:
        return len(self.bot.guilds) if self.bot is not None else None

    def gateway_status(self) -> str:
        """``none`` without a bot; else ``ok`` when the gateway is connected and ready."""
        if self.bot is None:
            return "none"
        if self.bot.is_closed():
            return "closed"
        return "ok" if self.bot.is_ready() and not getattr(self.bot, "gateway_lost", False) else "connecting"

    def figures(self) -> dict[str, Any]:
        """Live numbers for ``/metrics`` (read at scrape time)."""
        tracker = dataclasses.asdict(self.tracker.stats())
        tracker["failures"] = tracker.get("write_failures")
        return {
            "tracker": tracker,
            "pools": self.db.stats() if self.db.is_open else {},
            "settings": self.settings.stats(),
            "guilds": self.guild_count(),
        }
