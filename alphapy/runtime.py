"""The process-wide assembly every entry point shares: config, database server, plugins.

``alphapy run``, ``alphapy demo``, the other CLI commands and the testing kit all start
the same way (docs/architecture.md, "Start-up", steps 1-2); this module is that one way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from alphapy.config import Config, load_config
from alphapy.log import configure_logging
from alphapy.plugin_checks import check_plugins
from alphapy.plugins import PluginManager

if TYPE_CHECKING:
    from alphapy.db.embedded import EmbeddedPostgres
    from alphapy.db.migrate import MigrationReport, MigrationRunner
    from alphapy.settings import SettingsRegistry


@dataclass
class Runtime:
    """Config, the database URL in use (embedded or not), the loaded plugins and their settings."""

    config: Config
    plugins: PluginManager
    #: every declared setting, built by the plugin checks of :func:`prepare`
    registry: SettingsRegistry
    _database_url: str | None = None
    embedded: EmbeddedPostgres | None = None
    _closed: bool = field(default=False, repr=False)

    @property
    def database_url(self) -> str:
        """The server in use; starts the embedded one on first use when no URL is set."""
        if self._database_url is None:
            from alphapy.db import resolve_database

            self._database_url, self.embedded = resolve_database(self.config)
        return self._database_url

    def migration_runner(self) -> MigrationRunner:
        from alphapy.db.migrate import MigrationRunner

        return MigrationRunner(self.database_url, self.plugins.migration_sources())

    def migrate(self) -> MigrationReport:
        """Apply the core's and every loaded plugin's pending migrations.

        A plugin whose migrations cannot be applied is marked failed (with the migration
        named) so that the bot starts without it; the core's failure raises.
        """
        report = self.migration_runner().apply_isolating_plugins()
        self.mark_migration_failures(report.failed)
        return report

    def mark_migration_failures(self, failed: dict[str, str]) -> None:
        """Take the plugins whose migrations failed out of this process, settings included."""
        from alphapy.db.migrate import MigrationError

        for plugin, reason in failed.items():
            self.plugins.mark_failed(plugin, MigrationError(reason))
            self.registry.withdraw(plugin)

    def close(self) -> None:
        """Stop the embedded server if this process started it."""
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None
        self._closed = True

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare(
    config: Config | None = None,
    *,
    plugins: Iterable[tuple[str, Any]] | None = None,
    configure_logs: bool = True,
    log_level: str = "info",
) -> Runtime:
    """Load config, set up logging, load plugins (entry points, or the ones given) and check them.

    ``plugins`` registers the given ``(name, module)`` pairs instead of discovering
    entry points, which keeps tests independent of what is installed. The checks
    (:mod:`alphapy.plugin_checks`) run here, for the command line and the bot alike,
    so both report the same state for every plugin. ``log_level``
    applies when ``LOG_LEVEL`` is unset: operator commands pass ``warning`` so that
    their output is not buried in log lines.
    """
    config = config or load_config()
    if configure_logs:
        configure_logging(config.log_level or log_level, config.log_format, config.secrets())
    manager = PluginManager()
    if plugins is None:
        manager.load_entrypoints(config.alphapy_plugins)
    else:
        for name, plugin in plugins:
            manager.register(plugin, name)
    registry = check_plugins(manager, plugins_enabled_by_default=config.plugins_enabled_by_default)
    return Runtime(config=config, plugins=manager, _database_url=config.database_url, registry=registry)
