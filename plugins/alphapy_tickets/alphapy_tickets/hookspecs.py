"""The hooks the tickets plugin offers other plugins (exposed as ``alphapy_hookspecs``).

They live here, not in the core: only this plugin fires them, so they exist exactly when
it is installed. A plugin that implements one marks it ``@hookimpl(optionalhook=True)``
and then loads fine where tickets is not installed (its implementation is simply never
fired); it never imports this module.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from alphapy import hookspec

if TYPE_CHECKING:
    from alphapy import AlphapyBot


@hookspec
def ticket_summarized(ticket: dict[str, Any], summary: dict[str, Any], bot: AlphapyBot) -> Awaitable[None] | None:
    """*async* A support ticket was closed and summarised.

    ``ticket`` is a dict of the ``support_tickets`` row (``id``, ``guild_id``,
    ``user_id``, ``username``, ``description``, ``status``, ``created_at``,
    ``claimed_by`` ...); ``summary`` is a dict with ``ticket_id``, ``summary`` and
    ``similarity_key`` (the ``ticket_summaries`` row). The FAQ plugin proposes entries
    from it. ``bot`` is supplied by the core: the tickets plugin fires it with
    ``await bot.plugins.call_async("ticket_summarized", ticket=..., summary=...)``.
    """
