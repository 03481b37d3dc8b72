"""What a driver may use of the emulator it is mixed into.

The drivers are mixins of :class:`~alphapy.testing.emulator.emulator.DiscordEmulator`.
Declaring the emulator's shared state here, once, lets a type checker check each mixin on
its own (a ``self: DiscordEmulator`` annotation is not a supertype of the mixin, so strict
mypy refuses it), and tells a contributor adding a driver what it may rely on. A driver
that uses another driver's helpers inherits that driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..clock import Clock
    from ..gateway import Gateway
    from ..interactions import InteractionLog
    from ..server import RequestLog
    from ..state import EmulatorState


class DriverBase:
    """The emulator's state and waits, as every driver sees them (set by the emulator)."""

    state: EmulatorState
    clock: Clock
    gateway: Gateway
    interactions: InteractionLog
    requests: RequestLog
    #: emulator bugs met while answering
    internal_errors: list[str]
    #: how long a driver waits for the bot's answer, and how long a quiet bot has to be quiet
    timeout: float
    quiet_period: float
    _request_seq: int

    if TYPE_CHECKING:

        def _is_quiet(self, quiet: float) -> bool: ...

        async def settle(self, quiet: float | None = None, timeout: float | None = None) -> None: ...
