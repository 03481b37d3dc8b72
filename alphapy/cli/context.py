"""What a CLI command that reads or writes data needs: config, plugins, pools, settings.

Operator commands of the core and of plugins (``alphapy settings``, ``alphapy premium``,
``alphapy faq``) open the same services the bot uses, so every rule (validation,
history, guild isolation) holds whichever way a change arrives.
"""

from __future__ import annotations

import asyncio
import sys
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
        await asyncio.to_thread(_leave_out_unmigrated_plugins, runtime)
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


def _leave_out_unmigrated_plugins(runtime: Runtime) -> None:
    """Refuse when the core's migrations are pending; go on without a plugin whose are.

    A plugin whose migrations cannot be read, or are not applied (not migrated yet, or
    failing), is marked failed with a warning, so that one broken plugin does not stop
    the operator's command for everyone else.
    """
    from alphapy.db.migrate import CORE_OWNER

    runner = runtime.migration_runner()
    states = runner.status()
    failed = dict(runner.failed)
    pending = [s.id for s in states if not s.applied and s.owner == CORE_OWNER]
    if pending:
        raise NeedsMigration(
            f"the database has {len(pending)} pending migration(s) ({', '.join(pending[:3])}"
            f"{', ...' if len(pending) > 3 else ''}): run `alphapy migrate` first"
        )
    for state in states:
        if not state.applied and state.owner not in failed:
            failed[state.owner] = f"migration {state.id} is not applied: run `alphapy migrate` first"
    for plugin, reason in failed.items():
        print(f"alphapy: plugin {plugin} is left out: {reason}", file=sys.stderr)
    runtime.mark_migration_failures(failed)


def run(command: Callable[[CliServices], Awaitable[T]]) -> T:
    """Run an async command body inside :func:`cli_services`."""

    async def main() -> T:
        async with cli_services() as services:
            return await command(services)

    return asyncio.run(main())


#: the public name (``alphapy.cli.run_with_services``): ``alphapy.cli.run`` is the ``alphapy run`` command
run_with_services = run
