"""The hooks the tickets plugin declares for others: they come with the plugin, not the core."""

from __future__ import annotations

import pytest


def test_ticket_summarized_is_declared_by_the_tickets_plugin(plugin_manager) -> None:
    from alphapy_tickets import hookspecs

    # The spec's namespace is the plugin's module: the core does not declare this hook.
    caller = plugin_manager.pm.hook.ticket_summarized
    assert caller.spec is not None and caller.spec.namespace is hookspecs
    assert caller.spec.argnames == ("ticket", "summary", "bot")


async def test_a_misspelt_ticket_hook_is_an_error_not_silence(bot) -> None:
    from alphapy import UnknownHook

    with pytest.raises(UnknownHook, match=r"did you mean 'ticket_summarized'\?"):
        await bot.plugins.call_async("ticket_sumarized", ticket={}, summary={})

