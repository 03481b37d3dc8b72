"""Switching a plugin on or off in a guild: one rule for ``/plugins`` and the dashboard.

Both ask here so a host gets the same refusal sentences and the same history row, whether
they typed a slash command or pressed a switch on a web page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alphapy.cogs.text import safe
from alphapy.errors import UserError


@dataclass(frozen=True, slots=True)
class SwitchResult:
    """What a switch did; ``history_id`` is None when the plugin already was in that state."""

    plugin: str
    on: bool
    history_id: int | None

    def sentence(self, bold: str = "**") -> str:
        """The answer for the host (``bold=""`` for plain text, as on a web page)."""
        name = f"{bold}{self.plugin}{bold}"
        state = "on" if self.on else "off"
        if self.history_id is None:
            return f"{name} is already {state} here."
        return f"{name} is now {state} in this server (history #{self.history_id})."


def known_plugin(plugins: Any, name: str) -> str:
    """``name`` when it is a loaded plugin; otherwise a :class:`UserError` saying why not."""
    loaded = plugins.loaded
    if name not in loaded:
        info = plugins.infos.get(name)
        if info is not None:
            raise UserError(f"The plugin {safe(name, 40)} is unavailable because it did not load: "
                            f"{safe(info.error or 'no reason given', 300)}")
        raise UserError(f"There is no plugin called {safe(name, 40)}. Installed: {', '.join(loaded) or 'none'}.")
    return name


async def switch_plugin(settings: Any, plugins: Any, guild_id: int, plugin: str, on: bool, *,
                        changed_by: int) -> SwitchResult:
    """Switch ``plugin`` in ``guild_id``, recording ``changed_by`` in the history."""
    name = known_plugin(plugins, plugin.strip())
    if await settings.is_enabled(guild_id, name) == on:
        return SwitchResult(name, on, None)
    entry = await settings.set_enabled(guild_id, name, on, changed_by=changed_by)
    return SwitchResult(name, on, entry.id)
