"""``alphapy shards``: the cluster view of a bot whose processes share shards (``SHARD_IDS=auto``).

It reads the lease table only, so it works from any machine that reaches the database,
while the bot runs, and shows every shard: the process and host holding it, how long
ago the lease was renewed, the gateway latency and the guilds its holder last reported.
"""

from __future__ import annotations

import argparse
from typing import Any

from alphapy.cli import EXIT_FAILURE, EXIT_OK


def add_parser(commands: Any) -> None:
    shards = commands.add_parser(
        "shards", help="every shard of the bot: its process, host, lease age, latency and guilds",
        description="Read the shard lease table (SHARD_IDS=auto) and show who serves each shard. "
        "A shard whose lease expired is shown as free: the next process to renew takes it over.",
    )
    shards.add_argument("--json", action="store_true", help="print JSON")
    shards.set_defaults(handler=shards_command)


def shards_command(args: argparse.Namespace) -> int:
    from alphapy.cli.context import run
    from alphapy.cli.output import print_json, print_table
    from alphapy.shards import cluster_view

    async def read(services: Any) -> list[dict[str, Any]]:
        return await cluster_view(services.db)

    rows = run(read)
    if args.json:
        print_json(rows)
        return EXIT_OK
    if not rows:
        print("No shard leases: no process runs with SHARD_IDS=auto on this database.")
        return EXIT_OK
    table = []
    for row in rows:
        live = row["live"] and row["holder"]
        table.append([
            f"{row['shard_id']}/{row['shard_count']}",
            row["holder"] if live else "(free)",
            row["host"] if live else None,
            f"{row['renewed_seconds_ago']:.1f}s" if live else None,
            f"{row['latency_ms']:.0f}ms" if live and row["latency_ms"] is not None else None,
            row["guild_count"] if live else None,
        ])
    print_table(["shard", "process", "host", "renewed", "latency", "guilds"], table)
    free = sum(1 for row in rows if not (row["live"] and row["holder"]))
    if free:
        print(f"{free} shard(s) without a live process: their guilds are not served until one is claimed.")
        return EXIT_FAILURE
    return EXIT_OK
