"""Per-guild settings: declarations, typed values, history and rollback, a shared cache.

Plugins declare settings through the ``register_settings`` hook and read them with
``bot.settings.get(guild_id, scope, key)``. See ``docs/settings.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphapy.settings.registry import (
    CORE_SCOPE,
    PLUGINS_SCOPE,
    SettingsRegistry,
    UnknownSetting,
    declare_core_settings,
)
from alphapy.settings.service import (
    HistoryNotFound,
    InvalidSetting,
    PremiumRequired,
    SettingsError,
    SettingsService,
    SettingValue,
    UnknownSettingError,
)
from alphapy.settings.store import HistoryEntry
from alphapy.settings.types import SettingSpec, SettingType

if TYPE_CHECKING:
    from alphapy.plugins import PluginManager

__all__ = [
    "CORE_SCOPE", "PLUGINS_SCOPE", "HistoryEntry", "HistoryNotFound", "InvalidSetting", "PremiumRequired",
    "SettingSpec", "SettingType", "SettingValue", "SettingsError", "SettingsRegistry", "SettingsService",
    "UnknownSetting", "UnknownSettingError", "build_registry",
]


def build_registry(plugins: PluginManager, *, plugins_enabled_by_default: bool = True,
                   log_failures: bool = True) -> SettingsRegistry:
    """The core's settings, a switch per loaded plugin, and every plugin's own declarations.

    A plugin whose ``register_settings`` raises is marked failed and unloaded: running
    it without its settings would only fail later, in front of a member. Without
    ``log_failures`` (``alphapy --help``, before logging is set up) it is only marked.
    """
    registry = SettingsRegistry()
    declare_core_settings(registry)
    for result in plugins.call_each("register_settings",
                                    per_plugin=lambda name: {"register": registry.registrar(name)}):
        if result.error is None:
            continue
        if log_failures:
            from alphapy.log import get_logger

            get_logger(__name__).error("plugin.settings_failed", plugin=result.plugin, error=str(result.error))
        plugins.mark_failed(result.plugin, result.error)
        registry.withdraw(result.plugin)
    for name in plugins.loaded:
        registry.declare_plugin_switch(name, plugins_enabled_by_default)
    return registry
