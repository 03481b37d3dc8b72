"""Discord's command rules, checked per plugin before the one bulk sync.

Every plugin's commands go to Discord in a single bulk overwrite, and Discord refuses the
whole list for one bad definition. So each plugin's commands are serialised the way
discord.py will send them (``command.to_dict(tree)``) as soon as its cogs are added, and
checked with :mod:`alphapy.discord_rules.commands`, alone and together with the commands
already accepted (the 100 slash commands and unique names are shared by all plugins): the
plugin whose command breaks a rule, clashes or overflows is the one left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from discord import AppCommandType, app_commands

from alphapy.discord_rules import FormError, format_path
from alphapy.discord_rules.commands import bulk_overwrite_errors

AppCommand = app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu

_TYPES = (AppCommandType.chat_input, AppCommandType.user, AppCommandType.message)


def tree_commands(tree: app_commands.CommandTree[Any]) -> list[AppCommand]:
    """The tree's global commands of every type, in the order the sync sends them."""
    return [command for kind in _TYPES for command in tree.get_commands(type=kind)]


def _describe(error: FormError, payloads: list[dict[str, Any]]) -> str:
    """``/Hello name: Command name is invalid (rule command.name.pattern)`` for a host."""
    if not error.path or not isinstance(error.path[0], int):
        return f"all commands together: {error.message} (rule {error.rule})"
    index, *field = error.path
    name = payloads[index].get("name")
    prefix = "/" if (payloads[index].get("type") or 1) == 1 else ""
    where = f" {format_path(tuple(field))}" if field else ""
    return f"{prefix}{name}{where}: {error.message} (rule {error.rule})"


class CommandCheck:
    """The commands accepted so far, against which the next plugin's are checked."""

    def __init__(self, tree: app_commands.CommandTree[Any]) -> None:
        self.tree = tree
        self.accepted: list[dict[str, Any]] = []

    async def _payload(self, command: AppCommand) -> dict[str, Any]:
        """The body ``tree.sync()`` sends for ``command``, translated when the tree translates."""
        translator = self.tree.translator
        if translator is not None:
            return await command.get_translated_payload(self.tree, translator)
        return command.to_dict(self.tree)

    async def accept(self, commands: Iterable[AppCommand]) -> None:
        """Count ``commands`` (the core's) without judging them."""
        self.accepted.extend([await self._payload(command) for command in commands])

    async def reason(self, commands: Iterable[AppCommand]) -> str | None:
        """Why Discord would refuse ``commands`` next to the accepted ones; None: accepted.

        Accepted commands are added to the list the next plugin is checked against.
        """
        payloads = [await self._payload(command) for command in commands]
        together = self.accepted + payloads
        first_new = len(self.accepted)
        problems = [_describe(error, together) for error in bulk_overwrite_errors(together)
                    if not error.path or not isinstance(error.path[0], int) or error.path[0] >= first_new]
        if not problems:
            self.accepted = together
            return None
        more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        return "Discord would refuse its commands: " + "; ".join(problems[:3]) + more
