"""A second bot process for the reminders' crash and multi-process tests and benchmark.

    python reminders_worker.py DATABASE_URL API_BASE GATEWAY_URL TOKEN [SHARD_COUNT SHARD_ID]

Runs the real bot (``running_alphapy``, the reminders plugin only) against an emulator
that lives in another process, on a database that is already migrated. Prints ``ready``
once the bot is connected, then serves until stdin closes or it is killed; on a clean
stop prints one JSON line with its delivery counters.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import asdict
from types import SimpleNamespace


async def main(url: str, api_base: str, gateway_url: str, token: str, shards: dict[str, object]) -> None:
    from alphapy_reminders import plugin
    from alphapy_reminders.cog import RemindersCog

    from alphapy import configure_logging
    from alphapy.testing import running_alphapy

    configure_logging("warning", "json", stream=sys.stderr)  # stdout carries the protocol
    # what BotRunner needs of an emulator: where it is and the token it accepts
    remote = SimpleNamespace(api_base=api_base, gateway_url=gateway_url, token=token)
    async with running_alphapy(remote, url, plugins=[("reminders", plugin)], **shards) as runner:  # type: ignore[arg-type]
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the caller closes stdin
        cog = RemindersCog.of(runner.bot)
        print(json.dumps(asdict(cog.delivery.stats)), flush=True)


if __name__ == "__main__":
    extra = {"shard_count": int(sys.argv[5]), "shard_ids": [int(sys.argv[6])]} if len(sys.argv) > 6 else {}
    asyncio.run(main(*sys.argv[1:5], extra))
