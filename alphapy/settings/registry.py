"""The catalogue of declared settings: what exists, its type and its default.

The core declares its own settings here; each plugin declares its own through the
``register_settings(register)`` hook, where ``register`` is bound to the plugin's scope
so a plugin cannot declare (or overwrite) another plugin's settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from alphapy.settings.types import BoolType, SettingSpec, SettingType, make_type

PLUGINS_SCOPE = "plugins"
CORE_SCOPE = "core"


class UnknownSetting(KeyError):
    """A scope/key nobody declared; the message lists what exists."""

    def __str__(self) -> str:
        return str(self.args[0])


class SettingsRegistry:
    """Declarations by ``(scope, key)``."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], SettingSpec] = {}

    def declare(
        self,
        scope: str,
        key: str,
        type: str | SettingType,
        *,
        default: Any = None,
        help: str = "",
        premium: bool = False,
        **options: Any,
    ) -> SettingSpec:
        """Declare one setting; the default must itself be valid for the type."""
        kind = make_type(type, options)
        if default is not None:
            default = kind.validate(default)
        if (scope, key) in self._specs:
            raise ValueError(f"setting {scope}.{key} is declared twice")
        spec = SettingSpec(scope, key, kind, default, help, premium)
        self._specs[(scope, key)] = spec
        return spec

    def registrar(self, scope: str) -> Callable[..., SettingSpec]:
        """The ``register`` callable handed to one plugin's ``register_settings`` hook."""

        def register(key: str, type: str | SettingType, **kwargs: Any) -> SettingSpec:
            return self.declare(scope, key, type, **kwargs)

        register.__doc__ = (
            f"Declare a setting in scope {scope!r}: register(key, type, default=..., help=..., "
            "premium=False, **options) with options such as min, max, max_length, choices."
        )
        return register

    def declare_plugin_switch(self, plugin: str, enabled_by_default: bool) -> SettingSpec:
        """The per-guild on/off switch of a plugin (scope ``plugins``, key = plugin name)."""
        return self.declare(
            PLUGINS_SCOPE, plugin, BoolType(), default=enabled_by_default,
            help=f"whether the {plugin} plugin is enabled in this server",
        )

    def withdraw(self, plugin: str) -> None:
        """Forget a failed plugin's settings and its switch: nobody may set what nothing reads."""
        for declared in [k for k in self._specs if k[0] == plugin or k == (PLUGINS_SCOPE, plugin)]:
            del self._specs[declared]

    def lookup(self, scope: str, key: str) -> SettingSpec | None:
        """The spec, or None: the cheap form for hot paths."""
        return self._specs.get((scope, key))

    def get(self, scope: str, key: str) -> SettingSpec:
        spec = self._specs.get((scope, key))
        if spec is None:
            known = sorted(k for s, k in self._specs if s == scope)
            hint = f"; {scope} has: {', '.join(known)}" if known else f"; known scopes: {', '.join(self.scopes())}"
            raise UnknownSetting(f"unknown setting {scope}.{key}{hint}")
        return spec

    def find(self, name: str) -> SettingSpec:
        """A spec by its full name ``scope.key``."""
        scope, _, key = name.partition(".")
        if not key:
            raise UnknownSetting(f"unknown setting {name!r}: write it as scope.key, e.g. core.timezone")
        return self.get(scope, key)

    def __contains__(self, item: tuple[str, str]) -> bool:
        return item in self._specs

    def scopes(self) -> list[str]:
        return sorted({scope for scope, _ in self._specs})

    def specs(self, scope: str | None = None) -> list[SettingSpec]:
        return sorted(
            (s for s in self._specs.values() if scope is None or s.scope == scope),
            key=lambda s: (s.scope, s.key),
        )

    def names(self) -> Iterable[str]:
        return (spec.full_name for spec in self.specs())


def declare_core_settings(registry: SettingsRegistry) -> None:
    """The core's own guild settings."""
    registry.declare(
        CORE_SCOPE, "timezone", "timezone", default="UTC",
        help="the server's timezone (IANA name); every plugin shows and schedules wall-clock times in it",
    )
    registry.declare(
        CORE_SCOPE, "audit_retention_days", "int", default=None, min=1, max=3650,
        help="delete command-usage records older than this many days (not set: keep them)",
    )
    registry.declare(
        CORE_SCOPE, "staff_role", "role", default=None, purpose="ping",
        help="a role whose members may use staff commands of every plugin, besides Manage Server "
             "(pinged where a plugin calls staff)",
    )
