"""Prometheus metrics of one process, served at ``/metrics``.

Counters that change on the hot path (commands by name and outcome) are real
``prometheus_client`` counters; figures other services already keep (tracker queue,
pools, settings cache) are read when Prometheus scrapes, by a collector, so nothing is
counted twice. Each :class:`Metrics` has its own registry: several bots in one test
process never mix their numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _ServiceCollector(Collector):
    """Reads live figures from the services at scrape time."""

    def __init__(self, source: Callable[[], dict[str, Any]]) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
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
    """The registry and the hot-path counters of one bot process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.commands = Counter(
            "alphapy_commands", "commands handled, by name and outcome",
            ["command", "outcome"], registry=self.registry,
        )
        self._collector: _ServiceCollector | None = None

    def read_from(self, source: Callable[[], dict[str, Any]]) -> None:
        """Install the scrape-time collector (once the services exist)."""
        if self._collector is not None:
            self.registry.unregister(self._collector)
        self._collector = _ServiceCollector(source)
        self.registry.register(self._collector)

    def command(self, name: str, ok: bool) -> None:
        self.commands.labels(name, "success" if ok else "error").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
