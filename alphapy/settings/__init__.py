"""Per-guild settings: declarations, typed values, history and rollback, a shared cache.

Plugins declare settings through the ``register_settings`` hook and read them with
``bot.settings.get(guild_id, scope, key)``. See ``docs/settings.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphapy.exports import lazy_getattr
from alphapy.settings.registry import (
    CORE_SCOPE,
    PLUGINS_SCOPE,
    SettingsRegistry,
    UnknownSetting,
    declare_core_settings,
)
from alphapy.settings.types import SettingSpec, SettingType

if TYPE_CHECKING:
    from alphapy.plugins import PluginManager
    from alphapy.settings.service import (
        HistoryNotFound as HistoryNotFound,
        InvalidSetting as InvalidSetting,
        PremiumRequired as PremiumRequired,
        SettingsError as SettingsError,
        SettingsService as SettingsService,
        SettingValue as SettingValue,
        UnknownSettingError as UnknownSettingError,
    )
    from alphapy.settings.store import HistoryEntry as HistoryEntry

# The service (asyncio, the database) is imported when first used: ``alphapy --help``
# only builds the registry, and should not pay for the rest.
_EXPORTS = {name: "alphapy.settings.service" for name in (
    "HistoryNotFound", "InvalidSetting", "PremiumRequired", "SettingsError", "SettingsService", "SettingValue",
    "UnknownSettingError")} | {"HistoryEntry": "alphapy.settings.store"}
__getattr__ = lazy_getattr(globals(), _EXPORTS)

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
