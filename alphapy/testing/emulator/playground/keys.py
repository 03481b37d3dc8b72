"""What the playground's handlers share: the emulator, the modals waiting to be filled and
a counter of what visitors did (the live stream wakes on it)."""

from __future__ import annotations

import asyncio
import itertools
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from ..emulator import DiscordEmulator
    from ..interactions import Interaction

#: modals kept for visitors to fill; older ones are forgotten (as Discord closes them)
OPEN_MODALS = 100


@dataclass
class PlaygroundState:
    emu: DiscordEmulator
    #: interaction id -> the interaction the bot answered with a modal, by its owner
    modals: OrderedDict[int, Interaction] = field(default_factory=OrderedDict)
    actions: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    last_action: int = 0
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    #: called with the seconds the visitor moved the clock by, after the emulator's clock
    #: moved (a host process adds what else follows its clock)
    time_listeners: list[Callable[[float], Awaitable[None]]] = field(default_factory=list)

    #: how far visitors moved the clock, shown beside the control
    moved_seconds: float = 0.0

    async def move_time(self, seconds: float) -> None:
        self.emu.advance_time(seconds)
        self.moved_seconds += seconds
        for listener in self.time_listeners:
            await listener(seconds)

    def acted(self) -> None:
        """A visitor changed something: live pages reload."""
        self.last_action = next(self.actions)

    def keep_modal(self, interaction: Interaction) -> int:
        self.modals[interaction.id] = interaction
        while len(self.modals) > OPEN_MODALS:
            self.modals.popitem(last=False)
        return interaction.id

    def stamp_text(self) -> str:
        """The stamp as a page carries it (its live stream starts from there, so nothing
        that happens between rendering and connecting is missed)."""
        return ".".join(map(str, self.stamp()))

    def stamp(self) -> tuple[int, int, int]:
        """Changes whenever the bot made a request, a visitor acted or an ephemeral answer
        appeared: cheap enough to check on every emulator event."""
        requests = self.emu.requests
        return (requests[-1].seq if requests else 0, self.last_action, len(self.emu.state.ephemeral_messages))


STATE_KEY = web.AppKey("playground_state", PlaygroundState)
