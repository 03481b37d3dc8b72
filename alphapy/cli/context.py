"""What a CLI command that reads or writes data needs: config, plugins, pools, settings.

Operator commands of the core and of plugins (``alphapy settings``, ``alphapy premium``,
``alphapy faq``) open the same services the bot uses, so every rule (validation,
history, guild isolation) holds whichever way a change arrives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from alphapy.db import Database
from alphapy.runtime import Runtime, prepare
from alphapy.settings import SettingsService

T = TypeVar("T")


class NeedsMigration(Exception):
    """The database lacks migrations: say which command fixes it."""


@dataclass
class CliServices:
    runtime: Runtime
    db: Database
    settings: SettingsService

    @property
    def config(self) -> Any:
        return self.runtime.config


@asynccontextmanager
async def cli_services() -> AsyncIterator[CliServices]:
    """Open the database (migrated) and the settings service for one command."""
    runtime = prepare(log_level="warning")
    try:
        runner = runtime.migration_runner()
        pending = await asyncio.to_thread(lambda: [s.id for s in runner.status() if not s.applied])
        if pending:
            raise NeedsMigration(
                f"the database has {len(pending)} pending migration(s) ({', '.join(pending[:3])}"
                f"{', ...' if len(pending) > 3 else ''}): run `alphapy migrate` first"
            )
        db = Database(runtime.database_url, min_size=1, max_size=2, tracker_size=1,
                      connect_timeout=runtime.config.db_connect_timeout)
        await db.open()
        try:
            runtime.plugins.provide(db=db, bot=None)
            yield CliServices(runtime, db, SettingsService(db, runtime.registry))
        finally:
            await db.close()
    finally:
        runtime.close()


def run(command: Callable[[CliServices], Awaitable[T]]) -> T:
    """Run an async command body inside :func:`cli_services`."""

    async def main() -> T:
        async with cli_services() as services:
            return await command(services)

    return asyncio.run(main())
