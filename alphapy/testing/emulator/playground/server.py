"""Serving the playground beside an emulator, on loopback only."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .app import create_app
from .keys import PlaygroundState

if TYPE_CHECKING:
    from ..emulator import DiscordEmulator

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8095
PORT_VARIABLE = "PLAYGROUND_PORT"


def port_from_env(default: int = DEFAULT_PORT) -> int:
    """``PLAYGROUND_PORT`` (0: a free port), else ``default``."""
    text = os.environ.get(PORT_VARIABLE, "").strip()
    return int(text) if text.isdigit() else default


class Playground:
    """The web client of one emulator; ``url`` once started.

    It binds 127.0.0.1 and nothing else: whoever reaches it may act as anyone, which is the
    point on a developer's machine and must never be true of a real server (``alphapy run``
    only starts it when no ``DISCORD_TOKEN`` is set)."""

    def __init__(self, emu: DiscordEmulator, *, port: int = 0) -> None:
        self.state = PlaygroundState(emu)
        self.port = port
        self.url = ""
        self._runner: web.AppRunner | None = None

    def on_time_moved(self, listener: Callable[[float], Awaitable[None]]) -> None:
        """Also call ``listener(seconds)`` when a visitor moves the clock forward."""
        self.state.time_listeners.append(listener)

    def follow_bot(self, scheduler: Any) -> None:
        """Move the bot's clock too (it runs in this process): due work claims as of the
        moved time and claims at once, so a reminder due in the skipped minutes fires."""
        from alphapy import clock

        async def moved(seconds: float) -> None:
            clock.advance(seconds)
            scheduler.wake_due()

        self.on_time_moved(moved)

    async def start(self) -> str:
        runner = web.AppRunner(create_app(self.state), access_log=None, handle_signals=False,
                               shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, LOOPBACK, self.port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        self.url = f"http://{LOOPBACK}:{self.port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            self.state.stopping.set()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Playground:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
