"""Which plugin's hook implementation is running now, for the log pipeline.

Hooks sit on hot paths (a premium check on every gated command). Binding structlog's
context per call copies every context variable; one ``ContextVar.set`` costs a fraction
of that, and the name is read only when something is actually logged
(:func:`alphapy.log.add_hook_plugin`). A module of its own, free of structlog, so that the
plugin manager can import it at no cost to ``alphapy --help``.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

running_plugin: ContextVar[str | None] = ContextVar("alphapy_running_plugin", default=None)


def enter_hook_plugin(name: str) -> Token[str | None]:
    """Mark ``name`` as the plugin whose hook implementation runs from here on."""
    return running_plugin.set(name)


def leave_hook_plugin(token: Token[str | None]) -> None:
    """Undo :func:`enter_hook_plugin` once the implementation has answered."""
    running_plugin.reset(token)
