"""Which roles make a member staff in a server: one rule for slash commands and web pages.

``@staff_only()`` (the gate) and the dashboard's ``staff`` pages both ask here, so a host
who sets ``core.staff_role`` or a plugin's own staff-role setting changes both at once.
"""

from __future__ import annotations

from typing import Any

DEFAULT_PLUGIN_KEY = "staff_role"


async def staff_role_ids(settings: Any, guild_id: int, plugin: str | None,
                         plugin_key: str = DEFAULT_PLUGIN_KEY) -> set[int]:
    """``core.staff_role``, plus ``<plugin>.<plugin_key>`` when the plugin declares that setting."""
    roles = [await settings.get(guild_id, "core", "staff_role")]
    if plugin is not None and (plugin, plugin_key) in settings.registry:
        roles.append(await settings.get(guild_id, plugin, plugin_key))
    return {int(role) for role in roles if role}
