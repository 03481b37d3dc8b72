"""The checks that can fail a plugin before Discord is involved, all in one place.

Every entry point runs them through the shared start-up (:func:`alphapy.runtime.prepare`),
so ``alphapy plugins`` and the bot compute the same state for every plugin: a plugin
that one of them calls failed, the other does too, with the same reason. A plugin that
fails a check is unregistered (its cogs, commands, listeners and hooks are never used)
and keeps one clear reason in its :class:`~alphapy.plugins.PluginInfo`.

Only failures that need Discord (``register_cogs``) or the database (applying
migrations) are found later, by the bot and the migration step.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alphapy.plugins import PluginManager
    from alphapy.settings import SettingsRegistry


def check_plugins(plugins: PluginManager, *, plugins_enabled_by_default: bool = True,
                  log_failures: bool = True) -> SettingsRegistry:
    """Run every check on the loaded plugins; return the settings they declared.

    Settings come last: the registry gets an on/off switch for each plugin still loaded
    then, so a plugin refused by an earlier check gets none. Without ``log_failures``
    (``alphapy --help``, before logging is set up) failures are only recorded.
    """
    from alphapy.settings import build_registry

    fail = _failer(plugins, log_failures)
    _check_hook_names(plugins, fail)
    _check_hook_answers(plugins, fail, "register_migrations")
    _check_hook_answers(plugins, fail, "register_cli", commands=argparse.ArgumentParser().add_subparsers())
    return build_registry(plugins, plugins_enabled_by_default=plugins_enabled_by_default,
                          log_failures=log_failures)


Fail = Callable[[str, "BaseException | str", str], None]


def _failer(plugins: PluginManager, log_failures: bool) -> Fail:
    def fail(name: str, reason: BaseException | str, check: str) -> None:
        plugins.mark_failed(name, reason)
        if log_failures:
            from alphapy.log import get_logger

            get_logger(__name__).error("plugin.check_failed", plugin=name, check=check,
                                       error=plugins.infos[name].error)

    return fail


def _check_hook_names(plugins: PluginManager, fail: Fail) -> None:
    """A hook implementation nobody specified is a typo (``helth``): it would never be called.

    pluggy accepts it silently; ``optionalhook=True`` marks one that is meant for a hook
    another, optional plugin specifies.
    """
    for name in list(plugins.loaded):
        plugin = plugins.pm.get_plugin(name)
        if plugin is None:
            continue
        unknown = sorted(
            caller.name
            for caller in plugins.pm.get_hookcallers(plugin) or []
            if not caller.has_spec()
            and any(impl.plugin is plugin and not impl.optionalhook for impl in caller.get_hookimpls())
        )
        if unknown:
            fail(name, f"it implements hooks that do not exist: {', '.join(unknown)}", "hooks")


def _check_hook_answers(plugins: PluginManager, fail: Fail, hook_name: str, **kwargs: Any) -> None:
    """Call a registration hook once; a plugin whose implementation raises is refused."""
    for result in plugins.call_each(hook_name, **kwargs):
        if result.error is not None:
            fail(result.plugin, result.error, hook_name)
