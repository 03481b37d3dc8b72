"""Hook call overhead (issue 20): what the plugin manager adds to one async implementation.

Rounds alternate in one process: ``CALLS`` awaited calls of one ``async def``
implementation directly, then the same number through ``call_first`` (what
``services.premium_status`` uses) and through ``call_async``. Prints, each the median
over ``ROUNDS`` rounds:

- ``hook_direct`` / ``hook_call_first`` / ``hook_call_async``: µs per call;
- ``ratio hook_overhead_call_first`` / ``hook_overhead_call_async``: the µs a call through
  the manager adds to the direct call (goal <= 10 µs).

The premium check through the hook against the plugin's service is in
``bench_premium.py`` (``ratio premium_hook_over_direct``). No database.
``BENCH_CALLS`` / ``BENCH_ROUNDS`` override the sizes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import types
from collections.abc import Awaitable, Callable
from typing import Any

from ratios import report

from alphapy import hookimpl
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager

CALLS = int(os.environ.get("BENCH_CALLS", "20000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


async def premium_status(user_id: int, guild_id: int) -> dict[str, Any]:
    return {"active": True, "user": user_id, "guild": guild_id}


async def per_call(call: Callable[[int], Awaitable[Any]]) -> float:
    """Microseconds per awaited call, over ``CALLS`` calls."""
    started = time.perf_counter_ns()
    for i in range(CALLS):
        await call(i)
    return (time.perf_counter_ns() - started) / CALLS / 1000


async def run() -> dict[str, float]:
    manager = PluginManager()
    plugin = types.ModuleType("bench_hooks_plugin")
    plugin.premium_status = hookimpl(premium_status)  # type: ignore[attr-defined]
    manager.register(plugin, "premium")
    first, fire = manager.call_first, manager.call_async
    figures: dict[str, list[float]] = {"direct": [], "call_first": [], "call_async": []}
    for _ in range(ROUNDS):
        figures["direct"].append(await per_call(lambda i: premium_status(i, 2)))
        figures["call_first"].append(await per_call(lambda i: first("premium_status", user_id=i, guild_id=2)))
        figures["direct"].append(await per_call(lambda i: premium_status(i, 2)))
        figures["call_async"].append(await per_call(lambda i: fire("premium_status", user_id=i, guild_id=2)))
    return {name: statistics.median(values) for name, values in figures.items()}


def main() -> None:
    configure_logging("error", "console")
    med = asyncio.run(run())
    for name, value in med.items():
        print(f"hook_{name}: {value:.2f} us")
    report("hook_overhead_call_first", med["call_first"] - med["direct"], "<=", 10, unit="us")
    report("hook_overhead_call_async", med["call_async"] - med["direct"], "<=", 10, unit="us")


if __name__ == "__main__":
    main()
