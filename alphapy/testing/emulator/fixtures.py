"""Plain async context managers to run the emulator and a bot against it.

They hold no pytest machinery, so the project's pytest plugin (and a plugin author's own
conftest) can wrap them in fixtures, and scripts can use them directly::

    async with running_emulator() as emu:
        guild = emu.add_guild("Test", members=2)
        async with bare_bot(emu, bot=my_bot) as bot:
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

from .emulator import DiscordEmulator


class SpecViolationsError(AssertionError):
    """Traffic did not match Discord's OpenAPI description."""


def assert_clean(emu: DiscordEmulator) -> None:
    """Fail if the traffic broke the spec or a documented limit (the bot may have swallowed
    the 400), or the emulator hit a bug of its own. A test about a refusal clears
    ``emu.refusals`` after asserting on it."""
    problems: list[str] = []
    if emu.refusals:
        problems.append(f"{len(emu.refusals)} body(ies) Discord would refuse:")
        problems.extend(f"  {r}" for r in itertools.islice(emu.refusals, 20))
    if emu.spec_violations:
        problems.append(f"{len(emu.spec_violations)} OpenAPI violation(s):")
        problems.extend(f"  {v}" for v in emu.spec_violations[:20])
    if emu.internal_errors:
        problems.append("emulator internal errors:")
        problems.extend(f"  {e}" for e in emu.internal_errors[:5])
    if problems:
        raise SpecViolationsError("\n".join(problems))


@contextlib.asynccontextmanager
async def running_emulator(
    *, check: bool = True, openapi_spec: Path | str | Literal[False] | None = None, **kwargs: Any
) -> AsyncIterator[DiscordEmulator]:
    """A started emulator on 127.0.0.1; stopped on exit. With ``check`` (default), exiting
    without an exception fails on refused bodies, spec violations or emulator errors.
    ``openapi_spec`` defaults to ``$ALPHAPY_DISCORD_OPENAPI``, else the description shipped
    with the testing kit."""
    emu = DiscordEmulator(openapi_spec=openapi_spec, **kwargs)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()
    if check:
        assert_clean(emu)


def default_intents() -> Any:
    """Default intents plus members and message content (what Alphapy's bot asks for)."""
    import discord

    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    return intents


@contextlib.asynccontextmanager
async def bare_bot(
    emu: DiscordEmulator,
    *,
    bot: Any = None,
    sync: bool = True,
    ready_timeout: float = 10.0,
    fast_identify: bool = True,
    setup: Callable[[Any], Awaitable[None] | None] | None = None,
    **bot_kwargs: Any,
) -> AsyncIterator[Any]:
    """Run ``bot`` (default: a plain ``commands.Bot``) against ``emu`` until exit.

    Points discord.py at the emulator, logs in, waits for READY, and with ``sync`` syncs
    the global command tree (so ``emu.slash`` finds the commands). ``setup(bot)`` runs
    before login (add cogs/commands there). The bot is closed on exit.

    ``fast_identify`` replaces discord.py's ``before_identify_hook`` (a 5 s sleep before
    every identify but the first, Discord's identify rate limit) with a no-op: the emulator
    has no such limit, and sharded start-ups and re-identifies would otherwise take seconds.
    """
    from discord.ext import commands

    from alphapy.discord_endpoints import configure_endpoints

    configure_endpoints(emu.api_base, emu.gateway_url)
    if bot is None:
        bot_kwargs.setdefault("intents", default_intents())
        bot_kwargs.setdefault("guild_ready_timeout", 0.05)
        bot = commands.Bot(command_prefix=bot_kwargs.pop("command_prefix", "!"), **bot_kwargs)
    if fast_identify:

        async def before_identify_hook(shard_id: int | None, *, initial: bool = False) -> None:
            return None

        bot.before_identify_hook = before_identify_hook
    if setup is not None:
        result = setup(bot)
        if asyncio.iscoroutine(result):
            await result
    task = asyncio.create_task(bot.start(emu.token), name="alphapy-emulated-bot")
    try:
        # (wait_until_ready() refuses to run before login, so poll is_ready())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ready_timeout
        while not bot.is_ready():
            if task.done():
                task.result()  # re-raise why the bot stopped
                raise RuntimeError("the bot stopped before it was ready")
            if loop.time() > deadline:
                raise TimeoutError(f"the bot was not ready within {ready_timeout}s")
            await asyncio.sleep(0.002)
        if sync and getattr(bot, "tree", None) is not None:
            await bot.tree.sync()
        yield bot
    finally:
        await bot.close()
        try:
            await asyncio.wait_for(task, 5.0)
        except (TimeoutError, asyncio.CancelledError, Exception):  # noqa: BLE001 - closing
            pass
