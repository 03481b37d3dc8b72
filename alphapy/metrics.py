"""Prometheus metrics of one process, served at ``/metrics``.

The counter that changes on the hot path (commands by name and outcome) is a plain
dictionary; it and the figures other services already keep (tracker queue, pools,
settings cache) are turned into Prometheus metrics when Prometheus scrapes, by a
collector, so nothing is counted twice. ``prometheus_client`` is imported at the first
scrape: a bot nobody scrapes does not carry it. Each :class:`Metrics` has its own
registry: several bots in one test process never mix their numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import Metric

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _ServiceCollector:
    """Reads live figures from the services and the command counts at scrape time."""

    def __init__(self, source: Callable[[], dict[str, Any]] | None, commands: dict[tuple[str, str], int]) -> None:
        self._source = source
        self._commands = commands

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        commands = CounterMetricFamily("alphapy_commands", "commands handled, by name and outcome",
                                       labels=["command", "outcome"])
        for (name, outcome), count in sorted(self._commands.items()):
            commands.add_metric([name, outcome], count)
        yield commands
        if self._source is None:
            return
        figures = self._source()
        tracker = figures.get("tracker") or {}
        pools = figures.get("pools") or {}
        settings = figures.get("settings") or {}
        for name, help_text, value in (
            ("alphapy_tracker_queue_depth", "command records waiting to be written", tracker.get("queued")),
            ("alphapy_db_pool_size", "open connections in the main pool", pools.get("size")),
            ("alphapy_db_pool_in_use", "connections of the main pool in use", pools.get("in_use")),
            ("alphapy_db_pool_max_size", "maximum size of the main pool", pools.get("max_size")),
            ("alphapy_settings_cached_guilds", "guilds whose settings are cached", settings.get("cached_guilds")),
            ("alphapy_guilds", "guilds this process serves", figures.get("guilds")),
        ):
            if value is not None:
                yield GaugeMetricFamily(name, help_text, value=value)
        for name, help_text, value in (
            ("alphapy_tracker_rows_written", "command records written to audit_logs", tracker.get("written")),
            ("alphapy_tracker_rows_dropped", "command records dropped because the backlog was full",
             tracker.get("dropped")),
            ("alphapy_tracker_write_failures", "failed batch writes (retried)", tracker.get("failures")),
            ("alphapy_settings_cache_hits", "settings reads served from the cache", settings.get("hits")),
            ("alphapy_settings_cache_misses", "settings reads that loaded a guild", settings.get("misses")),
        ):
            if value is not None:
                yield CounterMetricFamily(name, help_text, value=value)


class Metrics:
    """The command counts of one bot process, and its registry once it is scraped."""

    def __init__(self) -> None:
        self.commands: dict[tuple[str, str], int] = {}
        self._source: Callable[[], dict[str, Any]] | None = None
        self._registry: CollectorRegistry | None = None

    def read_from(self, source: Callable[[], dict[str, Any]]) -> None:
        """Read the services' figures at scrape time (once the services exist)."""
        self._source = source
        self._registry = None  # built again, with this source, at the next scrape

    def command(self, name: str, ok: bool) -> None:
        key = (name, "success" if ok else "error")
        self.commands[key] = self.commands.get(key, 0) + 1

    @property
    def registry(self) -> CollectorRegistry:
        if self._registry is None:
            from prometheus_client import CollectorRegistry

            registry = CollectorRegistry(auto_describe=False)
            registry.register(_ServiceCollector(self._source, self.commands))  # type: ignore[arg-type]
            self._registry = registry
        return self._registry

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
