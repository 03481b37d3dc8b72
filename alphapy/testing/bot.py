"""A running Alphapy bot against the emulator, for tests, the demo and benchmarks.

The real thing, assembled as ``alphapy run`` assembles it (migrations, services, the
bot, its plugins), with only the outside swapped: the emulator instead of Discord, a
database the caller chose, and the plugins given explicitly so that nothing installed
on the machine leaks in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from alphapy.config import load_config
from alphapy.runner import BotRunner
from alphapy.runtime import prepare

if TYPE_CHECKING:
    from alphapy.testing.emulator import DiscordEmulator


@asynccontextmanager
async def running_alphapy(
    emulator: DiscordEmulator,
    database_url: str,
    *,
    plugins: Iterable[tuple[str, Any]] = (),
    health: bool = False,
    guild_ready_timeout: float = 0.05,
    ready_timeout: float = 30.0,
    **config: Any,
) -> AsyncIterator[BotRunner]:
    """Start the bot with ``plugins`` on ``database_url`` against ``emulator``; stop on exit.

    ``config`` overrides settings (``openai_base_url=...``, ``shard_count=2``, ...); the
    environment and ``.env`` are ignored so that a developer's machine does not leak in.
    """
    options: dict[str, Any] = {"database_url": database_url, "health_port": 0, "discord_token": None}
    options.update(config)
    settings = load_config(_env_file=None, **options)
    runtime = prepare(settings, plugins=list(plugins), configure_logs=False)
    runner = BotRunner(runtime, emulator=emulator, health=health, guild_ready_timeout=guild_ready_timeout)
    try:
        await runner.start(ready_timeout=ready_timeout)
        yield runner
    finally:
        await runner.stop()
        runtime.close()
