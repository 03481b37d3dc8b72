"""Starting and stopping one bot process, the same way for ``run``, ``demo`` and tests.

The start-up and shutdown order of ``docs/architecture.md`` in code: migrations first
(before any asyncpg pool: cached plans break on schema change), then the services, then
the bot and its gateway (Discord with a token, the emulator without). Stopping reverses
it: the bot closes (plugins' ``shutdown``), the services stop (tracker flushed, pools
closed), the embedded database stops with the runtime.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from alphapy.discord_endpoints import configure_endpoints
from alphapy.discord_login import explain_connect_failure
from alphapy.log import get_logger

if TYPE_CHECKING:
    from alphapy.bot import AlphapyBot
    from alphapy.runtime import Runtime
    from alphapy.services import Services
    from alphapy.shards import ShardKeeper
    from alphapy.testing.emulator import DiscordEmulator

log = get_logger(__name__)


class BotRunner:
    """One bot with its services; ``await start()`` returns once the bot is ready."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        emulator: DiscordEmulator | None = None,
        health: bool = True,
        guild_ready_timeout: float | None = None,
    ) -> None:
        self.runtime = runtime
        self.emulator = emulator
        self.health = health
        # Against the emulator every GUILD_CREATE arrives at once; do not wait 2 s for more.
        self.guild_ready_timeout = guild_ready_timeout if guild_ready_timeout is not None or emulator is None else 0.1
        self.services: Services | None = None
        self.bot: AlphapyBot | None = None
        self._task: asyncio.Task[None] | None = None
        self._previous_exception_handler: Any = None
        #: seconds from start() to: migrations done, services up, bot ready (and bot start to ready)
        self.timings: dict[str, float] = {}
        #: SHARD_IDS=auto: this process's leases; the shards it lost to another process
        self.shard_keeper: ShardKeeper | None = None
        self.shards_lost: list[int] = []

    @property
    def config(self) -> Any:
        return self.runtime.config

    async def start(self, *, ready_timeout: float = 60.0) -> AlphapyBot:
        import time

        from alphapy.bot import build_bot
        from alphapy.errors import log_loop_exception
        from alphapy.services import Services

        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        self._previous_exception_handler = loop.get_exception_handler()
        loop.set_exception_handler(log_loop_exception)  # no bare tracebacks from failed tasks
        url = await asyncio.to_thread(lambda: self.runtime.database_url)
        migrated = await asyncio.to_thread(self.runtime.migrate)
        if migrated.applied:
            log.info("migrations.applied", count=len(migrated.applied), migrations=migrated.applied)
        self.timings["migrations"] = time.perf_counter() - started
        self.services = Services(self.config, self.runtime.plugins, url, self.runtime.registry)
        await self.services.start(health=self.health)
        self.timings["services"] = time.perf_counter() - started
        if self.emulator is not None:
            api_base = self.emulator.api_base
            configure_endpoints(api_base, self.emulator.gateway_url)
            token = self.emulator.token
        else:
            if self.config.discord_token is None:
                raise RuntimeError("DISCORD_TOKEN is not set and no emulator was given")
            api_base = self.config.discord_api_base
            configure_endpoints(api_base, self.config.discord_gateway_url)
            token = self.config.discord_token.get_secret_value()
        keeper = await self._claim_shards(api_base, token) if self.config.shards_auto else None
        self.bot = build_bot(self.services, emulated=self.emulator is not None,
                             guild_ready_timeout=self.guild_ready_timeout)
        if keeper is not None:
            self.bot.shard_keeper = keeper
            keeper.figures = self.bot.shard_figures
            keeper.on_claimed = self.bot.add_shards
            keeper.on_shed = self.bot.remove_shards
            keeper.on_lost = self._shards_lost
            keeper.start()
        bot_started = time.perf_counter()
        self._task = asyncio.create_task(self._run_bot(token), name="alphapy-bot")
        ready = asyncio.create_task(self.bot.wait_until_ready())
        done, _ = await asyncio.wait({ready, self._task}, timeout=ready_timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if self._task in done and (failure := self._task.exception()) is not None:
                explained = explain_connect_failure(failure, api_base)
                if explained is not None:
                    raise explained from None
                raise failure
            raise TimeoutError(f"the bot was not ready after {ready_timeout:g} s")
        now = time.perf_counter()
        self.timings["bot_start_to_ready"] = now - bot_started
        self.timings["ready"] = now - started
        log.info("bot.started", **{k: round(v, 3) for k, v in self.timings.items()})
        return self.bot

    async def _claim_shards(self, api_base: str, token: str) -> ShardKeeper:
        """SHARD_IDS=auto: wait for a fair share of free shards before connecting any."""
        from alphapy.shards import ShardKeeper, gateway_plan

        assert self.services is not None
        plan = await gateway_plan(self.config, api_base, token)
        self.shard_keeper = keeper = ShardKeeper.from_config(self.services.db, self.config, plan)
        self.services.shard_keeper = keeper
        claimed = await keeper.first_claim()
        self.config.serve_claimed(plan.shard_count, claimed)
        self.services.scheduler.serve_shards(plan.shard_count, claimed)
        return keeper

    async def _shards_lost(self, shard_ids: list[int]) -> None:
        """Another process may serve these shards now: stop serving them at once (the
        others go on; the process claims shards again once some are free)."""
        self.shards_lost = sorted({*self.shards_lost, *shard_ids})
        if self.bot is not None and not self.bot.is_closed():
            await self.bot.remove_shards(shard_ids)

    async def _run_bot(self, token: str) -> None:
        assert self.bot is not None
        await self.bot.start(token)

    async def wait_closed(self) -> None:
        """Until the bot stops (a signal, a fatal gateway error, ``stop()``)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def stop(self) -> None:
        # Due work acts on Discord: let a batch in progress finish and claim no more
        # while the bot can still send; only then close the bot and the other services.
        if self.services is not None:
            await self.services.scheduler.stop()
        if self.bot is not None and not self.bot.is_closed():
            await self.bot.close()
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        if self.shard_keeper is not None:  # the gateway is closed: hand the shards over
            await self.shard_keeper.stop()
        if self.services is not None:
            await self.services.stop()
            self.services = None
        asyncio.get_running_loop().set_exception_handler(self._previous_exception_handler)

    async def __aenter__(self) -> BotRunner:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
